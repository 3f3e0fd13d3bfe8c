// SPDX-License-Identifier: Apache-2.0
#include "kubeflow/trainer/runtime.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "trainer/job_spec_errors.hpp"

namespace kubeflow::trainer {

namespace {

using detail::fail_invalid;
using detail::quote_text;
using nlohmann::json;

constexpr const char* kFrameworkLabel = "trainer.kubeflow.org/framework";
constexpr const char* kAncestorLabel = "trainer.kubeflow.org/trainjob-ancestor-step";
constexpr const char* kTrainerContainer = "node";
constexpr std::string_view kMigPrefix = "nvidia.com/mig-";
constexpr std::string_view kReplicatedJobsPath = "spec.template.spec.replicatedJobs";

/// `object[key]` when `object` is an object holding a non-null `key`, else nullptr.
const json* child(const json* object, const char* key) {
  if (object == nullptr || !object->is_object()) return nullptr;
  const auto it = object->find(key);
  if (it == object->end() || it->is_null()) return nullptr;
  return &*it;
}

const json* child_path(const json* object, std::initializer_list<const char*> keys) {
  for (const char* key : keys) object = child(object, key);
  return object;
}

std::string string_or_empty(const json* value) {
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

/// A quantity as text: strings as written, whole numbers without a decimal point.
std::string quantity_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_unsigned()) return std::to_string(value.get<unsigned long long>());
  if (value.is_number_integer()) return std::to_string(value.get<long long>());
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (std::isfinite(number) && number == std::floor(number) && std::fabs(number) < 1e15) {
      return std::to_string(static_cast<long long>(number));
    }
    return fmt::format("{}", number);
  }
  return "Unknown";
}

/// A positive integer, or 0 when absent, not an integer or not positive (upstream's truthiness).
long long positive_integer(const json* value) {
  if (value == nullptr || !value->is_number_integer()) return 0;
  if (value->is_number_unsigned()) {
    const auto number = value->get<unsigned long long>();
    return number > static_cast<unsigned long long>(std::numeric_limits<long long>::max())
               ? 0
               : static_cast<long long>(number);
  }
  return std::max(value->get<long long>(), 0LL);
}

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

/// Upstream multiplies the per-node count by the node count when the count is a plain integer.
std::string multiplied(const std::string& count, long long factor) {
  unsigned long long value = 0;
  for (char c : count) {
    const auto digit = static_cast<unsigned long long>(c - '0');
    if (value > (std::numeric_limits<unsigned long long>::max() - digit) / 10) return count;
    value = value * 10 + digit;
  }
  const auto times = static_cast<unsigned long long>(factor);
  if (times != 0 && value > std::numeric_limits<unsigned long long>::max() / times) return count;
  return std::to_string(value * times);
}

struct TrainerContainer {
  const json* container = nullptr;
  std::string path;
};

/// The first container named `node` in a replicated job whose template carries the ancestor
/// label (any value), as upstream finds it.
TrainerContainer find_trainer_container(const json& replicated_jobs) {
  for (std::size_t i = 0; i < replicated_jobs.size(); ++i) {
    const json* job = &replicated_jobs[i];
    const json* labels = child_path(job, {"template", "metadata", "labels"});
    if (labels == nullptr || !labels->is_object() || !labels->contains(kAncestorLabel)) continue;
    const json* containers =
        child_path(job, {"template", "spec", "template", "spec", "containers"});
    if (containers == nullptr || !containers->is_array()) continue;
    for (std::size_t j = 0; j < containers->size(); ++j) {
      const json& container = (*containers)[j];
      if (string_or_empty(child(&container, "name")) == kTrainerContainer) {
        return {&container, fmt::format("{}[{}].template.spec.template.spec.containers[{}]",
                                        kReplicatedJobsPath, i, j)};
      }
    }
  }
  return {};
}

Launcher launcher_for(const std::string& framework, const json& ml_policy) {
  if (framework == "torchtune") return Launcher::kTorchTune;
  if (child(&ml_policy, "torch") != nullptr) return Launcher::kTorchrun;
  // Upstream tests `if ml_policy.mpi:` on a generated model object, which is truthy even when
  // every field is unset, so any mpi object selects mpirun.
  if (const json* mpi = child(&ml_policy, "mpi"); mpi != nullptr && mpi->is_object()) {
    return Launcher::kMpirun;
  }
  return Launcher::kPython;
}

}  // namespace

