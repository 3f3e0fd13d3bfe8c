// SPDX-License-Identifier: Apache-2.0
#include "config/exec_config.hpp"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "config/config_error.hpp"
#include "config/files.hpp"
#include "util/yaml_json.hpp"

namespace kubeflow::config::detail {

namespace {

constexpr std::array<std::string_view, 2> kApiVersions = {"client.authentication.k8s.io/v1",
                                                          "client.authentication.k8s.io/v1beta1"};
constexpr std::array<std::string_view, 3> kInteractiveModes = {"Never", "IfAvailable", "Always"};
constexpr const char* kExtensionName = "client.authentication.k8s.io/exec";

[[noreturn]] void bad_field(const NodeRef& at, const std::string& field, const std::string& what,
                            const std::string& hint) {
  fail(ErrorCode::kConfig, fmt::format("kubeconfig {}: {} {}", at.file, field, what),
       {.field = field, .file = at.file, .hint = hint});
}

std::vector<std::string> string_list(const NodeRef& at, const YAML::Node& node,
                                     const std::string& field) {
  std::vector<std::string> values;
  if (!node.IsDefined() || node.IsNull()) return values;
  if (!node.IsSequence()) bad_field(at, field, "must be a list of strings", "Write it as a list");
  for (const auto& item : node) {
    if (!item.IsScalar()) {
      bad_field(at, field, "must be a list of strings", "Quote each argument as a string");
    }
    values.push_back(item.Scalar());
  }
  return values;
}

std::vector<ExecEnvVar> env_list(const NodeRef& at, const YAML::Node& node,
                                 const std::string& field) {
  std::vector<ExecEnvVar> env;
  if (!node.IsDefined() || node.IsNull()) return env;
  if (!node.IsSequence()) {
    bad_field(at, field, "must be a list of {name, value} entries", "Write it as a list");
  }
  size_t index = 0;
  for (const auto& item : node) {
    const std::string entry = fmt::format("{}[{}]", field, index++);
    const NodeRef item_at{item, at.file, entry};
    std::string name = scalar_field(item_at, "name");
    if (name.empty()) {
      bad_field(at, entry + ".name", "is missing", "Give every env entry a name and a value");
    }
    env.push_back({std::move(name), scalar_field(item_at, "value")});
  }
  return env;
}

template <size_t N>
bool one_of(const std::string& value, const std::array<std::string_view, N>& allowed) {
  for (const auto& candidate : allowed) {
    if (value == candidate) return true;
  }
  return false;
}

}  // namespace

ExecConfig read_exec(const NodeRef& at) {
  const std::string path = at.path + ".exec";
  const YAML::Node node = child(at.node, "exec");
  if (!node.IsMap()) bad_field(at, path, "must be a mapping", "See `kubectl config view`");
  const NodeRef exec_at{node, at.file, path};
  ExecConfig exec;
  exec.field = path;
  exec.kubeconfig = at.file;
  exec.api_version = scalar_field(exec_at, "apiVersion");
  if (!one_of(exec.api_version, kApiVersions)) {
    bad_field(
        at, path + ".apiVersion",
        fmt::format("is \"{}\"; supported: {}", exec.api_version, fmt::join(kApiVersions, ", ")),
        "Use client.authentication.k8s.io/v1 (or v1beta1), as the plugin's docs say");
  }
  exec.command = scalar_field(exec_at, "command");
  if (exec.command.empty()) {
    bad_field(at, path + ".command", "is missing", "Name the credential plugin to run");
  }
  // client-go: a relative path with a separator is relative to the kubeconfig, a bare name is
  // looked up on PATH.
  if (exec.command.find('/') != std::string::npos && exec.command.front() != '/') {
    exec.command = resolve_path(directory_of(at.file), exec.command);
  }
  exec.args = string_list(at, child(node, "args"), path + ".args");
  exec.env = env_list(at, child(node, "env"), path + ".env");
  exec.install_hint = scalar_field(exec_at, "installHint");
  exec.provide_cluster_info = bool_field(exec_at, "provideClusterInfo");
  if (const std::string mode = scalar_field(exec_at, "interactiveMode"); !mode.empty()) {
    if (!one_of(mode, kInteractiveModes)) {
      bad_field(
          at, path + ".interactiveMode",
          fmt::format("is \"{}\"; expected one of {}", mode, fmt::join(kInteractiveModes, ", ")),
          "Use Never for pipelines and notebooks");
    }
    exec.interactive_mode = mode;
  }
  return exec;
}

std::string exec_cluster_extension(const NodeRef& cluster_at) {
  const YAML::Node extensions = child(cluster_at.node, "extensions");
  // A missing key gives an invalid node, whose Is*() throw: IsDefined() first.
  if (!extensions.IsDefined() || !extensions.IsSequence()) return {};
  for (const auto& entry : extensions) {
    const YAML::Node name = child(entry, "name");
    if (!name.IsDefined() || !name.IsScalar() || name.Scalar() != kExtensionName) continue;
    const YAML::Node extension = child(entry, "extension");
    if (!extension.IsDefined() || extension.IsNull()) return {};
    YAML::Emitter out;
    out << YAML::Flow << extension;
    // yaml-cpp does not check UTF-8; bytes that are not become U+FFFD, as Go's encoding/json
    // writes them for kubectl (dump() would throw).
    return util::yaml_to_json(out.c_str(), cluster_at.file)
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return {};
}

}  // namespace kubeflow::config::detail
