// SPDX-License-Identifier: Apache-2.0
// Reading Training Operator v1 jobs (kubeflow.org/v1) and creating what the converter made, for
// TrainerApi. Only called when asked: TrainerApi::list_jobs never touches v1.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "k8s/rest_client.hpp"
#include "kubeflow/trainer/v1_job.hpp"

namespace kubeflow::trainer {

/// Where the v1 jobs of `kind` live.
[[nodiscard]] k8s::Resource v1_resource(const V1Kind& kind);

/// The v1 jobs in `ns`, of `kind` or of every installed v1.9 kind (a kind whose CRD is not
/// served is skipped; kNotFound naming the CRDs when none is). One list per kind, one of pods.
[[nodiscard]] std::vector<V1JobInfo> list_v1_jobs(k8s::RestClient& rest, const std::string& ns,
                                                  const std::optional<std::string>& kind);

/// The v1 job as the server stores it. kNotFound names the CRD when it is not served, else the
/// job. MXJob: the error of mxjob_removed_error() unless `allow_mxjob`.
[[nodiscard]] nlohmann::json stored_v1_job(k8s::RestClient& rest, const std::string& ns,
                                           const std::string& kind, const std::string& name,
                                           bool allow_mxjob);

/// One v1 job with its steps (two requests).
[[nodiscard]] V1JobInfo get_v1_job(k8s::RestClient& rest, const std::string& ns,
                                   const std::string& kind, const std::string& name);

/// Creates a manifest of a Migration (a TrainingRuntime or a TrainJob) in `ns` with strict field
/// validation; with `dry_run`, only validated by the server (dryRun=All). Returns the object as
/// the server answered. Throws Error{kInvalidArgument} for any other kind or another namespace.
[[nodiscard]] nlohmann::json create_migrated(k8s::RestClient& rest, const std::string& ns,
                                             const nlohmann::json& manifest, bool dry_run);

}  // namespace kubeflow::trainer
