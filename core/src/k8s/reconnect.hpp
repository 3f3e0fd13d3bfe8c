// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <thread>

#include "k8s/retry.hpp"
#include "kubeflow/error.hpp"

namespace kubeflow::k8s {

// Backoff between reconnects: 0.2 s doubling to 5 s. Gives up when the server stayed away for
// kOutage, so a watch on a cluster that is gone ends with the error instead of hanging. Shared by
// the two long-lived streams: watches and followed logs.
class Reconnect {
 public:
  static constexpr std::chrono::seconds kOutage{60};

  void succeeded() {
    first_failure_.reset();
    delay_ = kFirstDelay;
  }

  [[nodiscard]] static bool retryable(const Error& e) { return RetryBackoff::retryable(e); }

  /// Sleeps the next backoff step (in slices, so a cancel ends it); false once the outage has
  /// lasted too long or the watch was cancelled.
  bool wait(const std::function<bool()>& cancelled) {
    const auto now = std::chrono::steady_clock::now();
    if (!first_failure_) first_failure_ = now;
    if (now - *first_failure_ > kOutage) return false;
    const auto until = now + delay_;
    while (std::chrono::steady_clock::now() < until) {
      if (cancelled()) return true;  // the loop condition ends the watch quietly
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    delay_ = std::min(delay_ * 2, kMaxDelay);
    return true;
  }

 private:
  static constexpr std::chrono::milliseconds kFirstDelay{200};
  static constexpr std::chrono::milliseconds kMaxDelay{5000};
  std::optional<std::chrono::steady_clock::time_point> first_failure_;
  std::chrono::milliseconds delay_{kFirstDelay};
};

}  // namespace kubeflow::k8s
