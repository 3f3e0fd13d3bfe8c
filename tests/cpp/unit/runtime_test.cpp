// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "failure.hpp"

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "kubeflow/error.hpp"
#include "kubeflow/trainer/runtime.hpp"

using kubeflow::ErrorCode;
using kubeflow::testing::Failure;
using kubeflow::testing::failure_of_call;
using kubeflow::trainer::container_devices;
using kubeflow::trainer::Launcher;
using kubeflow::trainer::parse_runtime;
using kubeflow::trainer::RuntimeInfo;
using nlohmann::json;

namespace {

template <typename F>
Failure failure_of(F&& call) {
  return failure_of_call(std::forward<F>(call));
}

json load_fixture(const std::string& name) {
  std::ifstream in(std::string(KUBEFLOW_TEST_FIXTURES) + "/runtimes/" + name + ".json");
  REQUIRE(in.good());
  return json::parse(in);
}

// The shape of the mock runtime in upstream's backend tests (kubeflow-sdk.md §7.1).
json mock_runtime() {
  return json::parse(R"({
    "apiVersion": "trainer.kubeflow.org/v1alpha1",
    "kind": "TrainingRuntime",
    "metadata": {"name": "torch", "labels": {"trainer.kubeflow.org/framework": "torch"}},
    "spec": {
      "mlPolicy": {"torch": {}, "numNodes": 2},
      "template": {"spec": {"replicatedJobs": [{
        "name": "node",
        "template": {
          "metadata": {"labels": {"trainer.kubeflow.org/trainjob-ancestor-step": "trainer"}},
          "spec": {"template": {"spec": {"containers": [{
            "name": "node",
            "image": "example.com/test-runtime",
            "resources": {"requests": {"nvidia.com/gpu": "1"},
                          "limits": {"nvidia.com/gpu": "1", "memory": "4Gi"}}
          }]}}}
        }
      }]}}
    }
  })");
}

const std::string kContainer0 =
    "spec.template.spec.replicatedJobs[0].template.spec.template.spec.containers[0]";

}  // namespace

TEST_CASE("runtime: every shipped v2.3.0 runtime parses as upstream reads it", "[runtime]") {
  struct Expected {
    std::string name, framework;
    Launcher launcher;
    std::string trainer_type, image, device, device_count;
  };
  const auto expected = GENERATE(
      Expected{"deepspeed-distributed", "deepspeed", Launcher::kMpirun, "CustomTrainer",
               "ghcr.io/kubeflow/trainer/deepspeed-runtime:v2.3.0", "Unknown", "1"},
      Expected{"mlx-distributed", "mlx", Launcher::kMpirun, "CustomTrainer",
               "ghcr.io/kubeflow/trainer/mlx-runtime:v2.3.0", "Unknown", "1"},
      Expected{"jax-distributed", "jax", Launcher::kPython, "CustomTrainer",
               "nvcr.io/nvidia/jax:25.10-py3", "Unknown", "Unknown"},
      Expected{"torch-distributed", "torch", Launcher::kTorchrun, "CustomTrainer",
               "pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime", "Unknown", "Unknown"},
      Expected{"torchtune-llama3.2-1b", "torchtune", Launcher::kTorchTune, "BuiltinTrainer",
               "ghcr.io/kubeflow/trainer/torchtune-trainer:v2.3.0", "gpu", "2"},
      Expected{"torchtune-llama3.2-3b", "torchtune", Launcher::kTorchTune, "BuiltinTrainer",
               "ghcr.io/kubeflow/trainer/torchtune-trainer:v2.3.0", "gpu", "2"},
      Expected{"torchtune-qwen2.5-1.5b", "torchtune", Launcher::kTorchTune, "BuiltinTrainer",
               "ghcr.io/kubeflow/trainer/torchtune-trainer:v2.3.0", "gpu", "2"},
      Expected{"xgboost-distributed", "xgboost", Launcher::kPython, "CustomTrainer",
               "ghcr.io/kubeflow/trainer/xgboost-runtime:v2.3.0", "Unknown", "Unknown"});
  CAPTURE(expected.name);
  const RuntimeInfo info = parse_runtime(load_fixture(expected.name));
  CHECK(info.name == expected.name);
  CHECK(info.kind == "ClusterTrainingRuntime");
  CHECK(info.framework == expected.framework);
  CHECK(info.launcher == expected.launcher);
  CHECK(info.trainer_type == expected.trainer_type);
  CHECK(info.num_nodes == 1);
  CHECK(info.image == expected.image);
  CHECK(info.device == expected.device);
  CHECK(info.device_count == expected.device_count);
}

