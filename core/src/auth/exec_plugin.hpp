// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "kubeflow/config/connection.hpp"
#include "kubeflow/secret.hpp"

namespace kubeflow::auth {

/// What an exec credential plugin returned: a bearer token, or a client certificate and key.
struct ExecCredential {
  SecretString token;
  std::string client_cert_pem;
  SecretString client_key_pem;
  /// When the plugin said the credential expires; none: valid until the server refuses it.
  std::optional<std::chrono::system_clock::time_point> expiry;
};

/// Runs the plugin once, as kubectl does: our environment plus `exec.env`, KUBERNETES_EXEC_INFO
/// (with the cluster's address and CA when `provideClusterInfo`), stdin only when interactive
/// use is allowed and stdin is a terminal, stderr passed through (plugins prompt and report
/// there). Gives up after `timeout` and kills the plugin.
/// Throws Error{kAuth} naming the kubeconfig field: command not found (with the installHint),
/// a non-zero exit, an interactive plugin without a terminal, output that is not an
/// ExecCredential of the configured apiVersion; Error{kTimeout} when it ran too long. Messages
/// never contain the plugin's output. Blocks; thread-safe.
[[nodiscard]] ExecCredential run_exec_plugin(const config::ExecConfig& exec,
                                             const config::ConnectionConfig& cluster,
                                             std::chrono::milliseconds timeout);

/// Parses a plugin's stdout (exposed for tests and fuzzing). Throws Error{kAuth} without
/// quoting the text.
[[nodiscard]] ExecCredential parse_exec_credential(const std::string& text,
                                                   const config::ExecConfig& exec);

/// An RFC 3339 timestamp ("2026-11-30T10:00:00Z", fractions and offsets allowed); nullopt when
/// malformed.
[[nodiscard]] std::optional<std::chrono::system_clock::time_point> parse_rfc3339(
    const std::string& text);

}  // namespace kubeflow::auth
