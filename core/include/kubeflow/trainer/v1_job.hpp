// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kubeflow/error.hpp"
#include "kubeflow/trainer/job_info.hpp"

namespace kubeflow::trainer {

/// One Training Operator v1 job kind (group kubeflow.org, version v1).
struct V1Kind {
  std::string kind;                        ///< "PyTorchJob"
  std::string plural;                      ///< "pytorchjobs"
  std::string replica_field;               ///< "pytorchReplicaSpecs"
  std::vector<std::string> replica_types;  ///< in the order they are shown: {"Master", "Worker"}
  std::string container;                   ///< the framework container v1 requires: "pytorch"
  int port = 0;                            ///< v1's default port of that container
};

/// The six kinds of Training Operator v1.9, in the order they are listed.
[[nodiscard]] const std::vector<V1Kind>& v1_kinds();

/// MXJob (removed in v1.9): only the converter reads it, and only when asked explicitly.
[[nodiscard]] const V1Kind& mxjob_kind();

/// Whether `kind` names MXJob (kind, singular or plural, any case).
[[nodiscard]] bool is_mxjob(const std::string& kind);

/// The v1.9 kind named by `kind`: the kind, its singular or its plural, any case ("PyTorchJob",
/// "pytorchjob", "pytorchjobs"). Throws Error{kInvalidArgument, field "kind"}: for MXJob, the
/// error of mxjob_removed_error(); for anything else, the list of kinds.
[[nodiscard]] const V1Kind& v1_kind(const std::string& kind);

/// The error for an MXJob: deprecated in v1.8, removed in v1.9 because Apache MXNet was
/// retired, and the ways forward. `what` says what was attempted ("read MXJob x", "convert ...").
[[nodiscard]] Error mxjob_removed_error(const std::string& what);

/// One replica type of a v1 job, with its replicaStatuses entry.
struct V1ReplicaInfo {
  std::string type;            ///< "Master", "Worker", ...
  int replicas = 1;            ///< spec replicas (v1 default 1)
  std::string restart_policy;  ///< as set; empty when unset
  std::string image;           ///< image of the framework container; empty when it has none
  int active = 0;
  int succeeded = 0;
  int failed = 0;
};

/// A v1 job reduced to what the SDK shows.
struct V1JobInfo {
  std::string kind;  ///< "PyTorchJob"
  std::string name;
  std::string namespace_name;
  std::string creation_timestamp;  ///< RFC 3339
  std::vector<V1ReplicaInfo> replicas;
  /// The type of the last True condition (what v1's State column shows: Created, Running,
  /// Restarting, Succeeded, Suspended or Failed); "Created" when there is none yet.
  std::string status = "Created";
  std::string message;  ///< that condition's message
  std::vector<ConditionInfo> conditions;
  std::vector<StepInfo> steps;  ///< "master-0", "worker-1": one per pod, by replica type and index
  std::string start_time;       ///< status.startTime; empty when unset
  std::string completion_time;  ///< status.completionTime; empty when unset
};

/// The label selector of the pods of v1 job `name` (empty: of every v1 job).
[[nodiscard]] std::string v1_pod_selector(const std::string& name);

/// Derives a V1JobInfo from a v1 job object of `kind` and its pods (any order; restarted copies
/// included, the newest wins). Lenient like job_from_objects: a field of an unexpected type is
/// left out. Pure.
[[nodiscard]] V1JobInfo v1_job_from_objects(const V1Kind& kind, const nlohmann::json& job,
                                            const std::vector<const nlohmann::json*>& pods);

/// Whether `pod` belongs to v1 job `name` of `kind` (labels job-name and, when set,
/// operator-name; two kinds may have jobs of one name).
[[nodiscard]] bool v1_pod_of(const V1Kind& kind, const std::string& name,
                             const nlohmann::json& pod);

}  // namespace kubeflow::trainer
