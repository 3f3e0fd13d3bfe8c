// SPDX-License-Identifier: Apache-2.0
// A (Cluster)TrainingRuntime object as the API server could send it -> RuntimeInfo. The parser
// must return or throw kubeflow::Error; any other exception escapes and libFuzzer reports it.
#include <cstddef>
#include <cstdint>

#include "fuzz_json.hpp"
#include "kubeflow/error.hpp"
#include "kubeflow/trainer/runtime.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nlohmann::json object = kubeflow::fuzz::json_of(data, size);
  if (object.is_discarded()) return 0;
  try {
    (void)kubeflow::trainer::parse_runtime(object, "ClusterTrainingRuntime");
  } catch (const kubeflow::Error&) {
    // Our typed error: the contract.
  }
  try {
    std::string device;
    std::string count;
    (void)kubeflow::trainer::container_devices(object, device, count);
  } catch (const kubeflow::Error&) {
  }
  return 0;
}
