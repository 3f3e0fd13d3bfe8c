// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "k8s/rest_client.hpp"
#include "kubeflow/trainer/job_info.hpp"

namespace kubeflow::trainer {

/// The events in `event_list` (an EventList) about TrainJob `name`, its JobSet, its Jobs
/// (<job>-<replicatedJob>-<n>) and the pods in `pod_list` (a PodList), oldest first. Fields of
/// the wrong type read as empty. Pure; never throws.
[[nodiscard]] std::vector<EventInfo> events_of_job(const nlohmann::json& pod_list,
                                                   const nlohmann::json& event_list,
                                                   const std::string& name);

/// The events of TrainJob `name` in `ns`, its JobSet, its Jobs (<job>-<replicatedJob>-<n>) and
/// Pods (restarted pods' predecessors included), oldest first. Three requests; kNotFound when the
/// TrainJob does not exist.
[[nodiscard]] std::vector<EventInfo> get_job_events(k8s::RestClient& rest, const std::string& ns,
                                                    const std::string& name);

}  // namespace kubeflow::trainer
