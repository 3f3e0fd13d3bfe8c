// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "k8s/rest_client.hpp"
#include "kubeflow/trainer/job_info.hpp"

namespace kubeflow::trainer {

/// The events of TrainJob `name` in `ns`, its JobSet, its Jobs (<job>-<replicatedJob>-<n>) and
/// Pods (restarted pods' predecessors included), oldest first. Three requests; kNotFound when the
/// TrainJob does not exist.
[[nodiscard]] std::vector<EventInfo> get_job_events(k8s::RestClient& rest, const std::string& ns,
                                                    const std::string& name);

}  // namespace kubeflow::trainer
