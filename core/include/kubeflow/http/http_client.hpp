// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kubeflow/config/connection.hpp"

namespace kubeflow::http {

/// Per-request limits. Every network call has a connect and a total limit.
struct Timeouts {
  std::chrono::milliseconds connect{10'000};
  std::chrono::milliseconds total{120'000};  ///< upstream's DEFAULT_TIMEOUT is 120 s
  /// Read deadline: the longest the server may send nothing (no header, no body byte), counted
  /// from the start of the request and then from the last byte received; 0 means none. For
  /// streams, where the total limit is long: a peer that keeps the TCP connection up but sends
  /// nothing (a stalled proxy or API server) is noticed after this silence.
  std::chrono::milliseconds idle{0};
};

struct Request {
  std::string method = "GET";
  std::string path_and_query;  ///< appended to the server URL, e.g. "/api/v1/namespaces"
  std::string body;            ///< sent when non-empty
  std::string content_type = "application/json";
  Timeouts timeouts{};
  /// For stream_lines: the longest line kept whole; longer ones are cut there (see
  /// LineSplitter). 0: no limit.
  std::size_t max_line_bytes = 0;
};

/// A finished exchange. Transport failures are values here (curl_code != 0), not exceptions,
/// so callers can decide on retries; k8s/status turns them into kubeflow::Error.
struct Response {
  long status = 0;
  std::string body;
  int curl_code = 0;        ///< CURLcode; 0 means the HTTP exchange completed
  std::string curl_error;   ///< curl's error text when curl_code != 0
  std::string retry_after;  ///< the Retry-After header, verbatim
  /// The read deadline (Timeouts::idle) ended the transfer; curl_code is then
  /// CURLE_OPERATION_TIMEDOUT and `status` is the answer's status if its headers had arrived.
  bool idle_expired = false;
};

/// Returns true to keep streaming, false to stop early (not an error).
using LineSink = std::function<bool(std::string_view line)>;

/// Called about every 100 ms during a transfer; returns true to abort (e.g. Ctrl-C).
using CancelCheck = std::function<bool()>;

/// `url` with any "user:password@" replaced by "***@", for messages: a server URL may carry
/// basic-auth credentials and errors must never show them.
[[nodiscard]] std::string redact_url(const std::string& url);

/// HTTPS client for one API server: TLS verification on by default, credentials from memory,
/// connection reuse, HTTP/2 when libcurl has it. Thread-safe: each call uses its own handle from
/// an internal pool.
class HttpClient {
 public:
  explicit HttpClient(config::ConnectionConfig connection);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Performs one request and returns the whole response. Blocks; never throws for HTTP or
  /// transport failures (see Response), only Error{kAuth} if a token file cannot be read or the
  /// exec credential plugin fails (Error{kTimeout} if it hangs). With an exec plugin, a 401 runs
  /// the plugin again and repeats the request once.
  [[nodiscard]] Response perform(const Request& request, const CancelCheck& cancel = {});

  /// Performs a streaming request (watch, follow logs), calling `sink` once per complete line.
  /// The returned Response has the status and, for non-2xx answers, the body.
  [[nodiscard]] Response stream_lines(const Request& request, const LineSink& sink,
                                      const CancelCheck& cancel = {});

  /// Number of HTTP requests issued so far (for tests and benchmarks).
  [[nodiscard]] long request_count() const noexcept;

  [[nodiscard]] const config::ConnectionConfig& connection() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kubeflow::http
