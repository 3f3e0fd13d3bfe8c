// SPDX-License-Identifier: Apache-2.0
// The queries of a followed log with options, and its line limit, against a scripted server.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "unit/scripted_server.hpp"

#include "k8s/rest_client.hpp"
#include "k8s/stream_deadlines.hpp"
#include "kubeflow/http/http_client.hpp"
#include "trainer/log_follow.hpp"

using kubeflow::testing::ScriptedServer;
using std::chrono::milliseconds;

namespace {

std::shared_ptr<kubeflow::http::HttpClient> client_for(const ScriptedServer& server) {
  kubeflow::config::ConnectionConfig connection;
  connection.server = server.url();
  return std::make_shared<kubeflow::http::HttpClient>(connection);
}

std::string line(const std::string& time, const std::string& text) {
  return ScriptedServer::chunk(time + " " + text + "\n");
}

}  // namespace

TEST_CASE("log follow: the options shape the first request, a resume asks from the last line",
          "[logs]") {
  const std::string head = ScriptedServer::chunked_head();
  // First connection: one line, then silence (the read deadline reopens it). Second: the rest.
  ScriptedServer server({{.steps = {{.bytes = head + line("2026-01-01T10:00:01.100Z", "one")}},
                          .hold = milliseconds(10'000)},
                         {.steps = {{.bytes = head + line("2026-01-01T10:00:01.100Z", "one") +
                                              line("2026-01-01T10:00:02.000Z", "two") +
                                              ScriptedServer::last_chunk()}}}});
  kubeflow::k8s::StreamDeadlines deadlines;
  deadlines.log_silence = milliseconds(300);
  kubeflow::k8s::RestClient rest(client_for(server), {}, deadlines);
  std::vector<std::string> lines;
  kubeflow::trainer::follow_container_log(
      rest, "ns", "pod", "node",
      {.follow = true, .tail_lines = 5, .since_seconds = 60, .previous = true},
      [&](std::string text) {
        lines.push_back(std::move(text));
        return true;
      },
      [] { return false; });
  CHECK(lines == std::vector<std::string>{"one", "two"});
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK_THAT(requests[0], Catch::Contains("follow=true") && Catch::Contains("previous=true") &&
                              Catch::Contains("tailLines=5") && Catch::Contains("sinceSeconds=60"));
  // The resume must not cut the log again (tailLines) nor move its window (sinceSeconds).
  CHECK_THAT(requests[1], Catch::Contains("sinceTime=2026-01-01T10%3A00%3A01Z") &&
                              Catch::Contains("previous=true") && !Catch::Contains("tailLines") &&
                              !Catch::Contains("sinceSeconds"));
}

TEST_CASE("log follow: without follow the log is read once; a huge line is cut", "[logs]") {
  const std::string huge(300 * 1024, 'z');
  ScriptedServer server(
      {{.steps = {
            {.bytes = ScriptedServer::chunked_head() + line("2026-01-01T10:00:01.100Z", huge) +
                      line("2026-01-01T10:00:01.200Z", "after") + ScriptedServer::last_chunk()}}}});
  kubeflow::k8s::RestClient rest(client_for(server), {});
  std::vector<std::string> lines;
  kubeflow::trainer::follow_container_log(
      rest, "ns", "pod", "node", {},
      [&](std::string text) {
        lines.push_back(std::move(text));
        return true;
      },
      [] { return false; });
  REQUIRE(lines.size() == 2);
  // The stamp and its space count against the limit; the rest of the 300 KiB is said, not kept.
  const size_t kept =
      kubeflow::trainer::kMaxLogLine - std::string("2026-01-01T10:00:01.100Z ").size();
  CHECK(lines[0] == std::string(kept, 'z') + " [" + std::to_string(huge.size() - kept) +
                        " more bytes not shown]");
  CHECK(lines[1] == "after");
  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK_THAT(requests[0], !Catch::Contains("follow=") && Catch::Contains("timestamps=true"));
}
