// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kubeflow::trainer {

/// One `{name, value}` environment entry, in the order the user gave it.
struct EnvVar {
  std::string name;
  std::string value;
};

/// `spec.trainer` of a TrainJob, already reduced to plain values by the Python facade (which
/// serializes the user's function into `command`). Unset optionals are omitted from the body.
struct TrainerSpec {
  std::optional<std::string> image;
  std::optional<std::vector<std::string>> command;
  std::optional<std::vector<std::string>> args;
  std::optional<int> num_nodes;              ///< 0 or unset: omitted (upstream treats 0 as unset)
  nlohmann::json resources_per_node;         ///< user dict (null: omitted), normalized by builder
  std::optional<std::vector<EnvVar>> env;    ///< empty vector is kept as []
};

/// `spec.initializer.dataset` / `.model`.
struct InitializerSpec {
  std::string storage_uri;
  std::vector<EnvVar> env;                   ///< always emitted (upstream sends "env": [])
  std::optional<std::string> secret_ref;     ///< Secret name for envFrom (ours; not upstream)
};

/// Everything needed to build one TrainJob body.
struct JobRequest {
  std::string name;                          ///< required by build_trainjob (see generate_job_name)
  std::string runtime_name;
  std::string runtime_kind;                  ///< "ClusterTrainingRuntime" or "TrainingRuntime"
  std::optional<TrainerSpec> trainer;
  std::optional<InitializerSpec> dataset;
  std::optional<InitializerSpec> model;
  nlohmann::json labels;                     ///< object or null
  nlohmann::json annotations;                ///< object or null
  nlohmann::json runtime_patches;            ///< array or null
  std::optional<long long> active_deadline_seconds;
};

/// Upstream's name rule: one of [a-z] then 11 of [0-9a-f] (12 characters).
[[nodiscard]] std::string generate_job_name();

/// Upstream's `get_resources_per_node`: lower-cases cpu/memory/gpu/storage/ephemeral-storage and
/// mig-* keys (other keys keep their case), maps gpu -> nvidia.com/gpu, storage ->
/// ephemeral-storage, mig-X -> nvidia.com/mig-X; values pass through unchanged. Returns
/// `{"requests": R, "limits": R}`. Throws Error{kInvalidArgument} for more than one MIG key, a MIG
/// key together with a GPU, or a value that is not a valid Kubernetes quantity.
[[nodiscard]] nlohmann::json resources_per_node(const nlohmann::json& user_resources);

/// Client-side checks before any API call; throws Error{kInvalidArgument} whose details name the
/// field (e.g. "metadata.name", "spec.trainer.env[1].name") and give a hint:
/// name is an RFC 1035 label of at most 63 characters; runtime kind is one of the two kinds;
/// env names are C identifiers ([-._a-zA-Z][-._a-zA-Z0-9]*) and unique; numNodes >= 1 when set;
/// resource quantities parse; activeDeadlineSeconds >= 1.
void validate_job_request(const JobRequest& request);

/// Builds the TrainJob JSON exactly as upstream serializes it: apiVersion, kind,
/// metadata{name, labels?, annotations?}, spec{runtimeRef{name, kind}, trainer?, initializer?,
/// runtimePatches?, activeDeadlineSeconds?}. Key order follows upstream's model field order.
/// Calls validate_job_request first.
[[nodiscard]] nlohmann::json build_trainjob(const JobRequest& request);

}  // namespace kubeflow::trainer
