// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace kubeflow::util {

/// Parses one YAML document into JSON. Plain scalars become numbers, booleans or null when
/// they read as such (YAML 1.2 core schema); quoted scalars stay strings. Throws
/// Error{kInvalidArgument} with the line and column for malformed YAML; `source` names the
/// document in that message.
[[nodiscard]] nlohmann::json yaml_to_json(const std::string& text, const std::string& source);

}  // namespace kubeflow::util
