// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "k8s/rest_client.hpp"
#include "kubeflow/stream.hpp"
#include "kubeflow/trainer/job_info.hpp"
#include "trainer/runtime_resolver.hpp"

namespace kubeflow::trainer {

/// Watches TrainJob `name` in `ns` and its pods (two watches: the TrainJob's on this thread, the
/// pods' on a helper thread; each resumed and re-listed as needed) and emits the TrainJobInfo
/// first as it is now and then each time its status or steps change. Returns when `cancelled`;
/// throws kNotFound when the TrainJob is deleted, and rethrows the pod watch's error.
void watch_job(k8s::RestClient& rest, const std::string& ns, RuntimeResolver& runtimes,
               const std::string& name, const Stream<TrainJobInfo>::Emit& emit,
               const Stream<TrainJobInfo>::Cancelled& cancelled);

}  // namespace kubeflow::trainer
