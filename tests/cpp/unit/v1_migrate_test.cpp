// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "kubeflow/error.hpp"
#include "kubeflow/trainer/runtime.hpp"
#include "kubeflow/trainer/v1_job.hpp"
#include "kubeflow/trainer/v1_migrate.hpp"

using kubeflow::Error;
using kubeflow::ErrorCode;
using namespace kubeflow::trainer;
using nlohmann::json;

namespace {

std::string fixture_text(const std::string& name) {
  std::ifstream in(std::string(KUBEFLOW_TEST_FIXTURES) + "/v1/" + name);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

json fixture(const std::string& name) {
  auto jobs = v1_jobs_from_text(fixture_text(name), name);
  REQUIRE(jobs.size() == 1);
  return jobs.front();
}

// The fields of the notes, for set-like checks.
std::vector<std::string> fields(const Migration& m) {
  std::vector<std::string> out;
  for (const auto& n : m.report) out.push_back(n.field);
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

const json& replicated(const json& runtime, const std::string& name) {
  for (const auto& job : runtime["spec"]["template"]["spec"]["replicatedJobs"]) {
    if (job["name"] == name) return job;
  }
  FAIL("no replicated job " << name);
  static const json kNone;
  return kNone;
}

}  // namespace

TEST_CASE("v1 PyTorchJob: torch-distributed with the Master's container and pod fields", "[v1]") {
  const Migration m = migrate_v1_jobs({fixture("pytorchjob.yaml")});
  REQUIRE(m.manifests.size() == 1);
  const json& tj = m.manifests[0];
  CHECK(tj["kind"] == "TrainJob");
  CHECK(tj["metadata"]["name"] == "mnist-ddp");
  CHECK(tj["metadata"]["labels"]["team"] == "vision");
  CHECK(tj["spec"]["runtimeRef"]["name"] == "torch-distributed");
  CHECK(tj["spec"]["suspend"] == false);
  const json& trainer = tj["spec"]["trainer"];
  CHECK(trainer["numNodes"] == 3);  // Master 1 + Worker 2
  CHECK(trainer["numProcPerNode"] == 2);
  CHECK(trainer["image"] == "example.com/mnist-ddp:1.0");
  CHECK(trainer["command"] == json::array({"torchrun", "/workspace/train.py"}));
  CHECK(trainer["args"] == json::array({"--epochs", "3"}));
  CHECK(trainer["env"][0]["name"] == "LOG_LEVEL");
  CHECK(trainer["resourcesPerNode"]["limits"]["nvidia.com/gpu"] == 2);
  const json& patch = tj["spec"]["runtimePatches"][0];
  CHECK(patch["manager"] == "trainer.kubeflow.org/kubeflow-sdk");
  const json& pod = patch["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"][0]
                         ["template"]["spec"]["template"];
  CHECK(pod["metadata"]["annotations"]["sidecar.istio.io/inject"] == "false");
  CHECK(pod["spec"]["nodeSelector"]["pool"] == "gpu");
  CHECK(pod["spec"]["tolerations"][0]["key"] == "gpu");
  CHECK(pod["spec"]["volumes"][0]["name"] == "data");
  CHECK(pod["spec"]["containers"][0] ==
        json({{"name", "node"}, {"volumeMounts", {{{"name", "data"}, {"mountPath", "/data"}}}}}));

  const auto notes = fields(m);
  CHECK(has(notes, "spec.runPolicy.cleanPodPolicy"));
  CHECK(has(notes, "spec.runPolicy.backoffLimit"));
  CHECK(has(notes, "spec.runPolicy.ttlSecondsAfterFinished"));
  CHECK(has(notes, "spec.runPolicy.schedulingPolicy"));
  CHECK(has(notes, "spec.pytorchReplicaSpecs.Master.restartPolicy"));
  CHECK(has(notes, "spec.pytorchReplicaSpecs.Worker.restartPolicy"));
  CHECK(notes.size() == 6);  // identical templates and a torchrun command: nothing else
  for (const auto& n : m.report) CHECK(n.job == "PyTorchJob/mnist-ddp");
}

TEST_CASE("v1 PyTorchJob: what a shipped runtime cannot hold is reported, never dropped", "[v1]") {
  json job = fixture("pytorchjob.yaml");
  auto& worker = job["spec"]["pytorchReplicaSpecs"]["Worker"]["template"];
  worker["spec"]["containers"][0]["image"] = "example.com/other:2";
  worker["spec"]["hostNetwork"] = true;
  auto& master = job["spec"]["pytorchReplicaSpecs"]["Master"]["template"];
  master["spec"]["hostNetwork"] = true;
  master["spec"]["containers"].push_back({{"name", "proxy"}, {"image", "envoy"}});
  master["spec"]["containers"][0]["command"] = json::array({"python", "train.py"});
  master["spec"]["containers"][0]["envFrom"] = json::array({{{"secretRef", {{"name", "s"}}}}});
  job["spec"]["nprocPerNode"] = "gpu";
  job["spec"]["elasticPolicy"] = {{"minReplicas", 1}, {"maxReplicas", 3}};
  job["spec"]["runPolicy"]["managedBy"] = "kueue.x-k8s.io/multikueue";
  job["spec"]["runPolicy"]["activeDeadlineSeconds"] = 60;
  const Migration m = migrate_v1_jobs({job});
  const auto notes = fields(m);
  CHECK(has(notes, "spec.pytorchReplicaSpecs.Master.template.spec.hostNetwork"));
  CHECK(has(notes, "spec.pytorchReplicaSpecs.Master.template.spec.containers[\"proxy\"]"));
  CHECK(has(notes, "spec.pytorchReplicaSpecs.Master.template.spec.containers[pytorch].envFrom"));
  CHECK(has(notes, "spec.pytorchReplicaSpecs.Worker.template"));  // differs from Master's
  CHECK(has(notes, "spec.nprocPerNode"));
  CHECK(has(notes, "spec.elasticPolicy"));
  CHECK(has(notes, "spec.pytorchReplicaSpecs.Master.template.spec.containers[pytorch].command"));
  const json& tj = m.manifests[0];
  CHECK_FALSE(tj["spec"]["trainer"].contains("numProcPerNode"));
  CHECK(tj["spec"]["managedBy"] == "kueue.x-k8s.io/multikueue");
  CHECK(tj["spec"]["activeDeadlineSeconds"] == 60);
  for (const auto& n : m.report) {
    if (n.field == "spec.pytorchReplicaSpecs.Worker.template") {
      CHECK_THAT(n.reason, Catch::Contains("pytorch.image") && Catch::Contains("Master"));
    }
  }
}

TEST_CASE("v1 TFJob: a generated TrainingRuntime with one replicated job per role", "[v1]") {
  const Migration m = migrate_v1_jobs({fixture("tfjob.yaml")});
  REQUIRE(m.manifests.size() == 2);
  const json& rt = m.manifests[0];
  const json& tj = m.manifests[1];
  CHECK(rt["kind"] == "TrainingRuntime");
  CHECK(rt["metadata"]["name"] == "census-ps-tfjob");
  CHECK(rt["metadata"]["labels"]["trainer.kubeflow.org/framework"] == "tensorflow");
  CHECK(rt["spec"]["mlPolicy"] == json({{"numNodes", 3}}));
  const json& spec = rt["spec"]["template"]["spec"];
  CHECK(spec["failurePolicy"]["maxRestarts"] == 2);
  CHECK(spec["successPolicy"] ==
        json({{"operator", "All"}, {"targetReplicatedJobs", json::array({"chief"})}}));
  const json& node = replicated(rt, "node");
  CHECK(node["template"]["metadata"]["labels"]["trainer.kubeflow.org/trainjob-ancestor-step"] ==
        "trainer");
  const json& node_pod = node["template"]["spec"]["template"]["spec"];
  CHECK(node_pod["containers"][0]["name"] == "node");
  CHECK(node_pod["restartPolicy"] == "OnFailure");
  CHECK(node_pod["containers"][0]["resources"]["limits"]["memory"] == "4Gi");
  const json& ps = replicated(rt, "ps");
  CHECK(ps["template"]["spec"]["parallelism"] == 2);
  CHECK(ps["template"]["spec"]["completions"] == 2);
  CHECK(ps["template"]["spec"]["template"]["spec"]["containers"][0]["name"] == "tensorflow");
  CHECK(replicated(rt, "chief")["template"]["spec"]["template"]["spec"]["restartPolicy"] ==
        "Never");
  CHECK(tj["spec"]["runtimeRef"] == json({{"apiGroup", "trainer.kubeflow.org"},
                                          {"kind", "TrainingRuntime"},
                                          {"name", "census-ps-tfjob"}}));
  CHECK(tj["spec"]["trainer"]["numNodes"] == 3);
  // The generated runtime parses as a runtime the SDK can list.
  const RuntimeInfo info = parse_runtime(rt);
  CHECK(info.framework == "tensorflow");
  CHECK(info.image == "example.com/census:2.15");
  const auto notes = fields(m);
  CHECK(has(notes, "spec.tfReplicaSpecs.PS.restartPolicy"));  // Always: not a Job's policy
  CHECK(has(notes, "spec.runPolicy.cleanPodPolicy"));
  CHECK(has(notes, "spec.runPolicy.backoffLimit"));
  CHECK(has(notes, "spec.tfReplicaSpecs.Worker (injected env)"));  // TF_CONFIG
}

TEST_CASE("v1 XGBoostJob and JAXJob: their shipped runtimes", "[v1]") {
  const Migration xgb = migrate_v1_jobs({fixture("xgboostjob.yaml")});
  REQUIRE(xgb.manifests.size() == 1);
  CHECK(xgb.manifests[0]["spec"]["runtimeRef"]["name"] == "xgboost-distributed");
  CHECK(xgb.manifests[0]["spec"]["trainer"]["numNodes"] == 3);
  CHECK(xgb.manifests[0]["spec"]["activeDeadlineSeconds"] == 3600);
  CHECK_FALSE(xgb.manifests[0]["spec"].contains("runtimePatches"));
  const auto xgb_notes = fields(xgb);
  CHECK(has(xgb_notes, "spec.xgbReplicaSpecs.Worker.restartPolicy"));
  CHECK(has(xgb_notes, "spec.xgbReplicaSpecs.Master (injected env)"));
  // v1's own port is the runtime's business: no note for it.
  for (const auto& f : xgb_notes) CHECK(f.find("ports") == std::string::npos);

  const Migration jax = migrate_v1_jobs({fixture("jaxjob.yaml")});
  const json& tj = jax.manifests.at(0);
  CHECK(tj["spec"]["runtimeRef"]["name"] == "jax-distributed");
  CHECK(tj["spec"]["trainer"]["numNodes"] == 2);
  CHECK(tj["spec"]["runtimePatches"][0]["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"]
          [0]["template"]["spec"]["template"]["spec"]["serviceAccountName"] == "trainer");
  CHECK(has(fields(jax),
            "spec.jaxReplicaSpecs.Worker.template.spec.containers[jax]."
            "imagePullPolicy"));
}

TEST_CASE("v1 PaddleJob and MPIJob: generated runtimes", "[v1]") {
  const Migration paddle = migrate_v1_jobs({fixture("paddlejob.yaml")});
  REQUIRE(paddle.manifests.size() == 2);
  CHECK(paddle.manifests[0]["spec"]["mlPolicy"]["numNodes"] == 2);
  CHECK(paddle.manifests[0]["spec"]["template"]["spec"]["replicatedJobs"].size() == 1);
  CHECK(has(fields(paddle), "spec.elasticPolicy"));

  const Migration mpi = migrate_v1_jobs({fixture("mpijob.yaml")});
  REQUIRE(mpi.manifests.size() == 2);
  const json& rt = mpi.manifests[0];
  CHECK(rt["spec"]["mlPolicy"]["numNodes"] == 2);
  CHECK(rt["spec"]["mlPolicy"]["mpi"] == json({{"mpiImplementation", "OpenMPI"},
                                               {"numProcPerNode", 2},
                                               {"runLauncherAsNode", false}}));
  const json& launcher = replicated(rt, "launcher");
  CHECK(launcher["dependsOn"][0] == json({{"name", "node"}, {"status", "Ready"}}));
  CHECK(launcher["template"]["metadata"]["labels"]["trainer.kubeflow.org/trainjob-ancestor-step"] ==
        "trainer");
  CHECK(launcher["template"]["spec"]["template"]["spec"]["containers"][0]["command"][0] ==
        "mpirun");
  CHECK(replicated(rt, "node")["template"]["spec"]["template"]["spec"]["containers"][0]["name"] ==
        "node");
  const RuntimeInfo info = parse_runtime(rt);
  CHECK(info.launcher == Launcher::kMpirun);
  CHECK(has(fields(mpi), "spec.cleanPodPolicy"));
  CHECK(mpi.manifests[1]["spec"]["trainer"]["numNodes"] == 2);
}

TEST_CASE("v1 MXJob: refused with the deprecation, converted only when asked", "[v1]") {
  const json job = fixture("mxjob.yaml");
  try {
    (void)migrate_v1_jobs({job});
    FAIL("an MXJob was converted without allow_mxjob");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kInvalidArgument);
    const std::string what = e.what();
    for (const char* part :
         {"MXJob/mxnet-mnist", "deprecated", "v1.8", "removed in v1.9", "Apache MXNet was retired",
          "PyTorch", "allow_mxjob=True", "--allow-mxjob", "custom TrainingRuntime"}) {
      CHECK_THAT(what, Catch::Contains(part));
    }
  }
  CHECK_THROWS_AS(v1_kind("MXJob"), Error);
  const Migration m = migrate_v1_jobs({job}, {.allow_mxjob = true});
  REQUIRE(m.manifests.size() == 2);
  CHECK(m.manifests[0]["metadata"]["labels"]["trainer.kubeflow.org/framework"] == "mxnet");
  CHECK(replicated(m.manifests[0], "scheduler")["template"]["spec"]["parallelism"] == 1);
  CHECK(m.manifests[1]["spec"]["trainer"]["numNodes"] == 2);
  bool guarantee = false;
  for (const auto& n : m.report) {
    guarantee = guarantee || n.reason.starts_with("cannot guarantee");
  }
  CHECK(guarantee);
}

TEST_CASE("v1 input: documents, Lists and what cannot be converted", "[v1]") {
  const std::string two = fixture_text("jaxjob.yaml") + "---\n" + fixture_text("tfjob.yaml");
  CHECK(v1_jobs_from_text(two, "two").size() == 2);
  json list = {{"apiVersion", "v1"},
               {"kind", "List"},
               {"items", json::array({fixture("jaxjob.yaml"), fixture("xgboostjob.yaml")})}};
  const auto from_list = v1_jobs_from_text(list.dump(), "list");
  REQUIRE(from_list.size() == 2);
  CHECK(migrate_v1_jobs(from_list).manifests.size() == 2);
  CHECK_THROWS_AS(v1_jobs_from_text("", "empty"), Error);

  json trainjob = {{"apiVersion", "trainer.kubeflow.org/v1alpha1"}, {"kind", "TrainJob"}};
  try {
    (void)migrate_v1_jobs({trainjob});
    FAIL("a TrainJob was taken for a v1 job");
  } catch (const Error& e) {
    CHECK(e.details().field == "apiVersion");
  }
  json nameless = fixture("jaxjob.yaml");
  nameless["spec"]["jaxReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["name"] = "x";
  try {
    (void)migrate_v1_jobs({nameless});
    FAIL("a job without its framework container was converted");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("no container named \"jax\""));
  }
}

TEST_CASE("v1 job info: status from the last True condition, steps by replica type", "[v1]") {
  json job = fixture("pytorchjob.yaml");
  job["metadata"]["creationTimestamp"] = "2026-01-02T03:04:05Z";
  job["status"] = {
      {"conditions", json::array({{{"type", "Created"}, {"status", "True"}},
                                  {{"type", "Running"}, {"status", "True"}, {"message", "go"}}})},
      {"replicaStatuses", {{"Worker", {{"active", 2}}}}}};
  auto pod = [](const std::string& type, int index, const std::string& created,
                const std::string& phase) {
    return json{{"metadata",
                 {{"name", type + std::to_string(index) + created},
                  {"creationTimestamp", created},
                  {"labels",
                   {{"training.kubeflow.org/job-name", "mnist-ddp"},
                    {"training.kubeflow.org/replica-type", type},
                    {"training.kubeflow.org/replica-index", std::to_string(index)}}}}},
                {"status", {{"phase", phase}}}};
  };
  const json a = pod("worker", 1, "2026-01-02T03:05:00Z", "Running");
  const json b = pod("master", 0, "2026-01-02T03:05:00Z", "Running");
  const json old = pod("worker", 0, "2026-01-02T03:05:00Z", "Failed");
  const json restarted = pod("worker", 0, "2026-01-02T03:06:00Z", "Pending");
  const V1JobInfo info =
      v1_job_from_objects(v1_kind("pytorchjobs"), job, {&a, &b, &old, &restarted});
  CHECK(info.kind == "PyTorchJob");
  CHECK(info.status == "Running");
  CHECK(info.message == "go");
  REQUIRE(info.replicas.size() == 2);
  CHECK(info.replicas[1].type == "Worker");
  CHECK(info.replicas[1].replicas == 2);
  CHECK(info.replicas[1].active == 2);
  CHECK(info.replicas[0].image == "example.com/mnist-ddp:1.0");
  REQUIRE(info.steps.size() == 3);
  CHECK(info.steps[0].name == "master-0");
  CHECK(info.steps[1].name == "worker-0");
  CHECK(info.steps[1].status == "Pending");  // the restarted pod replaced the failed one
  CHECK(info.steps[2].name == "worker-1");
}
