// SPDX-License-Identifier: Apache-2.0
// The read deadline of streams (Timeouts::idle), against a loopback server that goes silent.
#include <catch2/catch.hpp>

#include <curl/curl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "failure.hpp"
#include "unit/scripted_server.hpp"

#include "k8s/rest_client.hpp"
#include "k8s/stream_deadlines.hpp"
#include "k8s/watch.hpp"
#include "kubeflow/http/http_client.hpp"
#include "trainer/log_follow.hpp"

using kubeflow::ErrorCode;
using kubeflow::testing::failure_of_call;
using kubeflow::testing::Script;
using kubeflow::testing::ScriptedServer;
using kubeflow::testing::Step;
using std::chrono::milliseconds;

namespace {

std::shared_ptr<kubeflow::http::HttpClient> client_for(const ScriptedServer& server) {
  kubeflow::config::ConnectionConfig connection;
  connection.server = server.url();
  return std::make_shared<kubeflow::http::HttpClient>(connection);
}

kubeflow::http::Request stream_request(milliseconds idle) {
  kubeflow::http::Request request{.path_and_query = "/stream"};
  request.timeouts = {.connect = milliseconds(2000), .total = milliseconds(20'000), .idle = idle};
  return request;
}

kubeflow::config::EnvLookup env_of(std::vector<std::pair<std::string, std::string>> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    for (const auto& [key, value] : values) {
      if (key == name) return value;
    }
    return std::nullopt;
  };
}

}  // namespace

TEST_CASE("read deadline: a stream that goes silent ends after the deadline, its lines kept",
          "[http][deadline]") {
  ScriptedServer server({{.steps = {{.bytes = ScriptedServer::chunked_head() +
                                              ScriptedServer::chunk("line 1\nline 2\n")}},
                          .hold = milliseconds(10'000)}});
  std::vector<std::string> lines;
  const auto response = client_for(server)->stream_lines(stream_request(milliseconds(300)),
                                                         [&](std::string_view line) {
                                                           lines.emplace_back(line);
                                                           return true;
                                                         });
  CHECK(lines == std::vector<std::string>{"line 1", "line 2"});
  CHECK(response.idle_expired);
  CHECK(response.status == 200);
  CHECK(response.curl_code == CURLE_OPERATION_TIMEDOUT);
  CHECK_THAT(response.curl_error, Catch::Contains("sent nothing for 0.3 s"));
}

TEST_CASE("read deadline: bytes arriving more often than the deadline keep a stream alive",
          "[http][deadline]") {
  std::vector<Step> steps{{.bytes = ScriptedServer::chunked_head()}};
  for (int i = 0; i < 8; ++i) {
    steps.push_back({.pause = milliseconds(150), .bytes = ScriptedServer::chunk("tick\n")});
  }
  steps.push_back({.bytes = ScriptedServer::last_chunk()});
  ScriptedServer server({{.steps = steps}});
  int ticks = 0;
  const auto response = client_for(server)->stream_lines(
      stream_request(milliseconds(400)), [&](std::string_view) { return ++ticks > 0; });
  CHECK(ticks == 8);  // 1.2 s in all, three times the deadline, never silent for 0.4 s
  CHECK_FALSE(response.idle_expired);
  CHECK(response.curl_code == 0);
}

TEST_CASE("read deadline: silent before any answer is a timeout error; after it, kSilent",
          "[rest][deadline]") {
  SECTION("no answer at all") {
    ScriptedServer server({{.hold = milliseconds(10'000)}});
    kubeflow::k8s::RestClient rest(client_for(server), {});
    const auto f = failure_of_call([&] {
      (void)rest.stream(
          "/stream", {"watch", "TrainJob", "ns", "", server.url()},
          [](std::string_view) { return true; }, milliseconds(20'000), milliseconds(300));
    });
    CHECK(f.code == ErrorCode::kTimeout);
    CHECK_THAT(f.message, Catch::Contains("read deadline"));
  }
  SECTION("answered, then silent") {
    ScriptedServer server(
        {{.steps = {{.bytes = ScriptedServer::chunked_head()}}, .hold = milliseconds(10'000)}});
    kubeflow::k8s::RestClient rest(client_for(server), {});
    CHECK(rest.stream(
              "/stream", {"watch", "TrainJob", "ns", "", server.url()},
              [](std::string_view) { return true; }, milliseconds(20'000),
              milliseconds(300)) == kubeflow::k8s::StreamEnd::kSilent);
  }
}

TEST_CASE("read deadline: a silent followed log is opened again from its last line, once each",
          "[logs][deadline]") {
  const std::string head = ScriptedServer::chunked_head();
  auto line = [](const char* time, const char* text) {
    return ScriptedServer::chunk(std::string(time) + " " + text + "\n");
  };
  // First connection: two lines of second :01, then silence with the connection open. Second:
  // the server repeats that whole second (sinceTime has whole seconds), adds one, and ends.
  ScriptedServer server({{.steps = {{.bytes = head + line("2026-01-01T10:00:01.100Z", "one") +
                                              line("2026-01-01T10:00:01.200Z", "two")}},
                          .hold = milliseconds(10'000)},
                         {.steps = {{.bytes = head + line("2026-01-01T10:00:01.100Z", "one") +
                                              line("2026-01-01T10:00:01.200Z", "two") +
                                              line("2026-01-01T10:00:02.000Z", "three") +
                                              ScriptedServer::last_chunk()}}}});
  kubeflow::k8s::StreamDeadlines deadlines;
  deadlines.log_silence = milliseconds(300);
  kubeflow::k8s::RestClient rest(client_for(server), {}, deadlines);
  std::vector<std::string> lines;
  kubeflow::trainer::follow_container_log(
      rest, "ns", "pod", "node", {.follow = true},
      [&](std::string text) {
        lines.push_back(std::move(text));
        return true;
      },
      [] { return false; });
  CHECK(lines == std::vector<std::string>{"one", "two", "three"});
  CHECK(server.abandoned(0));
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK_THAT(requests[1], Catch::Contains("sinceTime=2026-01-01T10%3A00%3A01Z"));
}

TEST_CASE("read deadline: a silent watch resumes from the last resourceVersion it saw",
          "[watch][deadline]") {
  auto event = [](const char* type, const char* version) {
    return ScriptedServer::chunk(std::string(R"({"type":")") + type +
                                 R"(","object":{"metadata":{"name":"job","resourceVersion":")" +
                                 version + "\"}}}\n");
  };
  // The first watch sends one event and then nothing, its connection open for 10 s (a stalled
  // proxy): longer than the read deadline (6 s), shorter than the total limit (16 s).
  ScriptedServer server(
      {{.steps = {{.bytes = ScriptedServer::chunked_head() + event("ADDED", "5")}},
        .hold = milliseconds(10'000)},
       {.steps = {{.bytes = ScriptedServer::chunked_head() + event("MODIFIED", "6")}},
        .hold = milliseconds(30'000)}});
  kubeflow::k8s::StreamDeadlines deadlines;
  deadlines.watch_window = std::chrono::seconds(1);  // read deadline 6 s
  kubeflow::k8s::RestClient rest(client_for(server), {}, deadlines);
  std::vector<std::string> seen;
  bool done = false;
  kubeflow::k8s::watch(
      rest, kubeflow::k8s::kTrainJobs, "ns", {}, "4",
      [&](const std::string& type, const nlohmann::json& object) {
        seen.push_back(type + " " + object["metadata"]["resourceVersion"].get<std::string>());
        done = seen.size() == 2;
      },
      [] { return std::string("never"); }, [&] { return done; });
  CHECK(seen == std::vector<std::string>{"ADDED 5", "MODIFIED 6"});
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK_THAT(requests[0], Catch::Contains("timeoutSeconds=1&resourceVersion=4"));
  CHECK_THAT(requests[1], Catch::Contains("resourceVersion=5"));
  CHECK(server.abandoned(0));  // the client left the silent connection: its read deadline
}

TEST_CASE("stream deadlines: defaults, the internal knobs, and a bad value named", "[deadline]") {
  const auto defaults = kubeflow::k8s::stream_deadlines_from(env_of({}));
  CHECK(defaults.watch_window == std::chrono::seconds(30));
  CHECK(defaults.watch_idle() == milliseconds(35'000));
  CHECK(defaults.watch_total() == milliseconds(45'000));
  CHECK(defaults.log_silence == milliseconds(60'000));

  const auto knobs = kubeflow::k8s::stream_deadlines_from(
      env_of({{"KUBEFLOW_INTERNAL_WATCH_WINDOW_SECONDS", "2"},
              {"KUBEFLOW_INTERNAL_LOG_SILENCE_SECONDS", "1.5"}}));
  CHECK(knobs.watch_window == std::chrono::seconds(2));
  CHECK(knobs.watch_idle() == milliseconds(7'000));
  CHECK(knobs.log_silence == milliseconds(1'500));

  for (const char* bad : {"", "0", "2.5", "ten", "5s", "99999"}) {
    INFO(bad);
    const auto f = failure_of_call([&] {
      (void)kubeflow::k8s::stream_deadlines_from(
          env_of({{"KUBEFLOW_INTERNAL_WATCH_WINDOW_SECONDS", bad}}));
    });
    CHECK(f.code == ErrorCode::kConfig);
    CHECK(f.field == "KUBEFLOW_INTERNAL_WATCH_WINDOW_SECONDS");
  }
}
