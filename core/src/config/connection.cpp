// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>

#include "kubeflow/config/connection.hpp"

namespace kubeflow::config {

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string{value};
  };
}

ConnectionConfig load_connection(const LoadOptions& options, const EnvLookup& env) {
  // Upstream's rule: an explicit file always means kubeconfig; otherwise prefer the pod's own
  // service account when there is one.
  const bool explicit_file = options.config_file && !options.config_file->empty();
  if (explicit_file || !in_cluster_available(options, env)) return load_kubeconfig(options, env);
  return load_in_cluster(options, env);
}

}  // namespace kubeflow::config
