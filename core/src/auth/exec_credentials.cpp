// SPDX-License-Identifier: Apache-2.0
#include "auth/exec_credentials.hpp"

#include <algorithm>

namespace kubeflow::auth {

ExecCredentials::ExecCredentials(config::ConnectionConfig cluster) : cluster_(std::move(cluster)) {
  // The plugin gets the cluster, never another credential of the kubeconfig.
  cluster_.token = SecretString{};
  cluster_.client_key_pem = SecretString{};
  cluster_.password = SecretString{};
}

ExecCredentials::~ExecCredentials() = default;

std::shared_ptr<const ExecCredential> ExecCredentials::current() {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto now = std::chrono::system_clock::now();
  if (cached_ && (!cached_->expiry || now < refresh_at_)) return cached_;
  cached_ = std::make_shared<const ExecCredential>(
      run_exec_plugin(*cluster_.exec, cluster_, kPluginTimeout));
  if (cached_->expiry) {
    // A short-lived credential is refreshed at half its life rather than on every call.
    const auto life = *cached_->expiry - now;
    refresh_at_ = *cached_->expiry - std::min<std::chrono::system_clock::duration>(
                                         kRefreshMargin, std::max(life / 2, life.zero()));
  }
  return cached_;
}

void ExecCredentials::invalidate(const std::shared_ptr<const ExecCredential>& used) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (cached_ == used) cached_.reset();
}

}  // namespace kubeflow::auth
