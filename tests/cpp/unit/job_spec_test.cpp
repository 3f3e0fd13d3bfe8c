// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "failure.hpp"

#include <string>

#include <nlohmann/json.hpp>

#include "kubeflow/error.hpp"
#include "kubeflow/trainer/job_spec.hpp"

using kubeflow::ErrorCode;
using kubeflow::testing::Failure;
using kubeflow::testing::failure_of_call;
using kubeflow::trainer::build_trainjob;
using kubeflow::trainer::EnvVar;
using kubeflow::trainer::InitializerSpec;
using kubeflow::trainer::JobRequest;
using kubeflow::trainer::TrainerSpec;
using kubeflow::trainer::validate_job_request;
using nlohmann::json;

namespace {

Failure failure_of(const JobRequest& request) {
  return failure_of_call([&] { validate_job_request(request); });
}

JobRequest request_for(std::string runtime, std::string kind = "TrainingRuntime") {
  JobRequest request;
  request.name = "a1b2c3d4e5f6";
  request.runtime_name = std::move(runtime);
  request.runtime_kind = std::move(kind);
  return request;
}

json body_with_spec(const JobRequest& request, const json& spec) {
  return {{"apiVersion", "trainer.kubeflow.org/v1alpha1"},
          {"kind", "TrainJob"},
          {"metadata", {{"name", request.name}}},
          {"spec", spec}};
}

const std::vector<std::string> kCommand = {"bash", "-c", "\nread -r -d '' SCRIPT << EOM\n...\n"};

}  // namespace

TEST_CASE("trainjob: case 6, no trainer gives only the runtime reference", "[spec]") {
  const JobRequest request = request_for("torch");
  CHECK(
      build_trainjob(request) ==
      body_with_spec(request, {{"runtimeRef", {{"name", "torch"}, {"kind", "TrainingRuntime"}}}}));
}

TEST_CASE("trainjob: case 7, a named runtime", "[spec]") {
  const JobRequest request = request_for("runtime-1");
  const json body = build_trainjob(request);
  CHECK(body["spec"] == json::parse(R"({"runtimeRef": {"name": "runtime-1",
                                                        "kind": "TrainingRuntime"}})"));
}

TEST_CASE("trainjob: an empty trainer is omitted", "[spec]") {
  JobRequest request = request_for("torch-distributed", "ClusterTrainingRuntime");
  request.trainer = TrainerSpec{};
  SECTION("all unset") {}
  SECTION("empty resources mean unset") { request.trainer->resources_per_node = json::object(); }
  CHECK_FALSE(build_trainjob(request)["spec"].contains("trainer"));
}

TEST_CASE("trainjob: case 8, BuiltinTrainer command and args", "[spec]") {
  JobRequest request = request_for("torchtune");
  TrainerSpec trainer;
  trainer.command = {"tune", "run"};
  trainer.args = {"batch_size=2", "epochs=2",
                  "loss=torchtune.modules.loss.CEWithChunkedOutputLoss"};
  trainer.num_nodes = 2;
  request.trainer = trainer;
  CHECK(build_trainjob(request)["spec"]["trainer"] == json::parse(R"({
    "command": ["tune", "run"],
    "args": ["batch_size=2", "epochs=2", "loss=torchtune.modules.loss.CEWithChunkedOutputLoss"],
    "numNodes": 2})"));
}

TEST_CASE("trainjob: cases 10 and 11, CustomTrainer with command, env and image", "[spec]") {
  JobRequest request = request_for("torch");
  TrainerSpec trainer;
  trainer.command = kCommand;
  trainer.num_nodes = 2;
  json expected = {{"command", kCommand}, {"numNodes", 2}};
  SECTION("case 10") {}
  SECTION("case 11") {
    trainer.env = {{"TEST_ENV", "test_value"}, {"ANOTHER_ENV", "another_value"}};
    trainer.image = "my-custom-image";
    expected["env"] = json::parse(R"([{"name": "TEST_ENV", "value": "test_value"},
                                      {"name": "ANOTHER_ENV", "value": "another_value"}])");
    expected["image"] = "my-custom-image";
  }
  request.trainer = trainer;
  CHECK(build_trainjob(request) ==
        body_with_spec(request, {{"runtimeRef", {{"name", "torch"}, {"kind", "TrainingRuntime"}}},
                                 {"trainer", expected}}));
}

