// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <optional>
#include <random>

#include <nlohmann/json.hpp>

#include "kubeflow/error.hpp"

namespace kubeflow::k8s {

/// Retries of one call inside its overall deadline: exponential backoff (0.1 s doubling to 5 s)
/// with full jitter, a server's Retry-After as the floor, at most kMaxAttempts attempts. Which
/// calls may be retried is the caller's decision; which failures may be is `retryable`.
class RetryBackoff {
 public:
  static constexpr int kMaxAttempts = 6;

  explicit RetryBackoff(std::chrono::steady_clock::time_point deadline) : deadline_(deadline) {}

  /// A failure worth another attempt: no answer (connection refused or dropped, timeout), or an
  /// answer that says "later": 429, 500, 502, 503, 504.
  [[nodiscard]] static bool retryable(const Error& e);

  /// Sleeps before the next attempt after `e` (in slices, so a cancel or the process exiting
  /// ends it). False, without sleeping, when no attempt is left, the wait would pass the
  /// deadline, or the call was cancelled: the caller then throws `e`.
  [[nodiscard]] bool wait_after(const Error& e);

  /// Time left until the deadline (at least 1 ms, so a request still gets a timeout).
  [[nodiscard]] std::chrono::milliseconds remaining() const;

 private:
  std::chrono::steady_clock::time_point deadline_;
  int attempts_ = 1;
  std::chrono::milliseconds ceiling_{100};
};

/// Whether every field of `sent` is in `stored` with the same value. Objects may have gained
/// fields (server defaults, status, metadata): that is how a create whose answer was lost
/// recognises the object it created.
[[nodiscard]] bool contains_all_of(const nlohmann::json& stored, const nlohmann::json& sent);

}  // namespace kubeflow::k8s
