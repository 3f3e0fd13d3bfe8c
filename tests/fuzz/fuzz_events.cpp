// SPDX-License-Identifier: Apache-2.0
// {"pods": PodList, "events": EventList, "name": TrainJob name} -> the job's events
// (events_of_job, what get_job_events returns). Documented as never throwing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_json.hpp"
#include "trainer/job_events.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using kubeflow::fuzz::member;
  const nlohmann::json input = kubeflow::fuzz::json_of(data, size);
  if (input.is_discarded()) return 0;
  const auto& name = member(input, "name");
  (void)kubeflow::trainer::events_of_job(member(input, "pods"), member(input, "events"),
                                         name.is_string() ? name.get<std::string>() : "job");
  return 0;
}
