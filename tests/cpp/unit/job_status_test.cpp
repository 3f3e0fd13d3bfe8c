// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "trainer/job_status.hpp"

using kubeflow::trainer::job_from_objects;
using kubeflow::trainer::Launcher;
using kubeflow::trainer::RuntimeInfo;
using nlohmann::json;

namespace {

json trainjob(json conditions = json::array(), int num_nodes = 2) {
  return {
      {"metadata",
       {{"name", "job"}, {"namespace", "ns"}, {"creationTimestamp", "2025-06-01T10:30:00Z"}}},
      {"spec",
       {{"runtimeRef", {{"name", "torch-distributed"}}}, {"trainer", {{"numNodes", num_nodes}}}}},
      {"status", {{"conditions", conditions}}}};
}

json pod(const std::string& name, const std::string& role, int index, const std::string& phase,
         const std::string& created, json limits = json::object()) {
  return {{"metadata",
           {{"name", name},
            {"creationTimestamp", created},
            {"labels",
             {{"jobset.sigs.k8s.io/jobset-name", "job"},
              {"jobset.sigs.k8s.io/replicatedjob-name", role},
              {"batch.kubernetes.io/job-completion-index", std::to_string(index)}}}}},
          {"spec",
           {{"containers", json::array({{{"name", role == "launcher" ? "node" : role},
                                         {"resources", {{"limits", limits}}}}})}}},
          {"status", {{"phase", phase}}}};
}

std::vector<const json*> ptrs(const std::vector<json>& pods) {
  std::vector<const json*> out;
  for (const auto& p : pods) out.push_back(&p);
  return out;
}

RuntimeInfo torch() {
  RuntimeInfo rt;
  rt.name = "torch-distributed";
  rt.launcher = Launcher::kTorchrun;
  return rt;
}

}  // namespace

TEST_CASE("job status: newest pod per role and index wins", "[job_status]") {
  const std::vector<json> pods = {
      pod("node-0-old", "node", 0, "Failed", "2025-06-01T10:00:00Z"),
      pod("node-0-new", "node", 0, "Running", "2025-06-01T11:00:00Z", {{"nvidia.com/gpu", "1"}}),
      pod("node-1", "node", 1, "Pending", "2025-06-01T10:00:00Z"),
      pod("init", "dataset-initializer", 0, "Succeeded", ""),
  };
  const auto info = job_from_objects(trainjob(), ptrs(pods), torch());
  REQUIRE(info.steps.size() == 3);
  CHECK(info.steps[0].name == "dataset-initializer");
  CHECK(info.steps[1].name == "node-0");
  CHECK(info.steps[1].pod_name == "node-0-new");
  CHECK(info.steps[1].device == "gpu");
  CHECK(info.steps[1].device_count == "1");
  CHECK(info.steps[2].name == "node-1");
  CHECK(info.status == "Created");  // node-1 is still Pending
  CHECK(info.num_nodes == 2);
  CHECK(info.creation_timestamp == "2025-06-01T10:30:00Z");
}

TEST_CASE("job status: conditions decide, else running pods", "[job_status]") {
  const std::vector<json> running = {pod("a", "node", 0, "Running", "2025-06-01T10:00:00Z"),
                                     pod("b", "node", 1, "Succeeded", "2025-06-01T10:00:00Z")};
  CHECK(job_from_objects(trainjob(), ptrs(running), torch()).status == "Running");

  const json complete = json::array({{{"type", "Complete"}, {"status", "True"}}});
  CHECK(job_from_objects(trainjob(complete), ptrs(running), torch()).status == "Complete");

  const json failed = json::array(
      {{{"type", "Failed"}, {"status", "True"}, {"message", "TrainJob exceeded its deadline"}}});
  const auto f = job_from_objects(trainjob(failed), ptrs(running), torch());
  CHECK(f.status == "Failed");
  CHECK(f.message == "TrainJob exceeded its deadline");

  const json suspended = json::array({{{"type", "Suspended"}, {"status", "True"}}});
  CHECK(job_from_objects(trainjob(suspended), {}, torch()).status == "Suspended");

  // Kueue resumed the job: upstream stays at Created forever here.
  const json resumed =
      json::array({{{"type", "Suspended"}, {"status", "False"}, {"reason", "Resumed"}}});
  CHECK(job_from_objects(trainjob(resumed), ptrs(running), torch()).status == "Running");
}

