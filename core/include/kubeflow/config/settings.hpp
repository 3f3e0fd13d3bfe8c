// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "kubeflow/config/connection.hpp"

namespace kubeflow::config {

/// Connection settings given directly (the facade reads them from a
/// `kubernetes.client.Configuration`-like object) instead of a kubeconfig.
struct ExplicitSettings {
  std::string server;     ///< "https://host:port"
  std::string token;      ///< bearer token, without the "Bearer " prefix
  std::string ca_file;    ///< CA bundle path; empty: system store
  std::string cert_file;  ///< client certificate path
  std::string key_file;   ///< client key path
  bool verify_ssl = true;
  std::string tls_server_name;
};

/// Reads the referenced files into memory. Throws Error{kConfig} naming the missing file and
/// the setting that referenced it; Error{kInvalidArgument} when `server` is empty.
[[nodiscard]] ConnectionConfig connection_from_settings(const ExplicitSettings& settings);

}  // namespace kubeflow::config
