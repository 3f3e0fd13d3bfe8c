// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

namespace kubeflow::config::detail {

/// Where a YAML node sits, so that errors can name it: the kubeconfig file and the field path
/// ("users[alice].user").
struct NodeRef {
  const YAML::Node& node;
  const std::string& file;
  const std::string& path;
};

/// `parent[key]`, or an undefined node when `parent` is not a mapping or is itself undefined
/// (yaml-cpp throws on subscripting a scalar or querying a missing key's node).
[[nodiscard]] YAML::Node child(const YAML::Node& parent, const char* key);

/// Whether `parent[key]` is present and not null.
[[nodiscard]] bool has_value(const YAML::Node& parent, const char* key);

/// The scalar at `at.path + "." + key`; "" when absent or null. Throws Error{kConfig} naming
/// the field when it is a list or a mapping.
[[nodiscard]] std::string scalar_field(const NodeRef& at, const char* key);

/// The boolean at `at.path + "." + key`; false when absent. Throws Error{kConfig} naming the
/// field when it is not true/false.
[[nodiscard]] bool bool_field(const NodeRef& at, const char* key);

}  // namespace kubeflow::config::detail