TEST_CASE("job status: mpirun makes the launcher node-0", "[job_status]") {
  RuntimeInfo mpi;
  mpi.launcher = Launcher::kMpirun;
  const std::vector<json> pods = {pod("l", "launcher", 0, "Running", "2025-06-01T10:00:00Z"),
                                  pod("w", "node", 0, "Running", "2025-06-01T10:00:00Z")};
  const auto info = job_from_objects(trainjob(json::array(), 2), ptrs(pods), mpi);
  REQUIRE(info.steps.size() == 2);
  CHECK(info.steps[0].name == "node-0");
  CHECK(info.steps[0].pod_name == "l");
  CHECK(info.steps[1].name == "node-1");
  CHECK(info.steps[1].pod_name == "w");
}

TEST_CASE("job status: memory-only limits do not break the step", "[job_status]") {
  const std::vector<json> pods = {
      pod("p", "node", 0, "Running", "2025-06-01T10:00:00Z", {{"memory", "4Gi"}})};
  const auto info = job_from_objects(trainjob(json::array(), 1), ptrs(pods), torch());
  REQUIRE(info.steps.size() == 1);
  CHECK(info.steps[0].device == "Unknown");
  CHECK(info.status == "Running");
}

// Found by tests/fuzz/fuzz_trainjob: a completion index that is not a number made std::stoi throw
// std::invalid_argument (or std::out_of_range) out of get_job instead of reading the job.
TEST_CASE("job status: a node pod whose completion index is not a number is left out",
          "[job_status]") {
  const std::string bad = GENERATE("x", "-1", "99999999999", "2147483647", "1 ", "");
  std::vector<json> pods = {pod("a", "node", 0, "Running", "2025-06-01T10:00:00Z"),
                            pod("b", "node", 1, "Running", "2025-06-01T10:00:00Z")};
  pods[1]["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] = bad;
  const auto info = job_from_objects(trainjob(json::array(), 1), ptrs(pods), torch());
  INFO("index " << bad);
  // An empty index reads as 0, as a missing one does: b then repeats a's step and a is kept.
  REQUIRE(info.steps.size() == 1);
  CHECK(info.steps[0].pod_name == "a");
  CHECK(info.steps[0].name == "node-0");
}

TEST_CASE("job status: a replicated job named like a node step is sorted by name, not parsed",
          "[job_status]") {
  // Found by the trainjob fuzzer: the role label "node-" (or "node-x") used to reach std::stoi.
  const std::string role = GENERATE("node-", "node-x", "node-99999999999999999999", "node--1");
  std::vector<json> pods = {pod("b", "node", 1, "Running", "2025-06-01T10:00:00Z"),
                            pod("odd", role, 0, "Running", "2025-06-01T10:00:00Z"),
                            pod("a", "node", 0, "Running", "2025-06-01T10:00:00Z")};
  INFO("role " << role);
  const auto info = job_from_objects(trainjob(json::array(), 2), ptrs(pods), torch());
  REQUIRE(info.steps.size() == 3);
  CHECK(info.steps[0].name == role);  // not a node step: before the nodes, as initializers are
  CHECK(info.steps[1].name == "node-0");
  CHECK(info.steps[2].name == "node-1");
}

TEST_CASE("job status: what holds a pod back, and the Kueue queue", "[job_status]") {
  std::vector<json> pods = {pod("a", "node", 0, "Pending", "2025-06-01T10:00:00Z"),
                            pod("b", "node", 1, "Pending", "2025-06-01T10:00:00Z"),
                            pod("c", "node", 2, "Running", "2025-06-01T10:00:00Z")};
  pods[0]["status"]["conditions"] =
      json::array({{{"type", "PodScheduled"},
                    {"status", "False"},
                    {"reason", "Unschedulable"},
                    {"message", "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."}}});
  pods[1]["status"]["conditions"] = json::array({{{"type", "PodScheduled"}, {"status", "True"}}});
  pods[1]["status"]["containerStatuses"] = json::array(
      {{{"name", "node"},
        {"state",
         {{"waiting",
           {{"reason", "ImagePullBackOff"}, {"message", "Back-off pulling image \"x\""}}}}}}});
  json job = trainjob(json::array(), 3);
  job["metadata"]["labels"] = {{"kueue.x-k8s.io/queue-name", "team-a"}};
  const auto info = job_from_objects(job, ptrs(pods), torch());
  REQUIRE(info.steps.size() == 3);
  CHECK(info.steps[0].waiting_reason == "Unschedulable");
  CHECK(info.steps[0].waiting_message == "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.");
  CHECK(info.steps[1].waiting_reason == "ImagePullBackOff");
  CHECK(info.steps[1].waiting_message == "Back-off pulling image \"x\"");
  CHECK(info.steps[2].waiting_reason.empty());
  CHECK(info.queue_name == "team-a");
  CHECK(job_from_objects(trainjob(), ptrs(pods), torch()).queue_name.empty());
}
