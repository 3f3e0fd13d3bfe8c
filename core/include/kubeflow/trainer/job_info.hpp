// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kubeflow/trainer/runtime.hpp"

namespace kubeflow::trainer {

/// One step of a TrainJob: an initializer pod or a training node pod.
struct StepInfo {
  std::string name;                   ///< "node-0", "dataset-initializer", ...
  std::optional<std::string> status;  ///< the pod phase; nullopt when the pod has none yet
  std::string pod_name;
  std::string device = "Unknown";
  std::string device_count = "Unknown";
  /// Why the pod is not running (yet): "Unschedulable" with the scheduler's message, or a
  /// container's waiting reason ("ImagePullBackOff", "CrashLoopBackOff", ...) with its message.
  /// Empty when nothing holds it back.
  std::string waiting_reason;
  std::string waiting_message;
};

/// One entry of status.conditions.
struct ConditionInfo {
  std::string type;    ///< Created, Complete, Failed, Suspended, ...
  std::string status;  ///< "True", "False" or "Unknown"
  std::string reason;
  std::string message;
  std::string last_transition_time;  ///< RFC 3339
};

/// status.trainerStatus (Trainer v2.2+, feature gate TrainJobStatus): what the training code
/// reports through the controller's status server.
struct TrainerStatusInfo {
  std::optional<int> progress_percentage;                    ///< 0-100
  std::optional<std::int64_t> estimated_remaining_seconds;   ///< >= 0
  std::vector<std::pair<std::string, std::string>> metrics;  ///< (name, value), as reported
  std::string last_updated_time;                             ///< RFC 3339
};

/// A TrainJob reduced to what the SDK shows.
struct TrainJobInfo {
  std::string name;
  std::string namespace_name;
  std::string creation_timestamp;  ///< RFC 3339, as the API server wrote it
  std::string runtime_name;        ///< spec.runtimeRef.name
  std::string runtime_kind;        ///< spec.runtimeRef.kind (default ClusterTrainingRuntime)
  RuntimeInfo runtime;             ///< resolved runtime (see TrainerApi for the lookup order)
  int num_nodes = 1;
  std::string status = "Created";  ///< Created, Running, Suspended, Complete or Failed
  std::string message;             ///< message of the deciding condition, if any
  std::vector<StepInfo> steps;
  std::string resource_version;
  std::vector<ConditionInfo> conditions;            ///< as the server lists them
  std::optional<TrainerStatusInfo> trainer_status;  ///< nullopt when nothing was reported
  std::string queue_name;  ///< the Kueue LocalQueue (label kueue.x-k8s.io/queue-name), if any
};

/// An event about a TrainJob or one of its JobSet, Jobs or Pods.
struct EventInfo {
  std::string involved_object_kind;
  std::string involved_object_name;
  std::string message;
  std::string reason;
  std::string event_time;  ///< RFC 3339
};

}  // namespace kubeflow::trainer
