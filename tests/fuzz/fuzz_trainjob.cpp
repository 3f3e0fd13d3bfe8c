// SPDX-License-Identifier: Apache-2.0
// {"trainjob": TrainJob, "pods": [Pod...], "runtime": runtime object} -> TrainJobInfo with its
// steps and status (job_from_objects), as TrainerApi::get_job / list_jobs build it. A runtime
// that does not parse is replaced by the default one, as the resolver's placeholder is.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_json.hpp"
#include "kubeflow/error.hpp"
#include "trainer/job_status.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using kubeflow::fuzz::member;
  const nlohmann::json input = kubeflow::fuzz::json_of(data, size);
  if (input.is_discarded()) return 0;
  kubeflow::trainer::RuntimeInfo runtime;
  try {
    runtime = kubeflow::trainer::parse_runtime(member(input, "runtime"), "ClusterTrainingRuntime");
  } catch (const kubeflow::Error&) {
    runtime.launcher = (size % 2 == 0) ? kubeflow::trainer::Launcher::kMpirun
                                       : kubeflow::trainer::Launcher::kTorchrun;
  }
  std::vector<const nlohmann::json*> pods;
  const auto& pod_list = member(input, "pods");
  if (pod_list.is_array()) {
    for (const auto& pod : pod_list) pods.push_back(&pod);
  }
  try {
    (void)kubeflow::trainer::job_from_objects(member(input, "trainjob"), pods, runtime);
  } catch (const kubeflow::Error&) {
  }
  return 0;
}
