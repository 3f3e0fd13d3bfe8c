// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kubeflow::trainer {

/// One thing of a v1 job the converter could not carry over, or carried with a changed meaning.
struct MigrationNote {
  std::string job;     ///< "PyTorchJob/mnist"
  std::string field;   ///< where in the v1 job: "spec.runPolicy.cleanPodPolicy"
  std::string reason;  ///< why, and what to do instead
};

struct MigrateOptions {
  /// Convert MXJobs to a TrainJob on a generated custom runtime instead of refusing them.
  bool allow_mxjob = false;
};

/// What converting v1 jobs gives: for each job in order, the TrainingRuntime generated for it
/// (when no shipped runtime fits) and then its TrainJob; and every note, job by job.
struct Migration {
  std::vector<nlohmann::json> manifests;
  std::vector<MigrationNote> report;
};

/// Converts Training Operator v1 jobs (kubeflow.org/v1 PyTorchJob, TFJob, XGBoostJob, JAXJob,
/// PaddleJob, MPIJob; MXJob only with allow_mxjob) to Kubeflow Trainer v2 manifests. Pure: no
/// I/O. PyTorchJob, XGBoostJob and JAXJob go to the shipped torch-distributed,
/// xgboost-distributed and jax-distributed runtimes (the pod template through runtimePatches);
/// TFJob, PaddleJob, MPIJob and MXJob get a generated TrainingRuntime "<job>-<kind>" that holds
/// their pod templates. Every field not carried, or carried with another meaning, is a note;
/// server-set metadata (uid, resourceVersion, ...) and status are dropped without one. Throws
/// Error{kInvalidArgument} naming the job and field when a job cannot be converted at all (not
/// a v1 job, no framework container, an MXJob without allow_mxjob).
[[nodiscard]] Migration migrate_v1_jobs(const std::vector<nlohmann::json>& jobs,
                                        const MigrateOptions& options = {});

/// The v1 jobs of YAML or JSON text: one or many documents, each a job or a `kind: List` of
/// them (what `kubectl get -o yaml` writes); empty documents are skipped. `source` names the
/// text in errors. Throws Error{kInvalidArgument} for malformed YAML or a document that is not
/// a mapping.
[[nodiscard]] std::vector<nlohmann::json> v1_jobs_from_text(const std::string& text,
                                                            const std::string& source);

}  // namespace kubeflow::trainer
