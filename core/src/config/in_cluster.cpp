// SPDX-License-Identifier: Apache-2.0
// The pod's service-account configuration, as client-go's InClusterConfig reads it.
#include <fmt/format.h>

#include <filesystem>
#include <system_error>

#include "config/config_error.hpp"
#include "config/files.hpp"
#include "kubeflow/config/connection.hpp"

namespace kubeflow::config {

namespace {

using detail::fail;

constexpr const char* kInClusterHint =
    "Run inside a pod with a mounted service-account token, or pass config_file to "
    "KubernetesBackendConfig";

std::string required_env(const EnvLookup& env, const char* name) {
  auto value = env(name);
  if (!value || value->empty()) {
    fail(ErrorCode::kConfig,
         fmt::format("in-cluster configuration unavailable: {} is not set", name),
         {.field = name, .hint = kInClusterHint});
  }
  return std::move(*value);
}

std::string read_required(const std::string& path, const char* what) {
  std::string why;
  auto content = detail::read_file(path, why);
  if (!content) {
    fail(ErrorCode::kConfig,
         fmt::format("in-cluster configuration unavailable: cannot read the service-account {} "
                     "{}: {}",
                     what, path, why),
         {.file = path, .hint = kInClusterHint});
  }
  return std::move(*content);
}

std::string first_line_trimmed(const std::string& text) {
  const std::string line = text.substr(0, text.find('\n'));
  const auto begin = line.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return {};
  return line.substr(begin, line.find_last_not_of(" \t\r") - begin + 1);
}

}  // namespace

bool in_cluster_available(const LoadOptions& options, const EnvLookup& env) {
  const auto host = env("KUBERNETES_SERVICE_HOST");
  std::error_code ec;
  return host && !host->empty() && std::filesystem::is_directory(options.in_cluster_root, ec);
}

ConnectionConfig load_in_cluster(const LoadOptions& options, const EnvLookup& env) {
  std::string host = required_env(env, "KUBERNETES_SERVICE_HOST");
  const std::string port = required_env(env, "KUBERNETES_SERVICE_PORT");
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";

  ConnectionConfig config;
  config.server = fmt::format("https://{}:{}", host, port);
  config.source = "in-cluster";
  const std::string root = options.in_cluster_root;
  // The kubelet rotates the projected token, so keep its path and let each request re-read it.
  config.token_file = detail::resolve_path(root, "token");
  std::string why;
  if (!detail::is_readable_file(config.token_file, why)) {
    fail(ErrorCode::kConfig,
         fmt::format("in-cluster configuration unavailable: cannot read the service-account "
                     "token {}: {}",
                     config.token_file, why),
         {.file = config.token_file, .hint = kInClusterHint});
  }
  config.ca_pem = read_required(detail::resolve_path(root, "ca.crt"), "CA certificate");
  // The namespace file is optional; without it the caller falls back to its default namespace.
  const std::string ns_path = detail::resolve_path(root, "namespace");
  if (detail::path_exists(ns_path)) {
    config.namespace_name = first_line_trimmed(read_required(ns_path, "namespace file"));
  }
  return config;
}

}  // namespace kubeflow::config
