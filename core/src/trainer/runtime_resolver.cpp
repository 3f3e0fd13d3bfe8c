// SPDX-License-Identifier: Apache-2.0
#include "trainer/runtime_resolver.hpp"

#include <nlohmann/json.hpp>

#include "kubeflow/error.hpp"
#include "util/yaml_json.hpp"

namespace kubeflow::trainer {

namespace {

RuntimeInfo placeholder_runtime(const std::string& name, const std::string& kind) {
  RuntimeInfo info;
  info.name = name;
  info.kind = kind;
  info.trainer_type = "CustomTrainer";
  info.framework = "Unknown";
  info.image = "Unknown";
  return info;
}

}  // namespace

void RuntimeResolver::remember(const RuntimeInfo& info) {
  std::lock_guard<std::mutex> lock(mutex_);
  cache_[info.kind + "/" + info.name] = {info, std::chrono::steady_clock::now()};
}

std::optional<RuntimeInfo> RuntimeResolver::cached(const std::string& kind,
                                                   const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = cache_.find(kind + "/" + name);
  if (it == cache_.end()) return std::nullopt;
  if (std::chrono::steady_clock::now() - it->second.read_at > kTtl) {
    cache_.erase(it);
    return std::nullopt;
  }
  return it->second.info;
}

RuntimeInfo RuntimeResolver::fetch(const std::string& kind, const std::string& name) {
  const bool cluster = kind == kClusterRuntimeKind;
  auto object = rest_.get(cluster ? k8s::kClusterTrainingRuntimes : k8s::kTrainingRuntimes,
                          cluster ? "" : ns_, name);
  RuntimeInfo info = parse_runtime(object, kind);
  remember(info);
  return info;
}

RuntimeInfo RuntimeResolver::for_job(const std::string& kind, const std::string& name,
                                     const std::string& job, std::set<std::string>* missing) {
  if (auto hit = cached(kind, name)) return *hit;
  const std::string key = kind + "/" + name;
  if (missing == nullptr || missing->count(key) == 0) {
    try {
      return fetch(kind, name);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kNotFound && e.code() != ErrorCode::kForbidden &&
          e.code() != ErrorCode::kInvalidArgument) {
        throw;
      }
      if (missing != nullptr) missing->insert(key);
    }
  }
  try {
    auto snapshot = rest_.get(k8s::kConfigMaps, ns_, job + "-runtime-snapshot");
    const auto& data = snapshot.at("data");
    const auto text = data.at("runtime").get<std::string>();
    return parse_runtime(util::yaml_to_json(text, "runtime snapshot of " + job), kind);
  } catch (const Error& e) {
    // No snapshot, not allowed to read it, or a malformed one: the placeholder says "unknown".
    // A server that cannot be reached is the caller's error, not an unknown runtime.
    if (e.code() != ErrorCode::kNotFound && e.code() != ErrorCode::kForbidden &&
        e.code() != ErrorCode::kInvalidArgument) {
      throw;
    }
  } catch (const nlohmann::json::exception&) {
    // The snapshot has an unexpected shape: same as none.
  }
  return placeholder_runtime(name, kind);
}

}  // namespace kubeflow::trainer
