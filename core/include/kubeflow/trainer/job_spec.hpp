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
/// serializes the user's function into `command`). Unset optionals are omitted from the body;
/// set ones are emitted as given (an empty `command`/`args`/`env` is sent as []).
struct TrainerSpec {
  std::optional<std::string> image;
  std::optional<std::vector<std::string>> command;
  std::optional<std::vector<std::string>> args;
  std::optional<int> num_nodes;            ///< unset: omitted; when set, at least 1
  nlohmann::json resources_per_node;       ///< user dict; null or {}: omitted; else normalized
  std::optional<std::vector<EnvVar>> env;  ///< empty vector is kept as []
};

/// `spec.initializer.dataset` / `.model`.
struct InitializerSpec {
  std::string storage_uri;
  std::vector<EnvVar> env;                ///< always emitted (upstream sends "env": [])
  std::optional<std::string> secret_ref;  ///< Secret name for envFrom (ours; not upstream)
};

/// Everything needed to build one TrainJob body.
struct JobRequest {
  std::string name;  ///< required; callers choose it (Python: kubeflow.trainer._validation)
  std::string runtime_name;
  /// "ClusterTrainingRuntime" or "TrainingRuntime"; unset while the runtime is not resolved yet
  /// (validate_job_request accepts that, build_trainjob does not).
  std::optional<std::string> runtime_kind;
  std::optional<TrainerSpec> trainer;  ///< omitted from the body when it would be empty
  std::optional<InitializerSpec> dataset;
  std::optional<InitializerSpec> model;
  nlohmann::json labels;           ///< object of strings, or null (omitted)
  nlohmann::json annotations;      ///< object of strings, or null (omitted)
  nlohmann::json runtime_patches;  ///< array of objects (already camelCase), or null
  std::optional<long long> active_deadline_seconds;
};

/// Upstream's `get_resources_per_node`: lower-cases cpu/memory/gpu/storage/ephemeral-storage and
/// mig-* keys (other keys keep their case), maps gpu -> nvidia.com/gpu, storage ->
/// ephemeral-storage, mig-X -> nvidia.com/mig-X; values pass through unchanged. Returns
/// `{"requests": R, "limits": R}`. Throws Error{kInvalidArgument} (details.field names the
/// offending entry as `resources_per_node["<key as given>"]`, or `resources_per_node`) for a
/// non-object argument, more than one MIG key, a MIG key together with a GPU, two keys that
/// normalize to the same resource, or a value that is not a valid non-negative Kubernetes quantity
/// (a non-negative integer, or a string such as "500m", "4Gi", "1e3").
[[nodiscard]] nlohmann::json resources_per_node(const nlohmann::json& user_resources);

/// Client-side checks before any API call; throws Error{kInvalidArgument} whose details name the
/// field as a JSON path of the TrainJob (e.g. "metadata.name", "spec.trainer.env[1].name") and
/// give a hint: name is an RFC 1035 label of at most 63 characters; runtime name is a DNS
/// subdomain and runtime kind, when set, is one of the two kinds (unset: the runtime is not
/// resolved yet, so a caller can check a request before its first network call); env names are
/// C identifiers ([-._a-zA-Z][-._a-zA-Z0-9]*) and unique per list, env values have no NUL;
/// numNodes >= 1 when set; image, when set, is not empty and has no whitespace or control
/// characters; resource quantities parse; initializer storage URIs look like `scheme://...` and
/// secret names are DNS subdomains; labels/annotations map to strings; runtime patches are
/// objects with a `manager`; activeDeadlineSeconds >= 1.
void validate_job_request(const JobRequest& request);

/// Builds the TrainJob JSON exactly as upstream serializes it: apiVersion, kind,
/// metadata{name, labels?, annotations?}, spec{runtimeRef{name, kind}, trainer?, initializer?,
/// runtimePatches?, activeDeadlineSeconds?}. Keys come out sorted, which is also the generated
/// model's field order. Calls validate_job_request first, so it throws what that throws, and
/// also throws Error{kInvalidArgument} (field spec.runtimeRef.kind) when the kind is unset.
[[nodiscard]] nlohmann::json build_trainjob(const JobRequest& request);

}  // namespace kubeflow::trainer