TEST_CASE("trainjob: case 12, CustomTrainerContainer with resources and no command", "[spec]") {
  JobRequest request = request_for("torch");
  TrainerSpec trainer;
  trainer.image = "example.com/my-image";
  trainer.num_nodes = 2;
  trainer.resources_per_node = json::parse(R"({"cpu": 5, "gpu": 3})");
  trainer.env = {EnvVar{"TEST_ENV", "test_value"}};
  request.trainer = trainer;
  CHECK(build_trainjob(request)["spec"]["trainer"] == json::parse(R"({
    "image": "example.com/my-image",
    "numNodes": 2,
    "resourcesPerNode": {"requests": {"cpu": 5, "nvidia.com/gpu": 3},
                         "limits": {"cpu": 5, "nvidia.com/gpu": 3}},
    "env": [{"name": "TEST_ENV", "value": "test_value"}]})"));
}

TEST_CASE("trainjob: the issue's CustomTrainer on torch-distributed", "[spec]") {
  JobRequest request = request_for("torch-distributed", "ClusterTrainingRuntime");
  TrainerSpec trainer;
  trainer.command = kCommand;
  trainer.num_nodes = 2;
  trainer.resources_per_node = json::parse(R"({"cpu": 2, "memory": "4Gi"})");
  request.trainer = trainer;
  json expected = body_with_spec(request, json::parse(R"({
    "runtimeRef": {"name": "torch-distributed", "kind": "ClusterTrainingRuntime"},
    "trainer": {"numNodes": 2,
                "resourcesPerNode": {"requests": {"cpu": 2, "memory": "4Gi"},
                                     "limits": {"cpu": 2, "memory": "4Gi"}}}})"));
  expected["spec"]["trainer"]["command"] = kCommand;
  CHECK(build_trainjob(request) == expected);
}

TEST_CASE("trainjob: cases 14 and 16, labels, annotations and deadline", "[spec]") {
  JobRequest request = request_for("torch");
  SECTION("case 14") {
    request.labels = {{"team", "ml-platform"}};
    request.annotations = {{"created-by", "sdk"}};
    const json body = build_trainjob(request);
    CHECK(body["metadata"] == json::parse(R"({"name": "a1b2c3d4e5f6",
                                               "labels": {"team": "ml-platform"},
                                               "annotations": {"created-by": "sdk"}})"));
    CHECK_FALSE(body["spec"].contains("activeDeadlineSeconds"));
  }
  SECTION("case 16") {
    request.active_deadline_seconds = 3600;
    request.labels = {{"team", "ml"}};
    const json body = build_trainjob(request);
    CHECK(body["spec"]["activeDeadlineSeconds"] == 3600);
    CHECK(body["metadata"]["labels"] == json{{"team", "ml"}});
    CHECK_FALSE(body["metadata"].contains("annotations"));
  }
}

TEST_CASE("trainjob: cases 15 and 17, runtime patches pass through", "[spec]") {
  JobRequest request = request_for("torch");
  request.runtime_patches = json::parse(R"([{
    "manager": "trainer.kubeflow.org/kubeflow-sdk",
    "trainingRuntimeSpec": {"template": {"spec": {"replicatedJobs": [{"name": "node",
      "template": {"spec": {"template": {"spec": {"nodeSelector": {"node-type": "gpu-a100"}}}}}}]}}}
  }])");
  CHECK(build_trainjob(request)["spec"]["runtimePatches"] == request.runtime_patches);
}

