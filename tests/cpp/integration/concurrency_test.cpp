// SPDX-License-Identifier: Apache-2.0
// Several threads sharing one client: concurrent requests, streams and watches. These are the
// cases scripts/sanitize.sh runs under ThreadSanitizer (they pass in every build). The streaming
// case uses a small local server, so the bytes arrive in pieces of a few bytes; the TrainerApi
// case runs against the test control plane (skipped without it, as trainer_api_test.cpp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "kubeflow/config/connection.hpp"
#include "kubeflow/error.hpp"
#include "kubeflow/http/http_client.hpp"
#include "kubeflow/trainer/trainer_api.hpp"

using kubeflow::Error;
using kubeflow::ErrorCode;

namespace {

constexpr int kLines = 50;

std::string line_text(int i) {
  return "2025-06-01T10:00:00." + std::to_string(i) + "Z line " + std::to_string(i);
}

// Answers every request on a loopback port with 200 and kLines lines written a few bytes at a
// time, each connection on a thread of its own, then closes it.
class LineServer {
 public:
  LineServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~LineServer() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept() with an error
    acceptor_.join();
    ::close(fd_);
    for (auto& t : connections_) t.join();
  }
  LineServer(const LineServer&) = delete;
  LineServer& operator=(const LineServer&) = delete;

  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void accept_loop() {
    for (;;) {
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;  // the listening socket was shut down
      connections_.emplace_back([client] { serve(client); });
    }
  }

  static void serve(int client) {
    // The request is not read beyond its headers' end: every request gets the same answer.
    std::string request;
    char buffer[1024];
    while (request.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      request.append(buffer, static_cast<size_t>(n));
    }
    std::string body;
    for (int i = 0; i < kLines; ++i) body += line_text(i) + (i % 2 == 0 ? "\n" : "\r\n");
    const std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        "Connection: close\r\n\r\n";
    (void)::send(client, head.data(), head.size(), MSG_NOSIGNAL);
    for (size_t at = 0; at < body.size(); at += 7) {
      const size_t n = std::min<size_t>(7, body.size() - at);
      if (::send(client, body.data() + at, n, MSG_NOSIGNAL) < 0) break;
    }
    ::close(client);
  }

  int fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // only the acceptor thread adds, before the join
};

}  // namespace

TEST_CASE("concurrency: threads sharing one HttpClient stream and fetch at once", "[http]") {
  LineServer server;
  kubeflow::config::ConnectionConfig connection;
  connection.server = server.url();
  kubeflow::http::HttpClient client(connection);
  std::vector<std::string> expected;
  for (int i = 0; i < kLines; ++i) expected.push_back(line_text(i));

  std::mutex mutex;
  std::vector<std::string> problems;
  const auto stream_a_few = [&] {
    for (int round = 0; round < 5; ++round) {
      std::vector<std::string> lines;
      const auto response =
          client.stream_lines({.path_and_query = "/log"}, [&](std::string_view line) {
            lines.emplace_back(line);
            return true;
          });
      const auto whole = client.perform({.path_and_query = "/whole"});
      const std::lock_guard<std::mutex> lock(mutex);
      if (response.status != 200 || lines != expected) problems.push_back("stream");
      if (whole.status != 200 || whole.body.size() < expected.size()) problems.push_back("get");
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(stream_a_few);
  for (auto& t : threads) t.join();
  CHECK(problems.empty());
  CHECK(client.request_count() == 4 * 5 * 2);
}

TEST_CASE("concurrency: threads sharing one TrainerApi read, watch and follow at once",
          "[integration]") {
  const char* kubeconfig = std::getenv("KUBEFLOW_TEST_KUBECONFIG");
  if (kubeconfig == nullptr || *kubeconfig == '\0') {
    if (std::getenv("CI") != nullptr) FAIL("CI is set but KUBEFLOW_TEST_KUBECONFIG is not");
    WARN("KUBEFLOW_TEST_KUBECONFIG is not set: skipped");
    return;
  }
  kubeflow::config::LoadOptions options;
  options.config_file = kubeconfig;
  kubeflow::trainer::TrainerApi api(
      kubeflow::config::load_connection(options, kubeflow::config::process_env()), "default");
  kubeflow::trainer::JobRequest request;
  request.name = "catch2-concurrency";
  request.runtime_name = "torch-distributed";
  request.runtime_kind = "ClusterTrainingRuntime";
  request.trainer = kubeflow::trainer::TrainerSpec{.num_nodes = 1};
  const std::string name = api.train(request);

  // Two streams (a watch of the job and its pods; a follow of a log whose pod never starts)
  // run on their own threads while four threads read.
  auto watch = api.watch_job(name);
  auto logs = api.follow_job_logs(name, "node-0");
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      for (int round = 0; round < 3; ++round) {
        if (!api.list_runtimes().empty()) ++reads;
        if (api.get_runtime("torch-distributed").framework == "torch") ++reads;
        if (api.get_job(name).name == name) ++reads;
        if (!api.list_jobs(std::nullopt).empty()) ++reads;
      }
    });
  }
  for (auto& t : readers) t.join();
  CHECK(reads == 4 * 3 * 4);

  bool ended = false;
  const auto first = watch->next(std::chrono::seconds(30), ended);
  REQUIRE(first.has_value());
  CHECK(first->name == name);
  api.delete_job(name);
  // Both streams end with NotFound once the job is gone (bounded: a hang fails, not blocks).
  for (int i = 0; i < 120 && !ended; ++i) {
    try {
      (void)watch->next(std::chrono::seconds(1), ended);
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kNotFound);
      ended = true;
    }
  }
  CHECK(ended);
  bool logs_ended = false;
  for (int i = 0; i < 120 && !logs_ended; ++i) {
    try {
      (void)logs->next(std::chrono::seconds(1), logs_ended);
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kNotFound);
      logs_ended = true;
    }
  }
  CHECK(logs_ended);
}
