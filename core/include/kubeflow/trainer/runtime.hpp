// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace kubeflow::trainer {

/// How the runtime launches a CustomTrainer's code; the facade maps it to upstream's command.
enum class Launcher {
  kTorchTune,  ///< framework "torchtune": ("tune", "run")
  kTorchrun,   ///< mlPolicy.torch present
  kMpirun,     ///< mlPolicy.mpi present (truthy)
  kPython,     ///< anything else (jax, xgboost, flux, plain)
};

/// The parts of a TrainingRuntime / ClusterTrainingRuntime the SDK exposes as `Runtime`.
struct RuntimeInfo {
  std::string name;
  std::string kind;                 ///< "ClusterTrainingRuntime" or "TrainingRuntime"
  std::string trainer_type;         ///< "CustomTrainer" or "BuiltinTrainer" (framework torchtune)
  std::string framework;            ///< label trainer.kubeflow.org/framework
  std::string image;                ///< image of the `node` container of the trainer ancestor job
  int num_nodes = 1;                ///< mlPolicy.numNodes, default 1
  std::string device = "Unknown";   ///< "gpu", "tpu", "npu", "cpu", "mig-<profile>"
  std::string device_count = "Unknown";
  Launcher launcher = Launcher::kPython;
};

/// Parses a runtime object (as returned by the API server, or the `runtime` key of a TrainJob's
/// runtime snapshot) with upstream's rules (kubeflow-sdk.md §3.3, §3.6). `kind_hint` is used when
/// the object has no `kind`. Throws Error{kInvalidArgument} naming the JSON path when
/// metadata.name, spec.mlPolicy, spec.template.spec.replicatedJobs, the framework label or the
/// trainer `node` container (or its image) is missing.
[[nodiscard]] RuntimeInfo parse_runtime(const nlohmann::json& object,
                                        const std::string& kind_hint = "");

/// `(device, count)` from a container's `resources.limits` (upstream get_container_devices).
/// Returns false when there are no recognized limits. Unlike upstream, limits with only
/// memory/other keys give false instead of an exception (ours; see docs/differences.md).
/// Throws Error{kInvalidArgument} for more than one MIG key.
bool container_devices(const nlohmann::json& limits, std::string& device, std::string& count);

}  // namespace kubeflow::trainer
