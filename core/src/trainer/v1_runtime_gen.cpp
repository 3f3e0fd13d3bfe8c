// SPDX-License-Identifier: Apache-2.0
// TFJob, PaddleJob, MPIJob and (when asked) MXJob have no shipped v2 runtime that fits: each
// gets a TrainingRuntime of its own that holds its pod templates, and a TrainJob that uses it.
#include <set>
#include <utility>

#include <fmt/format.h>

#include "trainer/v1_convert.hpp"

namespace kubeflow::trainer::v1 {

namespace {

const std::set<std::string> kPodTemplateMetadata{"labels", "annotations"};

std::string framework_of(const std::string& kind) {
  if (kind == "TFJob") return "tensorflow";
  if (kind == "PaddleJob") return "paddle";
  if (kind == "MPIJob") return "mpi";
  return "mxnet";
}

}  // namespace

std::string JobConverter::node_type() const {
  // The replica type whose pods are the v2 training nodes (replicated job "node").
  if (kind_.kind == "PaddleJob") return types_.front();  // Master, else Worker
  if (replicas_.contains("Worker")) return "Worker";
  return types_.front();
}

json JobConverter::replicated_job(const std::string& type, const std::string& job_name,
                                  bool trainer_step, bool set_parallelism) {
  const json& source = member(*replicas_.at(type), "template");
  const std::string path = replica_path(type) + ".template";
  json pod = {{"spec", member(source, "spec")}};
  for (const auto& [key, value] : member(source, "metadata").items()) {
    if (kPodTemplateMetadata.contains(key)) {
      pod["metadata"][key] = value;
    } else if (key != "creationTimestamp" && key != "name") {
      note(fmt::format("{}.metadata.{}", path, key),
           "not carried: a pod template takes only labels and "
           "annotations");
    }
  }
  // v2 runs the trainer in the container named "node".
  if (job_name == "node" || trainer_step) {
    const json& framework = container_of(type);
    for (auto& c : pod["spec"]["containers"]) {
      if (c == framework) c["name"] = "node";
    }
  }
  const auto& restart = member(*replicas_.at(type), "restartPolicy");
  if (restart == "OnFailure" || restart == "Never") {
    pod["spec"]["restartPolicy"] = restart;
  } else if (restart.is_string()) {
    note(replica_path(type) + ".restartPolicy",
         fmt::format("not carried: a Job's pods restart OnFailure or Never, not {}; the runtime "
                     "leaves it unset (Never), so failures go to the Job's backoffLimit and the "
                     "JobSet failurePolicy",
                     restart.get<std::string>()));
  }
  json job = {{"name", job_name}, {"template", {{"spec", {{"template", pod}}}}}};
  if (trainer_step) job["template"]["metadata"]["labels"][kAncestorLabel] = "trainer";
  if (set_parallelism) {
    const int replicas = replicas_of(type);
    job["template"]["spec"]["parallelism"] = replicas;
    job["template"]["spec"]["completions"] = replicas;
    job["template"]["spec"]["completionMode"] = "Indexed";
  }
  return job;
}

void JobConverter::generated_extras(json& runtime_spec, const std::string& node) {
  const auto& spec = member(job_, "spec");
  const std::string injected = replica_path(node) + " (injected env)";
  auto& jobset = runtime_spec["template"]["spec"];
  if (kind_.kind == "TFJob") {
    note(injected,
         "not carried: v1 set TF_CONFIG (the cluster spec and this pod's task) in "
         "every pod; a TrainJob on a plain runtime does not: build it from the "
         "JobSet's pod host names (<job>-<replicatedJob>-0-<index>.<job>)");
    const bool all_workers = member(spec, "successPolicy") == "AllWorkers";
    std::string target = "node";
    for (const char* chief : {"Chief", "Master"}) {
      if (replicas_.contains(chief) && node != chief) target = lower(chief);
    }
    jobset["successPolicy"] = {
        {"operator", "All"},
        {"targetReplicatedJobs", json::array({all_workers ? "node" : target})}};
    if (!all_workers && target == "node") {
      note("spec.successPolicy",
           "changed meaning: v1 let the job succeed when worker 0 "
           "finished; the runtime waits for every worker");
    }
    if (!member(spec, "enableDynamicWorker").is_null()) {
      note("spec.enableDynamicWorker", "not carried: Trainer v2 has no dynamic workers");
    }
  } else if (kind_.kind == "PaddleJob") {
    note(injected,
         "not carried: v1 set the PADDLE_* variables (trainer endpoints, rank, "
         "master); a TrainJob on a plain runtime does not: derive them from the "
         "JobSet's pod host names and the completion index");
    if (!member(spec, "elasticPolicy").is_null()) {
      note("spec.elasticPolicy", "not carried: Trainer v2 has no elastic Paddle training");
    }
  } else if (kind_.kind == "MPIJob") {
    json mpi = {{"mpiImplementation", "OpenMPI"}, {"runLauncherAsNode", false}};
    const auto& slots = member(spec, "slotsPerWorker");
    if (slots.is_number_integer()) mpi["numProcPerNode"] = slots;
    runtime_spec["mlPolicy"]["mpi"] = mpi;
    jobset["network"] = {{"publishNotReadyAddresses", true}};
    jobset["successPolicy"] = {{"operator", "All"},
                               {"targetReplicatedJobs", json::array({"launcher"})}};
    note(injected,
         "changed meaning: v1 started the ranks through kubectl exec "
         "(OMPI_MCA_plm_rsh_agent); Trainer v2 starts them over SSH with keys mounted "
         "at sshAuthMountPath (/root/.ssh), so the Worker image must run an SSH server "
         "(as the deepspeed-distributed runtime's image does)");
  } else {  // MXJob, converted only when asked explicitly
    jobset["successPolicy"] = {{"operator", "All"},
                               {"targetReplicatedJobs", json::array({"node"})}};
    note("kind",
         "cannot guarantee: MXJob was removed in Training Operator v1.9 and Apache MXNet "
         "is retired (no fixes, no security updates); this TrainJob only runs the MXNet "
         "containers, nothing in Kubeflow Trainer knows MXNet");
    note(injected,
         "not carried: v1 set DMLC_PS_ROOT_URI, DMLC_PS_ROOT_PORT, DMLC_ROLE, "
         "DMLC_NUM_SERVER and DMLC_NUM_WORKER; without them the scheduler, servers and "
         "workers do not find each other: set them from the JobSet's pod host names");
    const auto& mode = member(spec, "jobMode");
    if (mode.is_string() && mode != "MXTrain") {
      note("spec.jobMode",
           fmt::format("not carried: {} (tuning) has no equivalent", mode.get<std::string>()));
    }
  }
}

void JobConverter::to_generated_runtime() {
  read_run_policy(true);
  const std::string node = node_type();
  const std::string runtime_name = fmt::format("{}-{}", name_, lower(kind_.kind));
  int num_nodes = replicas_of(node);
  json replicated = json::array();
  if (kind_.kind == "MPIJob" && replicas_.contains("Launcher")) {
    json launcher = replicated_job("Launcher", "launcher", true, false);
    launcher["dependsOn"] = json::array({{{"name", "node"}, {"status", "Ready"}}});
    replicated.push_back(replicated_job(node, "node", false, false));
    replicated.push_back(std::move(launcher));
  } else {
    for (const auto& type : types_) {
      if (type == node) {
        replicated.push_back(replicated_job(type, "node", true, false));
      } else if (kind_.kind == "PaddleJob") {
        // Paddle's master trains too: one pool of nodes, as for PyTorchJob.
        num_nodes += replicas_of(type);
        compare_templates(node, type);
        if (member(*replicas_.at(type), "restartPolicy") !=
            member(*replicas_.at(node), "restartPolicy")) {
          note(replica_path(type) + ".restartPolicy",
               fmt::format("not carried: every node restarts as {}'s pods do", node));
        }
      } else {
        replicated.push_back(replicated_job(type, lower(type), false, true));
      }
    }
  }
  json runtime_spec = {{"mlPolicy", {{"numNodes", num_nodes}}},
                       {"template", {{"spec", {{"replicatedJobs", replicated}}}}}};
  if (!failure_policy_.is_null())
    runtime_spec["template"]["spec"]["failurePolicy"] = failure_policy_;
  if (!ttl_.is_null()) runtime_spec["template"]["spec"]["ttlSecondsAfterFinished"] = ttl_;
  generated_extras(runtime_spec, node);

  json runtime = {
      {"apiVersion", kTrainerApiVersion},
      {"kind", "TrainingRuntime"},
      {"metadata",
       {{"name", runtime_name}, {"labels", {{kFrameworkLabel, framework_of(kind_.kind)}}}}},
      {"spec", runtime_spec}};
  if (trainjob_["metadata"].contains("namespace")) {
    runtime["metadata"]["namespace"] = trainjob_["metadata"]["namespace"];
  }
  trainjob_["spec"]["runtimeRef"] = {
      {"apiGroup", "trainer.kubeflow.org"}, {"kind", "TrainingRuntime"}, {"name", runtime_name}};
  trainjob_["spec"]["trainer"] = {{"numNodes", num_nodes}};
  out_.manifests.push_back(std::move(runtime));
  out_.manifests.push_back(trainjob_);
}

}  // namespace kubeflow::trainer::v1