TEST_CASE("trainjob: initializers keep an empty env and add secretRef only when set", "[spec]") {
  JobRequest request = request_for("torchtune-llama3.2-1b", "ClusterTrainingRuntime");
  request.dataset = InitializerSpec{"hf://tatsu-lab/alpaca", {}, std::nullopt};
  SECTION("dataset only") {
    CHECK(build_trainjob(request)["spec"]["initializer"] ==
          json::parse(R"({"dataset": {"storageUri": "hf://tatsu-lab/alpaca", "env": []}})"));
  }
  SECTION("model with env and secret") {
    request.model =
        InitializerSpec{"s3://bucket/model", {EnvVar{"REGION", "eu-west-1"}}, "s3-creds"};
    CHECK(build_trainjob(request)["spec"]["initializer"]["model"] == json::parse(R"({
      "storageUri": "s3://bucket/model",
      "env": [{"name": "REGION", "value": "eu-west-1"}],
      "secretRef": {"name": "s3-creds"}})"));
  }
}

TEST_CASE("validation: accepted edge values", "[spec]") {
  JobRequest request = request_for("torchtune-llama3.2-1b");
  request.name = "a" + std::string(62, 'b');
  TrainerSpec trainer;
  trainer.env = {{"_A", "1"}, {"-x", "2"}, {".y", "3"}, {"A.b-c_9", "4"}};
  trainer.num_nodes = 1;
  request.trainer = trainer;
  request.dataset = InitializerSpec{"", {}, "my.secret-1"};
  request.active_deadline_seconds = 1;
  CHECK_NOTHROW(validate_job_request(request));
}

TEST_CASE("validation: the TrainJob name is an RFC 1035 label", "[spec]") {
  JobRequest request = request_for("torch");
  SECTION("the documented message") {
    request.name = "My-Job";
    const Failure f = failure_of(request);
    CHECK(f.code == ErrorCode::kInvalidArgument);
    CHECK(f.field == "metadata.name");
    CHECK_THAT(f.message, Catch::StartsWith(R"(invalid TrainJob name "My-Job": must be a )"
                                            "lowercase RFC 1035 label"));
    CHECK_THAT(f.message, Catch::Contains("Use lowercase letters, digits and '-'"));
    CHECK_THAT(f.message, Catch::EndsWith(f.hint));
  }
  SECTION("other bad names") {
    request.name = GENERATE(as<std::string>{}, "", "1abc", "abc-", "-abc", "a_b", "a.b", "ab c",
                            std::string(64, 'a'));
    CAPTURE(request.name);
    const Failure f = failure_of(request);
    CHECK(f.code == ErrorCode::kInvalidArgument);
    CHECK(f.field == "metadata.name");
    CHECK_FALSE(f.hint.empty());
  }
}

TEST_CASE("validation: each error names its field", "[spec]") {
  JobRequest request = request_for("torch");
  TrainerSpec trainer;
  std::string field;

  SECTION("runtime name") {
    request.runtime_name = "";
    field = "spec.runtimeRef.name";
  }
  SECTION("runtime kind") {
    request.runtime_kind = "Runtime";
    field = "spec.runtimeRef.kind";
  }
  SECTION("env name") {
    trainer.env = {{"GOOD", "1"}, {"1BAD", "2"}};
    request.trainer = trainer;
    field = "spec.trainer.env[1].name";
  }
  SECTION("empty env name") {
    trainer.env = {EnvVar{"", "1"}};
    request.trainer = trainer;
    field = "spec.trainer.env[0].name";
  }
  SECTION("duplicate env name") {
    trainer.env = {{"A", "1"}, {"B", "2"}, {"A", "3"}};
    request.trainer = trainer;
    field = "spec.trainer.env[2].name";
  }
  SECTION("runtime name that is no object name") {
    request.runtime_name = GENERATE(as<std::string>{}, "Torch", "a b", std::string("a\0b", 3));
    field = "spec.runtimeRef.name";
  }
  SECTION("negative numNodes") {
    trainer.num_nodes = -1;
    request.trainer = trainer;
    field = "spec.trainer.numNodes";
  }
  SECTION("numNodes 0 (upstream drops it; the runtime's default would run)") {
    trainer.num_nodes = 0;
    request.trainer = trainer;
    field = "spec.trainer.numNodes";
  }
  SECTION("empty image") {
    trainer.image = "";
    request.trainer = trainer;
    field = "spec.trainer.image";
  }
  SECTION("blank image or one with a control character") {
    trainer.image = GENERATE(as<std::string>{}, "  ", "busy box", std::string("busybox\0", 8));
    request.trainer = trainer;
    field = "spec.trainer.image";
  }
  SECTION("NUL in an env value") {
    trainer.env = {{"A", "1"}, {"B", std::string("x\0y", 3)}};
    request.trainer = trainer;
    field = "spec.trainer.env[1].value";
  }
  SECTION("bad quantity") {
    trainer.resources_per_node = {{"cpu", 2}, {"memory", "4GB"}};
    request.trainer = trainer;
    field = R"(resources_per_node["memory"])";
  }
  SECTION("dataset env") {
    request.dataset = InitializerSpec{"hf://d", {EnvVar{"BAD NAME", "x"}}, std::nullopt};
    field = "spec.initializer.dataset.env[0].name";
  }
  SECTION("model storage URI") {
    request.model = InitializerSpec{"meta-llama/Llama-3.2-1B", {}, std::nullopt};
    field = "spec.initializer.model.storageUri";
  }
  SECTION("secret name") {
    request.dataset = InitializerSpec{"s3://b/d", {}, "Bad_Secret"};
    field = "spec.initializer.dataset.secretRef.name";
  }
  SECTION("label value") {
    request.labels = {{"team", 1}};
    field = R"(metadata.labels["team"])";
  }
  SECTION("annotations type") {
    request.annotations = json::array({"x"});
    field = "metadata.annotations";
  }
  SECTION("runtime patches type") {
    request.runtime_patches = json::object();
    field = "spec.runtimePatches";
  }
  SECTION("runtime patch without manager") {
    request.runtime_patches =
        json::parse(R"([{"manager": "a.io/x"}, {"trainingRuntimeSpec": {}}])");
    field = "spec.runtimePatches[1].manager";
  }
  SECTION("activeDeadlineSeconds 0") {
    request.active_deadline_seconds = 0;
    field = "spec.activeDeadlineSeconds";
  }
  SECTION("activeDeadlineSeconds negative") {
    request.active_deadline_seconds = -100;
    field = "spec.activeDeadlineSeconds";
  }

  const Failure f = failure_of(request);
  CHECK(f.code == ErrorCode::kInvalidArgument);
  CHECK(f.field == field);
  CHECK_FALSE(f.hint.empty());
  CHECK_THAT(f.message, Catch::EndsWith(f.hint));
  CHECK_THROWS_AS(build_trainjob(request), kubeflow::Error);
}

TEST_CASE("validation: duplicate env message points at the first use", "[spec]") {
  JobRequest request = request_for("torch");
  request.trainer = TrainerSpec{};
  request.trainer->env = {{"A", "1"}, {"A", "2"}};
  CHECK(failure_of(request).message ==
        "duplicate environment variable \"A\": it is already set at spec.trainer.env[0]. "
        "Give each variable once");
}

TEST_CASE("validation: a request whose runtime is not resolved yet", "[spec]") {
  JobRequest request = request_for("torch-distributed");
  request.runtime_kind.reset();
  SECTION("passes the local checks") { CHECK(failure_of(request).field == "<no error>"); }
  SECTION("still gets every other check") {
    request.name = "Bad";
    CHECK(failure_of(request).field == "metadata.name");
  }
  SECTION("cannot be built into a TrainJob") {
    const Failure f = failure_of_call([&] { static_cast<void>(build_trainjob(request)); });
    CHECK(f.code == ErrorCode::kInvalidArgument);
    CHECK(f.field == "spec.runtimeRef.kind");
  }
}
