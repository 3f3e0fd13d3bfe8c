// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kubeflow::util {

/// Parses one YAML document into JSON. Plain scalars become numbers, booleans or null when
/// they read as such (YAML 1.2 core schema); quoted scalars stay strings. Throws
/// Error{kInvalidArgument} with the line and column for malformed YAML; `source` names the
/// document in that message.
[[nodiscard]] nlohmann::json yaml_to_json(const std::string& text, const std::string& source);

/// Every document of a YAML stream ("---"-separated), in order; an empty document is null.
/// Errors as for yaml_to_json.
[[nodiscard]] std::vector<nlohmann::json> yaml_documents_to_json(const std::string& text,
                                                                 const std::string& source);

}  // namespace kubeflow::util
