// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "trainer/job_events.hpp"

using kubeflow::trainer::events_of_job;
using nlohmann::json;

namespace {

json event(const std::string& kind, const std::string& name, const std::string& time) {
  return {{"involvedObject", {{"kind", kind}, {"name", name}}},
          {"message", kind + " " + name},
          {"reason", "R"},
          {"firstTimestamp", time}};
}

}  // namespace

TEST_CASE("job events: the job's own, its JobSet's, child Jobs' and its pods', oldest first",
          "[events]") {
  const json pods = {{"items", {{{"metadata", {{"name", "a-node-0-0-x"}}}}}}};
  const json events = {{"items",
                        {event("Pod", "a-node-0-0-x", "2025-06-01T10:00:03Z"),
                         event("TrainJob", "a", "2025-06-01T10:00:00.5Z"),
                         event("JobSet", "a", "2025-06-01T10:00:01Z"),
                         event("Job", "a-node-0", "2025-06-01T10:00:02Z"),
                         event("Job", "a-b-node-0", "2025-06-01T10:00:02Z"),
                         event("Pod", "other", "2025-06-01T10:00:00Z"),
                         event("TrainJob", "a-b", "2025-06-01T10:00:00Z")}}};
  const auto result = events_of_job(pods, events, "a");
  REQUIRE(result.size() == 4);
  CHECK(result[0].involved_object_kind == "TrainJob");
  CHECK(result[1].involved_object_kind == "JobSet");
  CHECK(result[2].involved_object_name == "a-node-0");
  CHECK(result[3].involved_object_name == "a-node-0-0-x");
}

TEST_CASE("job events: malformed lists and events are skipped, never a foreign exception",
          "[events]") {
  const json odd_events = {
      {"items",
       {json(nullptr),
        json("text"),
        json::object(),
        {{"involvedObject", "TrainJob"}},
        {{"involvedObject", {{"kind", "TrainJob"}, {"name", "a"}}}, {"metadata", 3}}}}};
  const auto result = events_of_job(json::object(), odd_events, "a");
  REQUIRE(result.size() == 1);
  CHECK(result[0].event_time.empty());
  CHECK(events_of_job(json("x"), json::array(), "a").empty());
}