TEST_CASE("runtime: case 1, one GPU per node on two nodes counts two", "[runtime]") {
  const RuntimeInfo info = parse_runtime(mock_runtime());
  CHECK(info.name == "torch");
  CHECK(info.kind == "TrainingRuntime");
  CHECK(info.trainer_type == "CustomTrainer");
  CHECK(info.framework == "torch");
  CHECK(info.num_nodes == 2);
  CHECK(info.device == "gpu");
  CHECK(info.device_count == "2");
  CHECK(info.image == "example.com/test-runtime");
  CHECK(info.launcher == Launcher::kTorchrun);
}

TEST_CASE("runtime: kind comes from the object, else from the hint", "[runtime]") {
  json runtime = mock_runtime();
  CHECK(parse_runtime(runtime, "ClusterTrainingRuntime").kind == "TrainingRuntime");
  runtime.erase("kind");
  CHECK(parse_runtime(runtime, "ClusterTrainingRuntime").kind == "ClusterTrainingRuntime");
  const Failure f = failure_of([&] { static_cast<void>(parse_runtime(runtime)); });
  CHECK(f.code == ErrorCode::kInvalidArgument);
  CHECK(f.field == "kind");
}

TEST_CASE("runtime: mpi numProcPerNode overrides the device count", "[runtime]") {
  json runtime = mock_runtime();
  runtime["spec"]["mlPolicy"] = json::parse(R"({"numNodes": 2, "mpi": {"numProcPerNode": 4}})");
  const RuntimeInfo info = parse_runtime(runtime);
  CHECK(info.device == "gpu");
  CHECK(info.device_count == "8");
  CHECK(info.launcher == Launcher::kMpirun);
  CHECK(info.num_nodes == 2);
}

TEST_CASE("runtime: launcher selection", "[runtime]") {
  json runtime = mock_runtime();
  auto& policy = runtime["spec"]["mlPolicy"];
  SECTION("torchtune wins over torch") {
    runtime["metadata"]["labels"]["trainer.kubeflow.org/framework"] = "torchtune";
    CHECK(parse_runtime(runtime).launcher == Launcher::kTorchTune);
    CHECK(parse_runtime(runtime).trainer_type == "BuiltinTrainer");
  }
  SECTION("an empty mpi object still means mpirun") {
    policy = json::parse(R"({"mpi": {}})");
    CHECK(parse_runtime(runtime).launcher == Launcher::kMpirun);
  }
  SECTION("plain policies run python") {
    policy =
        GENERATE(json::parse(R"({})"), json::parse(R"({"jax": {}})"),
                 json::parse(R"({"xgboost": {}, "numNodes": 3})"), json::parse(R"({"mpi": null})"));
    CHECK(parse_runtime(runtime).launcher == Launcher::kPython);
  }
}

