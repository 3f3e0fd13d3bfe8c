// SPDX-License-Identifier: Apache-2.0
// A loopback TCP server that answers each connection with scripted bytes and pauses, for the
// read-deadline tests: it can answer, go silent with the connection open, and answer again.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kubeflow::testing {

struct Step {
  std::chrono::milliseconds pause{0};  // before the bytes
  std::string bytes;
};

/// One connection's script; after its steps it keeps the connection open, silent, for `hold`
/// (or until the client closes it), then closes it.
struct Script {
  std::vector<Step> steps;
  std::chrono::milliseconds hold{0};
};

class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<Script> scripts) : scripts_(std::move(scripts)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len);
    ::listen(listener_, 8);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  /// The request lines ("GET /path HTTP/1.1") received, in order.
  [[nodiscard]] std::vector<std::string> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

  /// Whether the client closed connection `index` (in accept order) while it was held.
  [[nodiscard]] bool abandoned(size_t index) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return index < abandoned_.size() && abandoned_[index];
  }

  /// A chunked 200 answer's head, and one chunk.
  static std::string chunked_head() {
    return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
  }
  static std::string chunk(const std::string& data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return size + data + "\r\n";
  }
  static std::string last_chunk() { return "0\r\n\r\n"; }

 private:
  void sleep_unless_stopped(std::chrono::milliseconds pause) const {
    const auto until = std::chrono::steady_clock::now() + pause;
    while (!stop_ && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // Connections are served side by side: a client may open the next while the last one holds.
  void serve() {
    std::vector<std::thread> connections;
    for (const Script& script : scripts_) {
      const int conn = ::accept(listener_, nullptr, nullptr);
      if (conn < 0) break;
      const size_t index = connections.size();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        abandoned_.push_back(false);
      }
      connections.emplace_back([this, conn, index, &script] { answer(conn, index, script); });
    }
    for (auto& t : connections) t.join();
  }

  void answer(int conn, size_t index, const Script& script) {
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(conn, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      request.append(buffer, static_cast<size_t>(n));
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(request.substr(0, request.find("\r\n")));
    }
    for (const Step& step : script.steps) {
      sleep_unless_stopped(step.pause);
      (void)::send(conn, step.bytes.data(), step.bytes.size(), MSG_NOSIGNAL);
    }
    const auto until = std::chrono::steady_clock::now() + script.hold;
    while (!stop_ && std::chrono::steady_clock::now() < until) {
      pollfd fd{.fd = conn, .events = POLLIN, .revents = 0};
      char byte = 0;
      if (::poll(&fd, 1, 10) > 0 && ::recv(conn, &byte, 1, MSG_PEEK) == 0) {
        std::lock_guard<std::mutex> lock(mutex_);
        abandoned_[index] = true;
        break;
      }
    }
    ::close(conn);
  }

  std::vector<Script> scripts_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::vector<bool> abandoned_;
  std::thread thread_;
};

}  // namespace kubeflow::testing
