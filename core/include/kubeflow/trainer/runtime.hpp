// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace kubeflow::trainer {

/// How the runtime launches a CustomTrainer's code; the facade maps it to upstream's command.
enum class Launcher {
  kTorchTune,  ///< framework "torchtune": ("tune", "run")
  kTorchrun,   ///< mlPolicy.torch present (even {})
  kMpirun,     ///< mlPolicy.mpi present (any object: upstream's model object is always truthy)
  kPython,     ///< anything else (jax, xgboost, flux, plain)
};

/// The parts of a TrainingRuntime / ClusterTrainingRuntime the SDK exposes as `Runtime`.
struct RuntimeInfo {
  std::string name;
  std::string kind;                ///< "ClusterTrainingRuntime" or "TrainingRuntime"
  std::string trainer_type;        ///< "CustomTrainer" or "BuiltinTrainer" (framework torchtune)
  std::string framework;           ///< label trainer.kubeflow.org/framework
  std::string image;               ///< image of the `node` container of the trainer ancestor job
  int num_nodes = 1;               ///< mlPolicy.numNodes, default 1
  std::string device = "Unknown";  ///< "gpu", "tpu", "npu", "cpu", "mig-<profile>"
  std::string device_count = "Unknown";
  Launcher launcher = Launcher::kPython;
};

/// Parses a runtime object (as returned by the API server, or the `runtime` key of a TrainJob's
/// runtime snapshot) with upstream's rules (kubeflow-sdk.md §3.3, §3.6). `kind_hint` is used when
/// the object has no `kind`. Throws Error{kInvalidArgument} naming the JSON path in details.field
/// when metadata.name, a valid kind, spec.mlPolicy, spec.template.spec.replicatedJobs, the
/// framework label or the trainer `node` container (or its image) is missing, or when the trainer
/// container asks for more than one MIG profile. Pure; thread-safe.
[[nodiscard]] RuntimeInfo parse_runtime(const nlohmann::json& object,
                                        const std::string& kind_hint = "");

/// `(device, count)` from a container's `resources.limits` (upstream get_container_devices):
/// nvidia.com/gpu -> "gpu", google.com/tpu -> "tpu", one nvidia.com/mig-<p> -> "mig-<p>",
/// huawei.com/Ascend910 -> "npu", cpu -> "cpu", first match in that order. The count is the
/// quantity as written; a JSON integer is printed without a decimal point ("2", where upstream
/// prints "2.0" for Python ints). Returns false, leaving the outputs untouched, when `limits` is
/// not an object or has no recognized key. Unlike upstream, limits with only memory/other keys
/// give false instead of an exception (ours; see docs/differences.md). Throws
/// Error{kInvalidArgument} with details.field = `field` for more than one MIG key.
bool container_devices(const nlohmann::json& limits, std::string& device, std::string& count,
                       const std::string& field = "resources.limits");

}  // namespace kubeflow::trainer
