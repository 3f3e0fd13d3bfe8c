// SPDX-License-Identifier: Apache-2.0
#include "kubeflow/trainer/v1_migrate.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "kubeflow/error.hpp"
#include "trainer/v1_convert.hpp"
#include "util/yaml_json.hpp"

namespace kubeflow::trainer {

namespace v1 {

namespace {

constexpr const char* kManager = "trainer.kubeflow.org/kubeflow-sdk";  // the SDK's patches
constexpr const char* kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

// What the server sets on an object it stores: not the user's intent, dropped without a note.
const std::set<std::string> kServerSetMetadata{"uid",        "resourceVersion", "creationTimestamp",
                                               "generation", "managedFields",   "selfLink"};

// The pod-spec fields a TrainJob's runtimePatches can set (TrainJob CRD of Trainer v2.3.0).
const std::set<std::string> kPatchablePodFields{
    "affinity",        "imagePullSecrets", "initContainers",     "nodeSelector",
    "schedulingGates", "securityContext",  "serviceAccountName", "terminationGracePeriodSeconds",
    "tolerations",     "volumes"};

// The container fields the TrainJob carries: in spec.trainer, or in runtimePatches.
const std::set<std::string> kTrainerContainerFields{"name", "image", "command",
                                                    "args", "env",   "resources"};
const std::set<std::string> kPatchableContainerFields{"volumeMounts", "securityContext"};

bool mentions_torchrun(const json& container) {
  for (const char* key : {"command", "args"}) {
    const auto& list = member(container, key);
    if (!list.is_array()) continue;
    for (const auto& part : list) {
      if (!part.is_string()) continue;
      const auto& text = part.get_ref<const std::string&>();
      if (text.find("torchrun") != std::string::npos ||
          text.find("torch.distributed.run") != std::string::npos ||
          text.find("torch.distributed.launch") != std::string::npos) {
        return true;
      }
    }
  }
  return false;
}

bool default_port_only(const json& ports, int port) {
  if (!ports.is_array()) return false;
  return std::all_of(ports.begin(), ports.end(), [port](const json& p) {
    const auto& number = member(p, "containerPort");
    return number.is_number_integer() && number.get<int>() == port;
  });
}

}  // namespace

const json& member(const json& object, const std::string& key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

JobConverter::JobConverter(const json& job, const V1Kind& kind, Migration& out)
    : job_(job), kind_(kind), out_(out) {
  const auto& name = member(member(job, "metadata"), "name");
  name_ = name.is_string() ? name.get<std::string>() : std::string();
  id_ = fmt::format("{}/{}", kind.kind, name_);
  if (name_.empty()) refuse("metadata.name", "has no metadata.name");
}

void JobConverter::note(const std::string& field, const std::string& reason) {
  out_.report.push_back({id_, field, reason});
}

void JobConverter::refuse(const std::string& field, const std::string& message) const {
  throw Error(ErrorCode::kInvalidArgument, fmt::format("cannot convert {}: {}", id_, message),
              {.field = field, .kind = kind_.kind, .name = name_});
}

std::string JobConverter::replica_path(const std::string& type) const {
  return fmt::format("spec.{}.{}", kind_.replica_field, type);
}

void JobConverter::read_metadata() {
  trainjob_ = {{"apiVersion", kTrainerApiVersion},
               {"kind", "TrainJob"},
               {"metadata", {{"name", name_}}},
               {"spec", json::object()}};
  const auto& metadata = member(job_, "metadata");
  for (const auto& [key, value] : metadata.items()) {
    if (key == "name" || kServerSetMetadata.contains(key)) continue;
    if (key == "namespace" || key == "labels") {
      trainjob_["metadata"][key] = value;
    } else if (key == "annotations" && value.is_object()) {
      json kept = value;
      kept.erase(kLastApplied);  // kubectl's copy of the v1 object: meaningless on a TrainJob
      if (!kept.empty()) trainjob_["metadata"]["annotations"] = kept;
    } else {
      note("metadata." + key,
           "not carried: a new object cannot take over another's " + key + "; set it again");
    }
  }
}

void JobConverter::read_spec_keys() {
  std::set<std::string> known{kind_.replica_field, "runPolicy"};
  if (kind_.kind == "PyTorchJob") known.insert({"nprocPerNode", "elasticPolicy"});
  if (kind_.kind == "TFJob") known.insert({"successPolicy", "enableDynamicWorker"});
  if (kind_.kind == "PaddleJob") known.insert("elasticPolicy");
  if (kind_.kind == "MPIJob") known.insert({"slotsPerWorker", "mainContainer", "cleanPodPolicy"});
  if (kind_.kind == "MXJob") known.insert("jobMode");
  const auto& spec = member(job_, "spec");
  if (!spec.is_object()) refuse("spec", "has no spec");
  for (const auto& [key, value] : spec.items()) {
    if (!known.contains(key)) {
      note("spec." + key,
           fmt::format("not carried: not a field of {} in Training Operator v1.9", kind_.kind));
    }
  }
}

void JobConverter::read_replicas() {
  const auto& specs = member(member(job_, "spec"), kind_.replica_field);
  if (!specs.is_object() || specs.empty()) {
    refuse("spec." + kind_.replica_field, fmt::format("spec.{} is empty", kind_.replica_field));
  }
  for (const auto& type : kind_.replica_types) {
    auto it = specs.find(type);
    if (it == specs.end() || it->is_null()) continue;
    if (!it->is_object()) refuse(replica_path(type), replica_path(type) + " is not a mapping");
    replicas_[type] = &*it;
    types_.push_back(type);
  }
  for (const auto& [type, spec] : specs.items()) {
    if (!replicas_.contains(type)) {
      note(replica_path(type), fmt::format("not carried: {} has no replica type {:?} (it has {})",
                                           kind_.kind, type, fmt::join(kind_.replica_types, ", ")));
    }
  }
  if (types_.empty()) refuse("spec." + kind_.replica_field, "has no known replica type");
  for (const auto& type : types_) (void)container_of(type);  // each must have one
}

const json& JobConverter::container_of(const std::string& type) const {
  std::string wanted = kind_.container;
  const auto& main = member(member(job_, "spec"), "mainContainer");
  if (main.is_string() && !main.get<std::string>().empty()) wanted = main.get<std::string>();
  const auto& containers =
      member(member(member(*replicas_.at(type), "template"), "spec"), "containers");
  if (containers.is_array()) {
    for (const auto& c : containers) {
      if (member(c, "name") == wanted) return c;
    }
  }
  refuse(replica_path(type) + ".template.spec.containers",
         fmt::format("{} has no container named {:?}: Training Operator v1 runs the framework "
                     "container of that name, and the converter looks for it",
                     replica_path(type), wanted));
}

int JobConverter::replicas_of(const std::string& type) const {
  const auto& value = member(*replicas_.at(type), "replicas");
  if (value.is_null()) return 1;
  if (!value.is_number_integer() || value.get<int>() < 0) {
    refuse(replica_path(type) + ".replicas", "replicas must be a non-negative integer");
  }
  return value.get<int>();
}

void JobConverter::note_restart_policies() {
  for (const auto& type : types_) {
    const auto& policy = member(*replicas_.at(type), "restartPolicy");
    if (policy.is_string()) {
      note(replica_path(type) + ".restartPolicy",
           fmt::format("not carried: {} has no per-replica restart policy ({}); failed pods are "
                       "retried by the runtime's JobSet failurePolicy and the Jobs' backoffLimit",
                       kind_.kind == "MPIJob" ? "a TrainJob" : "a TrainJob on a shipped runtime",
                       policy.get<std::string>()));
    }
  }
}

void JobConverter::read_run_policy(bool generated_runtime) {
  const auto& policy = member(member(job_, "spec"), "runPolicy");
  const std::string base = "spec.runPolicy.";
  for (const auto& [key, value] : policy.items()) {
    if (value.is_null()) continue;
    if (key == "suspend" || key == "activeDeadlineSeconds") {
      trainjob_["spec"][key] = value;
    } else if (key == "managedBy") {
      if (value == "kueue.x-k8s.io/multikueue") {
        trainjob_["spec"]["managedBy"] = value;
      } else if (value != "kubeflow.org/training-operator") {
        note(base + key,
             "not carried: a TrainJob is managed by the Trainer controller or "
             "MultiKueue only");
      }
    } else if (key == "backoffLimit" && generated_runtime) {
      failure_policy_ = {{"maxRestarts", value}};
      note(base + key,
           "carried as the runtime's JobSet failurePolicy.maxRestarts: it counts "
           "restarts of the whole JobSet, where v1 counted pod retries");
    } else if (key == "ttlSecondsAfterFinished" && generated_runtime) {
      ttl_ = value;
    } else if (key == "backoffLimit" || key == "ttlSecondsAfterFinished") {
      note(base + key,
           fmt::format(
               "not carried: a TrainJob has no {}; a custom runtime sets it on its "
               "JobSet ({})",
               key,
               key == "backoffLimit" ? "failurePolicy.maxRestarts" : "ttlSecondsAfterFinished"));
    } else if (key == "cleanPodPolicy") {
      note(base + key,
           "not carried: Trainer v2 has no equivalent; the JobSet's pods stay until "
           "the TrainJob is deleted");
    } else if (key == "schedulingPolicy") {
      note(base + key,
           "not carried: gang scheduling is the runtime's podGroupPolicy (coscheduling or "
           "volcano); a queue is the label kueue.x-k8s.io/queue-name for Kueue; a priority "
           "class is the pods' priorityClassName in a runtime");
    } else {
      note(base + key, "not carried: not a v1.9 runPolicy field");
    }
  }
  if (kind_.kind == "MPIJob" && !member(member(job_, "spec"), "cleanPodPolicy").is_null()) {
    note("spec.cleanPodPolicy", "not carried: Trainer v2 has no equivalent");
  }
}

void JobConverter::compare_templates(const std::string& used, const std::string& other) {
  const auto& a = member(*replicas_.at(used), "template");
  const auto& b = member(*replicas_.at(other), "template");
  std::vector<std::string> fields;
  if (member(a, "metadata") != member(b, "metadata")) fields.emplace_back("metadata");
  const auto& sa = member(a, "spec");
  const auto& sb = member(b, "spec");
  std::set<std::string> keys;
  for (const auto& [k, v] : sa.items()) keys.insert(k);
  for (const auto& [k, v] : sb.items()) keys.insert(k);
  for (const auto& k : keys) {
    if (k != "containers" && member(sa, k) != member(sb, k)) fields.push_back("spec." + k);
  }
  const auto& ca = container_of(used);
  const auto& cb = container_of(other);
  keys.clear();
  for (const auto& [k, v] : ca.items()) keys.insert(k);
  for (const auto& [k, v] : cb.items()) keys.insert(k);
  for (const auto& k : keys) {
    if (member(ca, k) != member(cb, k)) fields.push_back(fmt::format("{}.{}", kind_.container, k));
  }
  if (member(sa, "containers").size() != member(sb, "containers").size()) {
    fields.emplace_back("spec.containers");
  }
  if (!fields.empty()) {
    note(replica_path(other) + ".template",
         fmt::format("not carried: differs from {}'s template in {}; Trainer v2 runs every "
                     "training node from one pod template, and {}'s was used",
                     used, fmt::join(fields, ", "), used));
  }
}

json JobConverter::trainer_from_container(const std::string& type, int num_nodes) {
  const json& container = container_of(type);
  json trainer = {{"numNodes", num_nodes}};
  for (const char* key : {"image", "command", "args", "env"}) {
    if (!member(container, key).is_null()) trainer[key] = container[key];
  }
  if (!member(container, "resources").is_null())
    trainer["resourcesPerNode"] = container["resources"];
  const std::string path =
      fmt::format("{}.template.spec.containers[{}]", replica_path(type), kind_.container);
  for (const auto& [key, value] : container.items()) {
    if (kTrainerContainerFields.contains(key) || kPatchableContainerFields.contains(key)) continue;
    if (key == "ports" && default_port_only(value, kind_.port)) continue;  // v1's own port
    note(fmt::format("{}.{}", path, key),
         key == "ports" ? std::string("not carried: the runtime opens the ports it needs; expose "
                                      "others with a Service")
                        : "not carried: a TrainJob sets only image, command, args, env, resources, "
                          "volumeMounts and securityContext of the trainer container");
  }
  return trainer;
}

json JobConverter::runtime_patch(const std::string& type) {
  const auto& tmpl = member(*replicas_.at(type), "template");
  const std::string path = replica_path(type) + ".template";
  json pod_spec = json::object();
  json pod_metadata = json::object();
  for (const auto& [key, value] : member(tmpl, "metadata").items()) {
    if (key == "labels" || key == "annotations") {
      pod_metadata[key] = value;
    } else if (key != "creationTimestamp" && key != "name") {  // kubectl writes a null one
      note(fmt::format("{}.metadata.{}", path, key),
           "not carried: a pod template takes only labels and "
           "annotations");
    }
  }
  for (const auto& [key, value] : member(tmpl, "spec").items()) {
    if (key == "containers") continue;
    if (kPatchablePodFields.contains(key)) {
      pod_spec[key] = value;
    } else {
      note(fmt::format("{}.spec.{}", path, key),
           "not carried: runtimePatches cannot set it on a shipped runtime; use a custom "
           "TrainingRuntime");
    }
  }
  json node = {{"name", "node"}};
  const json& container = container_of(type);
  for (const auto& key : kPatchableContainerFields) {
    if (!member(container, key).is_null()) node[key] = container[key];
  }
  if (node.size() > 1) pod_spec["containers"] = json::array({node});
  for (const auto& c : member(member(tmpl, "spec"), "containers")) {
    if (&c != &container) {
      note(fmt::format("{}.spec.containers[{}]", path, member(c, "name").dump()),
           "not carried: a sidecar container needs a custom TrainingRuntime");
    }
  }
  if (pod_spec.empty() && pod_metadata.empty()) return nullptr;
  json pod = json::object();
  if (!pod_metadata.empty()) pod["metadata"] = pod_metadata;
  if (!pod_spec.empty()) pod["spec"] = pod_spec;
  return {{"manager", kManager},
          {"trainingRuntimeSpec",
           {{"template",
             {{"spec",
               {{"replicatedJobs",
                 json::array(
                     {{{"name", "node"}, {"template", {{"spec", {{"template", pod}}}}}}})}}}}}}}};
}

void JobConverter::pytorch_extras(json& trainer) {
  const auto& spec = member(job_, "spec");
  json nproc = member(spec, "nprocPerNode");
  std::string nproc_field = "spec.nprocPerNode";
  if (nproc.is_null()) {
    nproc = member(member(spec, "elasticPolicy"), "nProcPerNode");
    nproc_field = "spec.elasticPolicy.nProcPerNode";
  }
  if (nproc.is_number_integer()) {
    trainer["numProcPerNode"] = nproc;
  } else if (nproc.is_string()) {
    const std::string text = nproc.get<std::string>();
    int value = 0;
    const auto [stop, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error == std::errc{} && stop == text.data() + text.size() && value > 0) {
      trainer["numProcPerNode"] = value;
    } else if (text != "auto") {
      note(nproc_field, fmt::format("not carried: {:?} has no v2 equivalent; torch-distributed "
                                    "starts one process per GPU, or one per node without GPUs",
                                    text));
    }
  }
  if (!member(spec, "elasticPolicy").is_null()) {
    note("spec.elasticPolicy",
         "not carried: Trainer v2 has no elastic PyTorch training (min/max "
         "replicas, rendezvous settings, maxRestarts, HPA metrics)");
  }
  const std::string primary = replicas_.contains("Master") ? "Master" : "Worker";
  if (!mentions_torchrun(container_of(primary))) {
    note(replica_path(primary) + ".template.spec.containers[pytorch].command",
         "changed meaning: v1 set MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK in every pod; "
         "torch-distributed sets PET_* for torchrun instead, so a command that is not torchrun "
         "gets no rank: start the script with torchrun");
  }
}

void JobConverter::to_shipped_runtime(const std::string& runtime, const std::string& primary,
                                      int num_nodes) {
  read_run_policy(false);
  note_restart_policies();
  for (const auto& type : types_) {
    if (type != primary) compare_templates(primary, type);
  }
  json trainer = trainer_from_container(primary, num_nodes);
  if (kind_.kind == "PyTorchJob") pytorch_extras(trainer);
  const std::string injected = replica_path(primary) + " (injected env)";
  if (kind_.kind == "XGBoostJob") {
    note(injected,
         "changed meaning: v1 set MASTER_ADDR, MASTER_PORT, WORKER_ADDRS, WORKER_PORT, "
         "WORLD_SIZE and RANK; xgboost-distributed sets the DMLC_* tracker variables "
         "instead: code that reads the v1 variables must change");
  }
  if (kind_.kind == "JAXJob") {
    note(injected,
         "changed meaning: v1 set COORDINATOR_ADDRESS, COORDINATOR_PORT, NUM_PROCESSES "
         "and PROCESS_ID; jax-distributed sets JAX_COORDINATOR_ADDRESS, "
         "JAX_NUM_PROCESSES and JAX_PROCESS_ID instead");
  }
  trainjob_["spec"]["runtimeRef"] = {
      {"apiGroup", "trainer.kubeflow.org"}, {"kind", "ClusterTrainingRuntime"}, {"name", runtime}};
  trainjob_["spec"]["trainer"] = std::move(trainer);
  if (json patch = runtime_patch(primary); !patch.is_null()) {
    trainjob_["spec"]["runtimePatches"] = json::array({std::move(patch)});
  }
  out_.manifests.push_back(trainjob_);
}

void JobConverter::convert() {
  read_metadata();
  read_spec_keys();
  read_replicas();
  const auto sum = [&](std::initializer_list<const char*> types) {
    int n = 0;
    for (const char* t : types) n += replicas_.contains(t) ? replicas_of(t) : 0;
    return n;
  };
  const std::string first = types_.front();
  if (kind_.kind == "PyTorchJob") {
    to_shipped_runtime("torch-distributed", first, sum({"Master", "Worker"}));
  } else if (kind_.kind == "XGBoostJob") {
    to_shipped_runtime("xgboost-distributed", first, sum({"Master", "Worker"}));
  } else if (kind_.kind == "JAXJob") {
    to_shipped_runtime("jax-distributed", first, sum({"Worker"}));
  } else {
    to_generated_runtime();
  }
}

}  // namespace v1

Migration migrate_v1_jobs(const std::vector<nlohmann::json>& jobs, const MigrateOptions& options) {
  Migration out;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const auto& job = jobs[i];
    const auto& api = v1::member(job, "apiVersion");
    const auto& kind = v1::member(job, "kind");
    const std::string kind_text = kind.is_string() ? kind.get<std::string>() : std::string();
    const std::string name = v1::member(v1::member(job, "metadata"), "name").is_string()
                                 ? job["metadata"]["name"].get<std::string>()
                                 : std::string();
    if (api != "kubeflow.org/v1") {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("object {} ({} {}) is not a Training Operator v1 job: its "
                              "apiVersion must be kubeflow.org/v1",
                              i + 1, api.is_string() ? api.get<std::string>() : api.dump(),
                              kind_text.empty() ? "without a kind" : kind_text),
                  {.field = "apiVersion",
                   .hint = "Pass PyTorchJob, TFJob, XGBoostJob, JAXJob, PaddleJob or MPIJob "
                           "objects (kubectl get pytorchjob NAME -o yaml)"});
    }
    if (is_mxjob(kind_text)) {
      if (!options.allow_mxjob) throw mxjob_removed_error(fmt::format("convert MXJob/{}", name));
      v1::JobConverter(job, mxjob_kind(), out).convert();
      continue;
    }
    v1::JobConverter(job, v1_kind(kind_text), out).convert();
  }
  return out;
}

std::vector<nlohmann::json> v1_jobs_from_text(const std::string& text, const std::string& source) {
  std::vector<nlohmann::json> jobs;
  std::size_t index = 0;
  for (auto& document : util::yaml_documents_to_json(text, source)) {
    ++index;
    if (document.is_null()) continue;
    if (!document.is_object()) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: document {} is not a mapping (a v1 job or a List of them)",
                              source, index),
                  {.file = source});
    }
    if (v1::member(document, "kind") == "List" && v1::member(document, "items").is_array()) {
      for (auto& item : document["items"]) jobs.push_back(std::move(item));
    } else {
      jobs.push_back(std::move(document));
    }
  }
  if (jobs.empty()) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("{} holds no v1 job", source),
                {.file = source});
  }
  return jobs;
}

}  // namespace kubeflow::trainer
