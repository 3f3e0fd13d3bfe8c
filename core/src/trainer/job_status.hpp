// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kubeflow/trainer/job_info.hpp"

namespace kubeflow::trainer {

/// The label selector matching every pod of TrainJob `name` (empty: of every TrainJob).
[[nodiscard]] std::string pod_selector(const std::string& name);

/// Derives a TrainJobInfo from a TrainJob object, its pods (any order, restarted copies
/// included) and its resolved runtime. Pure: no I/O.
///
/// Steps: pods are taken newest first and deduplicated per role and completion index, so a
/// restarted pod replaces its predecessor; a node or launcher pod whose completion index is not
/// a non-negative integer (only a hand-made pod) is left out. Status: a True Failed/Complete
/// condition decides (the last one listed wins, as upstream); otherwise Suspended=True gives
/// "Suspended"; otherwise the job is Running when every node step is Running or Succeeded and there
/// are at least numNodes of them (an MPI launcher counts as a node step), else Created. Unlike
/// upstream, non-terminal conditions (Suspended=False after a Kueue resume) do not pin it at
/// Created.
[[nodiscard]] TrainJobInfo job_from_objects(const nlohmann::json& trainjob,
                                            const std::vector<const nlohmann::json*>& pods,
                                            const RuntimeInfo& runtime);

}  // namespace kubeflow::trainer
