// SPDX-License-Identifier: Apache-2.0
#include "kubeflow/trainer/job_spec.hpp"

#include <string>

#include "kubeflow/error.hpp"
#include "trainer/job_spec_errors.hpp"

namespace kubeflow::trainer {

namespace {

using nlohmann::json;

json env_list(const std::vector<EnvVar>& env) {
  json out = json::array();
  for (const auto& var : env) out.push_back({{"name", var.name}, {"value", var.value}});
  return out;
}

json trainer_body(const TrainerSpec& trainer) {
  json out = json::object();
  if (trainer.image) out["image"] = *trainer.image;
  if (trainer.command) out["command"] = *trainer.command;
  if (trainer.args) out["args"] = *trainer.args;
  if (trainer.env) out["env"] = env_list(*trainer.env);
  // Upstream tests `if resources_per_node:`, so {} means "unset"; numNodes is >= 1 when set.
  if (trainer.num_nodes) out["numNodes"] = *trainer.num_nodes;
  if (trainer.resources_per_node.is_object() && !trainer.resources_per_node.empty()) {
    out["resourcesPerNode"] = resources_per_node(trainer.resources_per_node);
  }
  return out;
}

json initializer_body(const InitializerSpec& initializer) {
  json out = {{"storageUri", initializer.storage_uri}, {"env", env_list(initializer.env)}};
  if (initializer.secret_ref) out["secretRef"] = {{"name", *initializer.secret_ref}};
  return out;
}

}  // namespace

json build_trainjob(const JobRequest& request) {
  validate_job_request(request);
  if (!request.runtime_kind) {
    detail::fail_invalid("spec.runtimeRef.kind", "the runtime kind is not set",
                         "the runtime must be resolved before the TrainJob is built",
                         "Set runtime_kind to the kind get_runtime() reports");
  }

  json metadata = {{"name", request.name}};
  if (request.labels.is_object()) metadata["labels"] = request.labels;
  if (request.annotations.is_object()) metadata["annotations"] = request.annotations;

  json spec = {{"runtimeRef", {{"name", request.runtime_name}, {"kind", *request.runtime_kind}}}};
  if (request.trainer) {
    json trainer = trainer_body(*request.trainer);
    if (!trainer.empty()) spec["trainer"] = std::move(trainer);
  }
  if (request.dataset || request.model) {
    json initializer = json::object();
    if (request.dataset) initializer["dataset"] = initializer_body(*request.dataset);
    if (request.model) initializer["model"] = initializer_body(*request.model);
    spec["initializer"] = std::move(initializer);
  }
  if (request.runtime_patches.is_array()) spec["runtimePatches"] = request.runtime_patches;
  if (request.active_deadline_seconds) {
    spec["activeDeadlineSeconds"] = *request.active_deadline_seconds;
  }

  return {{"apiVersion", "trainer.kubeflow.org/v1alpha1"},
          {"kind", "TrainJob"},
          {"metadata", std::move(metadata)},
          {"spec", std::move(spec)}};
}

}  // namespace kubeflow::trainer
