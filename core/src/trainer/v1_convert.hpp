// SPDX-License-Identifier: Apache-2.0
// The converter of one v1 job (see kubeflow/trainer/v1_migrate.hpp). Split in two files: the
// common part and the shipped-runtime targets (v1_migrate.cpp), the generated runtimes
// (v1_runtime_gen.cpp).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kubeflow/trainer/v1_job.hpp"
#include "kubeflow/trainer/v1_migrate.hpp"

namespace kubeflow::trainer::v1 {

using nlohmann::json;

inline constexpr const char* kTrainerApiVersion = "trainer.kubeflow.org/v1alpha1";
inline constexpr const char* kAncestorLabel = "trainer.kubeflow.org/trainjob-ancestor-step";
inline constexpr const char* kFrameworkLabel = "trainer.kubeflow.org/framework";

/// Null when `object` is not an object or has no `key`.
[[nodiscard]] const json& member(const json& object, const std::string& key);
[[nodiscard]] std::string lower(std::string text);

class JobConverter {
 public:
  JobConverter(const json& job, const V1Kind& kind, Migration& out);
  /// Appends the job's manifests and notes to the Migration.
  void convert();

 private:
  // Common (v1_migrate.cpp).
  void note(const std::string& field, const std::string& reason);
  [[noreturn]] void refuse(const std::string& field, const std::string& message) const;
  [[nodiscard]] std::string replica_path(const std::string& type) const;
  void read_metadata();
  void read_spec_keys();
  void read_replicas();
  void read_run_policy(bool generated_runtime);
  [[nodiscard]] const json& container_of(const std::string& type) const;
  [[nodiscard]] int replicas_of(const std::string& type) const;
  void compare_templates(const std::string& used, const std::string& other);
  void note_restart_policies();
  // Shipped runtimes: torch-distributed, xgboost-distributed, jax-distributed.
  void to_shipped_runtime(const std::string& runtime, const std::string& primary, int num_nodes);
  json trainer_from_container(const std::string& type, int num_nodes);
  [[nodiscard]] json runtime_patch(const std::string& type);
  void pytorch_extras(json& trainer);

  // Generated runtimes (v1_runtime_gen.cpp).
  void to_generated_runtime();
  [[nodiscard]] json replicated_job(const std::string& type, const std::string& job_name,
                                    bool trainer_step, bool set_parallelism);
  [[nodiscard]] std::string node_type() const;
  void generated_extras(json& runtime_spec, const std::string& node);

  const json& job_;
  const V1Kind& kind_;
  Migration& out_;
  std::string name_;
  std::string id_;  // "PyTorchJob/mnist", the job of each note
  json trainjob_;
  std::map<std::string, const json*> replicas_;  // by replica type, in v1 order
  std::vector<std::string> types_;               // present replica types, in v1 order
  json failure_policy_;                          // from runPolicy, for a generated runtime
  json ttl_;                                     // ditto
};

}  // namespace kubeflow::trainer::v1
