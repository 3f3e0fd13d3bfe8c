// SPDX-License-Identifier: Apache-2.0
#include "config/yaml_fields.hpp"

#include <fmt/format.h>

#include "config/config_error.hpp"

namespace kubeflow::config::detail {

namespace {

[[noreturn]] void wrong_type(const NodeRef& at, const char* key, const char* expected) {
  const std::string field = at.path.empty() ? key : at.path + "." + key;
  // The value itself is never quoted: it may be a token or a key.
  fail(ErrorCode::kConfig, fmt::format("kubeconfig {}: {} must be {}", at.file, field, expected),
       {.field = field, .file = at.file, .hint = "Fix that field in the kubeconfig"});
}

}  // namespace

YAML::Node child(const YAML::Node& parent, const char* key) {
  // IsDefined first: on the node of a missing key (an entry without its body) every other
  // query throws yaml-cpp's InvalidNode.
  if (!parent.IsDefined() || !parent.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  return parent[key];
}

bool has_value(const YAML::Node& parent, const char* key) {
  const YAML::Node value = child(parent, key);
  return value.IsDefined() && !value.IsNull();
}

std::string scalar_field(const NodeRef& at, const char* key) {
  const YAML::Node value = child(at.node, key);
  if (!value.IsDefined() || value.IsNull()) return {};
  if (!value.IsScalar()) wrong_type(at, key, "a string");
  return value.Scalar();
}

bool bool_field(const NodeRef& at, const char* key) {
  const YAML::Node value = child(at.node, key);
  if (!value.IsDefined() || value.IsNull()) return false;
  bool result = false;
  if (!value.IsScalar() || !YAML::convert<bool>::decode(value, result)) {
    wrong_type(at, key, "true or false");
  }
  return result;
}

}  // namespace kubeflow::config::detail