bool container_devices(const json& limits, std::string& device, std::string& count,
                       const std::string& field) {
  if (!limits.is_object()) return false;
  const auto pick = [&](const char* name, const json& value) {
    device = name;
    count = quantity_text(value);
    return true;
  };
  if (const json* gpu = child(&limits, "nvidia.com/gpu")) return pick("gpu", *gpu);
  if (const json* tpu = child(&limits, "google.com/tpu")) return pick("tpu", *tpu);

  std::vector<std::string> mig_keys;
  for (const auto& [key, value] : limits.items()) {
    if (key.starts_with(kMigPrefix)) mig_keys.push_back(key);
  }
  if (mig_keys.size() > 1) {
    fail_invalid(
        field, "cannot read the devices of a container",
        fmt::format("it requests more than one MIG profile ({}, {})", mig_keys[0], mig_keys[1]),
        "Request a single nvidia.com/mig-<profile> resource per container");
  }
  if (mig_keys.size() == 1) {
    device = mig_keys[0].substr(std::string_view("nvidia.com/").size());
    count = quantity_text(limits.at(mig_keys[0]));
    return true;
  }
  if (const json* npu = child(&limits, "huawei.com/Ascend910")) return pick("npu", *npu);
  if (const json* cpu = child(&limits, "cpu")) return pick("cpu", *cpu);
  return false;
}

RuntimeInfo parse_runtime(const json& object, const std::string& kind_hint) {
  RuntimeInfo info;
  info.name = string_or_empty(child_path(&object, {"metadata", "name"}));
  const std::string what = info.name.empty()
                               ? std::string("invalid training runtime")
                               : fmt::format("invalid training runtime {}", quote_text(info.name));
  const std::string fix_hint = "Fix the runtime on the cluster or choose another runtime";
  if (info.name.empty()) {
    fail_invalid("metadata.name", what, "metadata.name is missing",
                 "Pass a TrainingRuntime or ClusterTrainingRuntime object as the API returns it");
  }

  const json* kind = child(&object, "kind");
  info.kind = kind != nullptr ? string_or_empty(kind) : kind_hint;
  if (info.kind != "ClusterTrainingRuntime" && info.kind != "TrainingRuntime") {
    fail_invalid("kind", what,
                 fmt::format("kind {} is not ClusterTrainingRuntime or TrainingRuntime",
                             quote_text(info.kind)),
                 "Pass a runtime object, or give kind_hint when the object has no kind");
  }

  const json* ml_policy = child_path(&object, {"spec", "mlPolicy"});
  if (ml_policy == nullptr || !ml_policy->is_object()) {
    fail_invalid("spec.mlPolicy", what, "spec.mlPolicy is missing", fix_hint);
  }
  const json* replicated_jobs = child_path(&object, {"spec", "template", "spec", "replicatedJobs"});
  if (replicated_jobs == nullptr || !replicated_jobs->is_array() || replicated_jobs->empty()) {
    fail_invalid(std::string(kReplicatedJobsPath), what,
                 "spec.template.spec.replicatedJobs is missing or empty", fix_hint);
  }
  const json* framework = child(child_path(&object, {"metadata", "labels"}), kFrameworkLabel);
  if (framework == nullptr || !framework->is_string()) {
    fail_invalid(fmt::format("metadata.labels[{}]", quote_text(kFrameworkLabel)), what,
                 fmt::format("the label {} is missing", kFrameworkLabel),
                 fmt::format("Label the runtime with {}, e.g. \"torch\"", kFrameworkLabel));
  }
  info.framework = framework->get<std::string>();

  const TrainerContainer trainer = find_trainer_container(*replicated_jobs);
  if (trainer.container == nullptr) {
    fail_invalid(std::string(kReplicatedJobsPath), what,
                 fmt::format("it has no trainer container: no replicated job labelled {} has a "
                             "container named \"{}\"",
                             kAncestorLabel, kTrainerContainer),
                 fix_hint);
  }
  info.image = string_or_empty(child(trainer.container, "image"));
  if (info.image.empty()) {
    fail_invalid(trainer.path + ".image", what, "the trainer container \"node\" has no image",
                 fix_hint);
  }

  info.trainer_type = info.framework == "torchtune" ? "BuiltinTrainer" : "CustomTrainer";
  info.launcher = launcher_for(info.framework, *ml_policy);

  if (const json* limits = child_path(trainer.container, {"resources", "limits"})) {
    container_devices(*limits, info.device, info.device_count, trainer.path + ".resources.limits");
  }
  if (const long long procs = positive_integer(child_path(ml_policy, {"mpi", "numProcPerNode"}))) {
    info.device_count = std::to_string(procs);
  }
  const long long num_nodes = positive_integer(child(ml_policy, "numNodes"));
  if (num_nodes > 0) {
    if (all_digits(info.device_count)) info.device_count = multiplied(info.device_count, num_nodes);
    if (num_nodes <= std::numeric_limits<int>::max()) info.num_nodes = static_cast<int>(num_nodes);
  }
  return info;
}

}  // namespace kubeflow::trainer
