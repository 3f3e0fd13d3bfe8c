// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "k8s/rest_client.hpp"
#include "kubeflow/trainer/runtime.hpp"

namespace kubeflow::trainer {

inline constexpr const char* kClusterRuntimeKind = "ClusterTrainingRuntime";
inline constexpr const char* kNamespacedRuntimeKind = "TrainingRuntime";

/// Resolves runtimeRefs to RuntimeInfo for one client: a per-client cache whose entries expire
/// after 60 s (so a long-lived client, a notebook kernel, sees an administrator's edits to a
/// runtime within a minute), the live object, the job's runtime snapshot, a placeholder.
/// Thread-safe; `rest` and `ns` must outlive it.
class RuntimeResolver {
 public:
  RuntimeResolver(k8s::RestClient& rest, const std::string& ns) : rest_(rest), ns_(ns) {}

  /// Caches `info` under its kind and name.
  void remember(const RuntimeInfo& info);

  /// The cached runtime, nullopt when absent or older than the TTL.
  [[nodiscard]] std::optional<RuntimeInfo> cached(const std::string& kind, const std::string& name);

  /// Reads the live runtime (namespaced or cluster by `kind`), caches and returns it; throws
  /// kubeflow::Error as the GET does.
  [[nodiscard]] RuntimeInfo fetch(const std::string& kind, const std::string& name);

  /// The runtime a job runs with: the cache, the live object, then the job's snapshot, which the
  /// controller (Trainer 2.3+) takes on first reconcile so a deleted runtime leaves jobs
  /// readable, then a placeholder. `missing` (optional) records runtimes whose live object could
  /// not be used, so a listing of many jobs on one deleted runtime asks for it once instead of
  /// once per job.
  [[nodiscard]] RuntimeInfo for_job(const std::string& kind, const std::string& name,
                                    const std::string& job,
                                    std::set<std::string>* missing = nullptr);

 private:
  struct CachedRuntime {
    RuntimeInfo info;
    std::chrono::steady_clock::time_point read_at;
  };
  static constexpr std::chrono::seconds kTtl{60};

  k8s::RestClient& rest_;
  const std::string& ns_;
  std::mutex mutex_;                            // guards cache_
  std::map<std::string, CachedRuntime> cache_;  // "<kind>/<name>" -> runtime, when read
};

}  // namespace kubeflow::trainer
