// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <memory>
#include <mutex>

#include "auth/exec_plugin.hpp"
#include "kubeflow/config/connection.hpp"

namespace kubeflow::auth {

/// The credential of one client's exec plugin, cached as kubectl caches it: the plugin runs for
/// the first request, again shortly before the credential's expirationTimestamp, and again when
/// the server refused it (401). One per HttpClient, so two clients on two users never share
/// one. Thread-safe: concurrent callers wait for a single plugin run.
class ExecCredentials {
 public:
  /// Run the plugin again this long before the credential expires (at most half its life), so
  /// no request carries a credential that expires in flight.
  static constexpr std::chrono::seconds kRefreshMargin{30};
  /// How long one plugin run may take (interactive logins open browsers).
  static constexpr std::chrono::seconds kPluginTimeout{120};

  explicit ExecCredentials(config::ConnectionConfig cluster);
  ExecCredentials(const ExecCredentials&) = delete;
  ExecCredentials& operator=(const ExecCredentials&) = delete;
  ~ExecCredentials();

  /// A credential valid for at least kRefreshMargin (or without expiry). Runs the plugin when
  /// needed; throws what run_exec_plugin throws.
  [[nodiscard]] std::shared_ptr<const ExecCredential> current();

  /// The server refused `used` (HTTP 401): forget it, unless another thread already replaced
  /// it, so that the next current() runs the plugin once for everybody.
  void invalidate(const std::shared_ptr<const ExecCredential>& used);

 private:
  config::ConnectionConfig cluster_;  // the exec config and what provideClusterInfo gives
  std::mutex mutex_;
  std::shared_ptr<const ExecCredential> cached_;
  std::chrono::system_clock::time_point refresh_at_;
};

}  // namespace kubeflow::auth