TEST_CASE("runtime: device counts that are not integers are not multiplied", "[runtime]") {
  json runtime = mock_runtime();
  auto& limits = runtime["spec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]
                        ["template"]["spec"]["containers"][0]["resources"]["limits"];
  SECTION("millicores") {
    limits = {{"cpu", "500m"}};
    CHECK(parse_runtime(runtime).device == "cpu");
    CHECK(parse_runtime(runtime).device_count == "500m");
  }
  SECTION("JSON numbers print without a decimal point") {
    limits = {{"nvidia.com/gpu", 2.0}};
    CHECK(parse_runtime(runtime).device_count == "4");
  }
  SECTION("memory only leaves the device unknown") {
    limits = {{"memory", "4Gi"}};
    CHECK(parse_runtime(runtime).device == "Unknown");
    CHECK(parse_runtime(runtime).device_count == "Unknown");
  }
  SECTION("two MIG profiles name the container's limits") {
    limits = {{"nvidia.com/mig-1g.5gb", 1}, {"nvidia.com/mig-2g.10gb", 1}};
    const Failure f = failure_of([&] { static_cast<void>(parse_runtime(runtime)); });
    CHECK(f.code == ErrorCode::kInvalidArgument);
    CHECK(f.field == kContainer0 + ".resources.limits");
  }
}

TEST_CASE("runtime: the trainer container is `node` in the ancestor-labelled job", "[runtime]") {
  json runtime = mock_runtime();
  auto& jobs = runtime["spec"]["template"]["spec"]["replicatedJobs"];
  json sidecar_job = jobs[0];
  sidecar_job["template"].erase("metadata");
  sidecar_job["template"]["spec"]["template"]["spec"]["containers"][0]["image"] = "example.com/ssh";
  jobs.insert(jobs.begin(), sidecar_job);
  auto& containers = jobs[1]["template"]["spec"]["template"]["spec"]["containers"];
  containers.insert(containers.begin(), json{{"name", "sidecar"}, {"image", "example.com/side"}});
  CHECK(parse_runtime(runtime).image == "example.com/test-runtime");
}

TEST_CASE("runtime: missing required fields name their JSON path", "[runtime]") {
  json runtime = mock_runtime();
  auto& job = runtime["spec"]["template"]["spec"]["replicatedJobs"][0];
  std::string field;
  SECTION("metadata.name") {
    runtime["metadata"].erase("name");
    field = "metadata.name";
  }
  SECTION("spec.mlPolicy") {
    runtime["spec"].erase("mlPolicy");
    field = "spec.mlPolicy";
  }
  SECTION("replicatedJobs missing") {
    runtime["spec"]["template"]["spec"].erase("replicatedJobs");
    field = "spec.template.spec.replicatedJobs";
  }
  SECTION("replicatedJobs empty") {
    runtime["spec"]["template"]["spec"]["replicatedJobs"] = json::array();
    field = "spec.template.spec.replicatedJobs";
  }
  SECTION("framework label") {
    runtime["metadata"]["labels"].erase("trainer.kubeflow.org/framework");
    field = R"(metadata.labels["trainer.kubeflow.org/framework"])";
  }
  SECTION("no container named node") {
    job["template"]["spec"]["template"]["spec"]["containers"][0]["name"] = "trainer";
    field = "spec.template.spec.replicatedJobs";
  }
  SECTION("no ancestor label") {
    job["template"]["metadata"]["labels"].erase("trainer.kubeflow.org/trainjob-ancestor-step");
    field = "spec.template.spec.replicatedJobs";
  }
  SECTION("no image") {
    job["template"]["spec"]["template"]["spec"]["containers"][0].erase("image");
    field = kContainer0 + ".image";
  }
  const Failure f = failure_of([&] { static_cast<void>(parse_runtime(runtime)); });
  CHECK(f.code == ErrorCode::kInvalidArgument);
  CHECK(f.field == field);
  CHECK_FALSE(f.hint.empty());
  CHECK_THAT(f.message, Catch::StartsWith("invalid training runtime"));
  CHECK_THAT(f.message, Catch::EndsWith(f.hint));
}

TEST_CASE("runtime: the missing-container message says what to look for", "[runtime]") {
  json runtime = mock_runtime();
  runtime["spec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]
         ["containers"][0]["name"] = "trainer";
  const Failure f = failure_of([&] { static_cast<void>(parse_runtime(runtime)); });
  CHECK(f.message ==
        "invalid training runtime \"torch\": it has no trainer container: no replicated job "
        "labelled trainer.kubeflow.org/trainjob-ancestor-step has a container named \"node\". "
        "Fix the runtime on the cluster or choose another runtime");
}

TEST_CASE("devices: case 29 and the other device kinds", "[runtime]") {
  struct Case {
    std::string limits, device, count;
  };
  const auto c =
      GENERATE(Case{R"({"nvidia.com/mig-1g.5gb": 2})", "mig-1g.5gb", "2"},
               Case{R"({"huawei.com/Ascend910": 2})", "npu", "2"},
               Case{R"({"nvidia.com/gpu": "1", "memory": "4Gi"})", "gpu", "1"},
               Case{R"({"google.com/tpu": "4"})", "tpu", "4"},
               Case{R"({"cpu": "500m"})", "cpu", "500m"}, Case{R"({"cpu": 1.5})", "cpu", "1.5"},
               Case{R"({"cpu": "2", "nvidia.com/gpu": "1"})", "gpu", "1"},
               Case{R"({"nvidia.com/gpu": 1, "nvidia.com/mig-1g.5gb": 1,
                                   "nvidia.com/mig-2g.10gb": 1})",
                    "gpu", "1"});
  CAPTURE(c.limits);
  std::string device = "Unknown";
  std::string count = "Unknown";
  CHECK(container_devices(json::parse(c.limits), device, count));
  CHECK(device == c.device);
  CHECK(count == c.count);
}

TEST_CASE("devices: two MIG profiles are an error naming the field", "[runtime]") {
  std::string device;
  std::string count;
  const json limits = json::parse(R"({"nvidia.com/mig-1g.5gb": 1, "nvidia.com/mig-2g.10gb": 1})");
  const Failure f = failure_of([&] { container_devices(limits, device, count); });
  CHECK(f.code == ErrorCode::kInvalidArgument);
  CHECK(f.field == "resources.limits");
  CHECK_THAT(f.message, Catch::Contains("nvidia.com/mig-1g.5gb"));
}

TEST_CASE("devices: unrecognized or absent limits give false and leave outputs", "[runtime]") {
  const auto limits = GENERATE(json::parse(R"({"memory": "4Gi"})"), json::object(), json(),
                               json::parse(R"({"example.com/fpga": 1})"));
  CAPTURE(limits.dump());
  std::string device = "Unknown";
  std::string count = "Unknown";
  CHECK_FALSE(container_devices(limits, device, count));
  CHECK(device == "Unknown");
  CHECK(count == "Unknown");
}
