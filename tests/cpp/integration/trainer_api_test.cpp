// SPDX-License-Identifier: Apache-2.0
// Runs against the real kube-apiserver that scripts/test.sh starts. Without it the cases pass with
// a warning on a developer's machine, and fail when CI is set (a missing cluster must not look
// green).
#include <cstdlib>

#include <catch2/catch.hpp>

#include "kubeflow/config/connection.hpp"
#include "kubeflow/error.hpp"
#include "kubeflow/trainer/trainer_api.hpp"

using kubeflow::Error;
using kubeflow::ErrorCode;
using kubeflow::trainer::TrainerApi;

namespace {

bool env_set(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0';
}

std::unique_ptr<TrainerApi> api_or_skip(const std::string& ns = "default") {
  if (!env_set("KUBEFLOW_TEST_KUBECONFIG")) {
    if (env_set("CI")) FAIL("CI is set but KUBEFLOW_TEST_KUBECONFIG is not: no test control plane");
    WARN("KUBEFLOW_TEST_KUBECONFIG is not set: skipped");
    return nullptr;
  }
  const char* kubeconfig = std::getenv("KUBEFLOW_TEST_KUBECONFIG");
  kubeflow::config::LoadOptions options;
  options.config_file = kubeconfig;
  auto connection = kubeflow::config::load_connection(options, kubeflow::config::process_env());
  return std::make_unique<TrainerApi>(std::move(connection), ns);
}

}  // namespace

TEST_CASE("integration: the 8 shipped runtimes are listed", "[integration]") {
  auto api = api_or_skip();
  if (!api) return;
  const auto runtimes = api->list_runtimes();
  CHECK(runtimes.size() == 8);
  const auto torch = api->get_runtime("torch-distributed");
  CHECK(torch.kind == "ClusterTrainingRuntime");
  CHECK(torch.framework == "torch");
  CHECK(api->trainer_version("kubeflow-system") == std::optional<std::string>("v2.3.0"));
}

TEST_CASE("integration: create, read back, delete a TrainJob", "[integration]") {
  auto api = api_or_skip();
  if (!api) return;
  kubeflow::trainer::JobRequest request;
  request.name = "catch2-create-read-delete";
  request.runtime_name = "torch-distributed";
  request.runtime_kind = "ClusterTrainingRuntime";
  request.trainer = kubeflow::trainer::TrainerSpec{.num_nodes = 2};
  const std::string name = api->train(request);
  const auto job = api->get_job(name);
  CHECK(job.name == name);
  CHECK(job.num_nodes == 2);
  CHECK(job.status == "Created");
  CHECK(job.runtime.framework == "torch");
  api->delete_job(name);
  try {
    (void)api->get_job(name);
    FAIL("the job is still there");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kNotFound);
  }
}

TEST_CASE("integration: unknown runtime is NotFound naming both scopes", "[integration]") {
  auto api = api_or_skip();
  if (!api) return;
  try {
    (void)api->get_runtime("no-such-runtime");
    FAIL("expected NotFound");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kNotFound);
    CHECK(std::string(e.what()).find("neither a TrainingRuntime") != std::string::npos);
  }
}
