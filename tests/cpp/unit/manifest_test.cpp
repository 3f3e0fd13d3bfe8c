// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "kubeflow/error.hpp"
#include "kubeflow/trainer/manifest.hpp"

using kubeflow::Error;
using kubeflow::ErrorCode;
using kubeflow::trainer::manifest_for_create;
using kubeflow::trainer::manifest_from_text;
using kubeflow::trainer::manifest_to_yaml;
using nlohmann::json;

namespace {

json trainjob() {
  return json::parse(R"({"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
                         "metadata": {"name": "job-1"},
                         "spec": {"runtimeRef": {"name": "torch-distributed"}}})");
}

std::string field_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kInvalidArgument);
    return e.details().field;
  }
  FAIL("no error");
  return "";
}

}  // namespace

TEST_CASE("manifest: YAML reads back as the same JSON, whatever the strings hold", "[manifest]") {
  json m = trainjob();
  m["metadata"]["labels"] = {{"bool", "true"},  {"int", "1"},   {"float", "1.5"},
                             {"null", "null"},  {"empty", ""},  {"mapping", "a: b"},
                             {"comment", "#c"}, {"flow", "[x"}, {"tilde", "~"}};
  m["spec"]["trainer"] = {
      {"command", {"bash", "-c", "set -e\n\necho \"$HOME\" 'x'\n  indented\n"}},
      {"args", {"no final newline\nx", "two newlines\n\n", "tab\there", " lead\n", "\x01"}},
      {"numNodes", 2},
      {"ratio", 0.1},
      {"empty_object", json::object()},
      {"empty_array", json::array()},
      {"nothing", nullptr},
      {"flag", false}};
  const std::string yaml = manifest_to_yaml(m);
  CHECK(manifest_from_text(yaml, "test") == m);
  // A function's source stays readable: a literal block, not one escaped line.
  CHECK(yaml.find("- |\n") != std::string::npos);
  CHECK(yaml.find("  indented\n") != std::string::npos);
}

TEST_CASE("manifest: text that is not one mapping is refused with its position", "[manifest]") {
  CHECK_THROWS_WITH(manifest_from_text("kind: [TrainJob", "job.yaml"),
                    Catch::Contains("job.yaml is not valid YAML") && Catch::Contains("line"));
  CHECK_THROWS_WITH(manifest_from_text("- a\n- b\n", "job.yaml"),
                    Catch::Contains("must be one YAML or JSON mapping"));
}

TEST_CASE("manifest: only a named TrainJob of this namespace can be created", "[manifest]") {
  json wrong_api = trainjob();
  wrong_api["apiVersion"] = "kubeflow.org/v1";
  CHECK(field_of([&] { (void)manifest_for_create(wrong_api, "ns"); }) == "apiVersion");
  json pytorchjob = trainjob();
  pytorchjob["kind"] = "PyTorchJob";
  CHECK(field_of([&] { (void)manifest_for_create(pytorchjob, "ns"); }) == "kind");
  json unnamed = trainjob();
  unnamed["metadata"].erase("name");
  unnamed["metadata"]["generateName"] = "job-";
  CHECK(field_of([&] { (void)manifest_for_create(unnamed, "ns"); }) == "metadata.name");
  json elsewhere = trainjob();
  elsewhere["metadata"]["namespace"] = "team-b";
  CHECK(field_of([&] { (void)manifest_for_create(elsewhere, "team-a"); }) == "metadata.namespace");
  elsewhere["metadata"]["namespace"] = "team-a";
  CHECK(manifest_for_create(elsewhere, "team-a")["metadata"]["namespace"] == "team-a");
}

TEST_CASE("manifest: what the server set on a read-back object is dropped", "[manifest]") {
  json stored = trainjob();
  stored["metadata"].update(json::parse(R"({"uid": "u", "resourceVersion": "7",
      "creationTimestamp": "2026-01-01T00:00:00Z", "generation": 1, "managedFields": [],
      "labels": {"team": "a"}})"));
  stored["status"] = {{"conditions", json::array()}};
  const json ready = manifest_for_create(stored, "ns");
  CHECK(ready["metadata"] == json::parse(R"({"name": "job-1", "labels": {"team": "a"}})"));
  CHECK_FALSE(ready.contains("status"));
  CHECK(ready["spec"] == stored["spec"]);
}
