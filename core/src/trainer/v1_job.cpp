// SPDX-License-Identifier: Apache-2.0
#include "kubeflow/trainer/v1_job.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "kubeflow/trainer/runtime.hpp"

namespace kubeflow::trainer {

namespace {

using nlohmann::json;

constexpr const char* kJobNameLabel = "training.kubeflow.org/job-name";
constexpr const char* kReplicaTypeLabel = "training.kubeflow.org/replica-type";
constexpr const char* kReplicaIndexLabel = "training.kubeflow.org/replica-index";
constexpr const char* kOperatorNameLabel = "training.kubeflow.org/operator-name";

const json& member(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string string_member(const json& object, const char* key) {
  const auto& value = member(object, key);
  return value.is_string() ? value.get<std::string>() : std::string{};
}

int int_member(const json& object, const char* key, int fallback) {
  const auto& value = member(object, key);
  return value.is_number_integer() ? value.get<int>() : fallback;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool names_kind(const V1Kind& k, const std::string& text) {
  const std::string l = lower(text);
  return l == lower(k.kind) || l == k.plural;
}

const json* framework_container(const V1Kind& kind, const json& pod_spec) {
  const auto& containers = member(pod_spec, "containers");
  if (!containers.is_array()) return nullptr;
  for (const auto& c : containers) {
    if (string_member(c, "name") == kind.container) return &c;
  }
  return nullptr;
}

}  // namespace

const std::vector<V1Kind>& v1_kinds() {
  static const std::vector<V1Kind> kinds{
      {"PyTorchJob", "pytorchjobs", "pytorchReplicaSpecs", {"Master", "Worker"}, "pytorch", 23456},
      {"TFJob",
       "tfjobs",
       "tfReplicaSpecs",
       {"Chief", "Master", "PS", "Worker", "Evaluator"},
       "tensorflow",
       2222},
      {"XGBoostJob", "xgboostjobs", "xgbReplicaSpecs", {"Master", "Worker"}, "xgboost", 9999},
      {"JAXJob", "jaxjobs", "jaxReplicaSpecs", {"Worker"}, "jax", 6666},
      {"PaddleJob", "paddlejobs", "paddleReplicaSpecs", {"Master", "Worker"}, "paddle", 36543},
      {"MPIJob", "mpijobs", "mpiReplicaSpecs", {"Launcher", "Worker"}, "mpi", 9999},
  };
  return kinds;
}

const V1Kind& mxjob_kind() {
  static const V1Kind kind{
      "MXJob",          "mxjobs",
      "mxReplicaSpecs", {"Scheduler", "Server", "Worker", "TunerTracker", "TunerServer", "Tuner"},
      "mxnet",          9091};
  return kind;
}

bool is_mxjob(const std::string& kind) { return names_kind(mxjob_kind(), kind); }

Error mxjob_removed_error(const std::string& what) {
  return Error(
      ErrorCode::kInvalidArgument,
      fmt::format(
          "cannot {}: MXJob was deprecated in Kubeflow Training Operator v1.8 and removed in "
          "v1.9, because Apache MXNet was retired; no Kubeflow Trainer release runs it. Ways "
          "forward: port the training code to PyTorch (then a PyTorchJob or a TrainJob on "
          "torch-distributed) or another supported framework; or run the existing MXNet "
          "container unchanged as a TrainJob on a custom TrainingRuntime, which the converter "
          "generates only when asked explicitly (allow_mxjob=True, CLI --allow-mxjob) and whose "
          "report lists what it cannot guarantee",
          what),
      {.field = "kind",
       .hint = "Port the job to PyTorch, or convert it with allow_mxjob=True (--allow-mxjob)",
       .kind = "MXJob"});
}

const V1Kind& v1_kind(const std::string& kind) {
  for (const auto& k : v1_kinds()) {
    if (names_kind(k, kind) || lower(kind) + "s" == k.plural) return k;
  }
  if (is_mxjob(kind) || lower(kind) == "mxjob") throw mxjob_removed_error("use kind MXJob");
  std::vector<std::string> names;
  for (const auto& k : v1_kinds()) names.push_back(k.kind);
  throw Error(ErrorCode::kInvalidArgument,
              fmt::format("{:?} is not a Training Operator v1 job kind: use one of {}", kind,
                          fmt::join(names, ", ")),
              {.field = "kind", .hint = "Pass a kind such as \"PyTorchJob\""});
}

std::string v1_pod_selector(const std::string& name) {
  return name.empty() ? kJobNameLabel : fmt::format("{}={}", kJobNameLabel, name);
}

bool v1_pod_of(const V1Kind& kind, const std::string& name, const json& pod) {
  const auto& labels = member(member(pod, "metadata"), "labels");
  if (string_member(labels, kJobNameLabel) != name) return false;
  const std::string operator_name = string_member(labels, kOperatorNameLabel);
  // v1.9 labels pods "<kind>-controller"; older releases did not label the operator at all.
  return operator_name.empty() || operator_name == lower(kind.kind) + "-controller";
}

V1JobInfo v1_job_from_objects(const V1Kind& kind, const json& job,
                              const std::vector<const json*>& pods) {
  V1JobInfo info;
  info.kind = kind.kind;
  const auto& metadata = member(job, "metadata");
  info.name = string_member(metadata, "name");
  info.namespace_name = string_member(metadata, "namespace");
  info.creation_timestamp = string_member(metadata, "creationTimestamp");

  const auto& status = member(job, "status");
  const auto& replica_statuses = member(status, "replicaStatuses");
  const auto& specs = member(member(job, "spec"), kind.replica_field.c_str());
  for (const auto& type : kind.replica_types) {
    const auto& spec = member(specs, type.c_str());
    if (!spec.is_object()) continue;
    V1ReplicaInfo replica;
    replica.type = type;
    replica.replicas = int_member(spec, "replicas", 1);
    replica.restart_policy = string_member(spec, "restartPolicy");
    if (const json* c = framework_container(kind, member(member(spec, "template"), "spec"))) {
      replica.image = string_member(*c, "image");
    }
    const auto& counts = member(replica_statuses, type.c_str());
    replica.active = int_member(counts, "active", 0);
    replica.succeeded = int_member(counts, "succeeded", 0);
    replica.failed = int_member(counts, "failed", 0);
    info.replicas.push_back(std::move(replica));
  }

  const auto& conditions = member(status, "conditions");
  if (conditions.is_array()) {
    for (const auto& c : conditions) {
      ConditionInfo condition{string_member(c, "type"), string_member(c, "status"),
                              string_member(c, "reason"), string_member(c, "message"),
                              string_member(c, "lastTransitionTime")};
      if (condition.status == "True" && !condition.type.empty()) {
        info.status = condition.type;
        info.message = condition.message;
      }
      info.conditions.push_back(std::move(condition));
    }
  }
  info.start_time = string_member(status, "startTime");
  info.completion_time = string_member(status, "completionTime");

  // Newest pod first, so that a restarted pod replaces its predecessor of the same step.
  std::vector<const json*> ordered(pods.begin(), pods.end());
  std::stable_sort(ordered.begin(), ordered.end(), [](const json* a, const json* b) {
    return string_member(member(*a, "metadata"), "creationTimestamp") >
           string_member(member(*b, "metadata"), "creationTimestamp");
  });
  std::map<std::pair<std::size_t, int>, StepInfo> steps;  // (replica type order, index)
  for (const json* pod : ordered) {
    const auto& labels = member(member(*pod, "metadata"), "labels");
    const std::string type = lower(string_member(labels, kReplicaTypeLabel));
    const std::string index_text = string_member(labels, kReplicaIndexLabel);
    int index = 0;
    const char* end = index_text.data() + index_text.size();
    const auto [stop, error] = std::from_chars(index_text.data(), end, index);
    if (type.empty() || error != std::errc{} || stop != end || index < 0) continue;
    std::size_t order = kind.replica_types.size();
    for (std::size_t i = 0; i < kind.replica_types.size(); ++i) {
      if (lower(kind.replica_types[i]) == type) order = i;
    }
    if (steps.contains({order, index})) continue;
    StepInfo step;
    step.name = fmt::format("{}-{}", type, index);
    step.pod_name = string_member(member(*pod, "metadata"), "name");
    const auto& phase = member(member(*pod, "status"), "phase");
    if (phase.is_string()) step.status = phase.get<std::string>();
    if (const json* c = framework_container(kind, member(*pod, "spec"))) {
      const auto& limits = member(member(*c, "resources"), "limits");
      std::string device;
      std::string count;
      try {
        if (limits.is_object() && container_devices(limits, device, count)) {
          step.device = device;
          step.device_count = count;
        }
      } catch (const Error&) {
        // Two MIG profiles: the device stays Unknown rather than failing the listing.
      }
    }
    steps.emplace(std::make_pair(order, index), std::move(step));
  }
  for (auto& [key, step] : steps) info.steps.push_back(std::move(step));
  return info;
}

}  // namespace kubeflow::trainer
