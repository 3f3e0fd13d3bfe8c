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
using kubeflow::trainer::resources_per_node;
using nlohmann::json;

namespace {

Failure failure_of(const json& input) {
  return failure_of_call([&] { static_cast<void>(resources_per_node(input)); });
}

json both(const json& resources) { return {{"requests", resources}, {"limits", resources}}; }

}  // namespace

TEST_CASE("resources: MIG keys are lower-cased and prefixed, values kept", "[spec]") {
  const json out = resources_per_node(json::parse(R"({"MiG-1G.5GB": 2, "cpu": "500m"})"));
  CHECK(out == both(json::parse(R"({"cpu": "500m", "nvidia.com/mig-1g.5gb": 2})")));
  CHECK(out["limits"]["nvidia.com/mig-1g.5gb"].is_number_integer());
  CHECK(out["limits"]["cpu"].is_string());
}

TEST_CASE("resources: well-known keys are lower-cased, extended keys keep their case", "[spec]") {
  SECTION("capitalized extended resource") {
    const json out = resources_per_node(json::parse(R"({"example.com/Capitalized": 1, "CPU": 2,
                                                         "Memory": "16Gi",
                                                         "EPHEMERAL-STORAGE": "100Gi"})"));
    CHECK(out == both(json::parse(
                     R"({"example.com/Capitalized": 1, "cpu": 2, "memory": "16Gi",
                         "ephemeral-storage": "100Gi"})")));
  }
  SECTION("storage alias and mixed case") {
    const json out = resources_per_node(
        json::parse(R"({"STORAGE": "100Gi", "mEmOrY": "8Gi", "Example.com/Custom-NPU": 2})"));
    CHECK(out == both(json::parse(
                     R"({"ephemeral-storage": "100Gi", "memory": "8Gi",
                         "Example.com/Custom-NPU": 2})")));
  }
  SECTION("gpu alias") {
    CHECK(resources_per_node(json::parse(R"({"GPU": 4, "cpu": 5, "memory": "10G"})")) ==
          both(json::parse(R"({"nvidia.com/gpu": 4, "cpu": 5, "memory": "10G"})")));
  }
  SECTION("already-qualified keys pass through") {
    CHECK(resources_per_node(json::parse(R"({"nvidia.com/gpu": 1})")) ==
          both(json::parse(R"({"nvidia.com/gpu": 1})")));
  }
  SECTION("empty dict") { CHECK(resources_per_node(json::object()) == both(json::object())); }
}

TEST_CASE("resources: MIG conflicts are rejected", "[spec]") {
  const auto input = GENERATE(as<std::string>{}, R"({"gpu": 1, "mig-1g.5gb": 1})",
                              R"({"mig-1g.5gb": 1, "mig-2g.10gb": 1})",
                              R"({"nvidia.com/gpu": 1, "MIG-1g.5gb": 1})",
                              R"({"mig-1g.5gb": 1, "nvidia.com/mig-3g.20gb": 1})");
  CAPTURE(input);
  const Failure f = failure_of(json::parse(input));
  CHECK(f.code == ErrorCode::kInvalidArgument);
  CHECK(f.field == "resources_per_node");
  CHECK_THAT(f.message, Catch::Contains("MIG"));
  CHECK_FALSE(f.hint.empty());
}

TEST_CASE("resources: valid quantities are accepted unchanged", "[spec]") {
  const auto value = GENERATE(as<std::string>{}, R"("500m")", R"("4Gi")", R"("1e3")", R"("1E3")",
                              R"("0.5")", R"(".5")", R"("1.")", R"("+1")", R"("2k")", R"("1Ei")",
                              R"("10n")", R"("7u")", R"("1.5e-3")", R"("16G")", "0", "8", "2.0");
  CAPTURE(value);
  const json input = {{"memory", json::parse(value)}};
  CHECK(resources_per_node(input)["limits"]["memory"] == json::parse(value));
}

TEST_CASE("resources: invalid quantities name the field and say how to fix", "[spec]") {
  const auto value =
      GENERATE(as<std::string>{}, R"("4GB")", R"("")", R"("abc")", R"("1e")", R"("Gi")",
               R"("1 Gi")", R"("1ki")", R"("0x10")", R"("1.2.3")", R"(" 4Gi")", R"("-1")",
               R"("-500m")", "-1", "0.5", "true", "null", "[1]", R"({"a": 1})");
  CAPTURE(value);
  const Failure f = failure_of(json{{"memory", json::parse(value)}});
  CHECK(f.code == ErrorCode::kInvalidArgument);
  CHECK(f.field == R"(resources_per_node["memory"])");
  CHECK_THAT(f.message, Catch::StartsWith(R"(invalid resources_per_node["memory"] value )"));
  CHECK_THAT(f.message, Catch::EndsWith(f.hint));
  CHECK_FALSE(f.hint.empty());
}

TEST_CASE("resources: the field keeps the user's spelling of the key", "[spec]") {
  const Failure f = failure_of(json::parse(R"({"Memory": "4GB"})"));
  CHECK(f.field == R"(resources_per_node["Memory"])");
  CHECK(f.message ==
        R"(invalid resources_per_node["Memory"] value "4GB": not a Kubernetes quantity. )"
        R"(Use a non-negative integer or a quantity string such as "500m", "4Gi" or "1e3")");
}

TEST_CASE("resources: a fractional number asks for a quantity string", "[spec]") {
  const Failure f = failure_of(json::parse(R"({"cpu": 0.5})"));
  CHECK(f.field == R"(resources_per_node["cpu"])");
  CHECK_THAT(f.hint, Catch::Contains(R"("500m")"));
}

TEST_CASE("resources: two spellings of one resource are rejected", "[spec]") {
  const auto input = GENERATE(as<std::string>{}, R"({"CPU": 1, "cpu": 2})",
                              R"({"storage": "1Gi", "ephemeral-storage": "2Gi"})",
                              R"({"gpu": 1, "nvidia.com/gpu": 2})");
  CAPTURE(input);
  const Failure f = failure_of(json::parse(input));
  CHECK(f.code == ErrorCode::kInvalidArgument);
  CHECK_THAT(f.field, Catch::StartsWith("resources_per_node[\""));
  CHECK(f.hint == "Give each resource once");
}

TEST_CASE("resources: the argument must be a dict with named entries", "[spec]") {
  SECTION("not a dict") {
    const Failure f = failure_of(json::array({1}));
    CHECK(f.code == ErrorCode::kInvalidArgument);
    CHECK(f.field == "resources_per_node");
  }
  SECTION("empty key") {
    const Failure f = failure_of(json{{"", 1}});
    CHECK(f.field == R"(resources_per_node[""])");
  }
}

TEST_CASE("resources: names the API server would refuse are rejected, naming the key", "[spec]") {
  const auto key =
      GENERATE(as<std::string>{}, "weird/Res Name", "1", "pods", "gpus", "example.com/", "/device",
               "example.com/a b", "exa mple.com/x", "example.com/-npu");
  CAPTURE(key);
  const Failure f = failure_of(json{{key, 1}});
  CHECK(f.code == ErrorCode::kInvalidArgument);
  CHECK(f.field == "resources_per_node[" + json(key).dump() + "]");
  CHECK_THAT(f.message, Catch::Contains("invalid resource name"));
}

TEST_CASE("resources: standard, hugepages and extended names are accepted", "[spec]") {
  const auto key = GENERATE(as<std::string>{}, "cpu", "Memory", "ephemeral-storage",
                            "hugepages-2Mi", "hugepages-1Gi", "example.com/device",
                            "Example.com/Custom-NPU", "amd.com/gpu", "nvidia.com/mig-1g.5gb");
  CAPTURE(key);
  CHECK(failure_of(json{{key, 1}}).field == "<no error>");
}
