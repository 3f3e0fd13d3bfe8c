// SPDX-License-Identifier: Apache-2.0
#include "k8s/retry.hpp"

#include <algorithm>
#include <thread>

#include "kubeflow/lifecycle.hpp"

namespace kubeflow::k8s {

namespace {

constexpr std::chrono::milliseconds kMaxDelay{5000};
constexpr std::chrono::milliseconds kSlice{50};

std::mt19937& jitter_source() {
  thread_local std::mt19937 generator{std::random_device{}()};
  return generator;
}

}  // namespace

bool RetryBackoff::retryable(const Error& e) {
  const int status = e.details().http_status;
  if (status == 0) return e.code() == ErrorCode::kTransport || e.code() == ErrorCode::kTimeout;
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

bool RetryBackoff::wait_after(const Error& e) {
  if (attempts_ >= kMaxAttempts || ThreadCancelScope::cancelled() || shutting_down()) {
    return false;
  }
  // Full jitter: clients that failed together do not come back together.
  std::uniform_int_distribution<long> pick(0, ceiling_.count());
  std::chrono::milliseconds delay{pick(jitter_source())};
  if (const auto& after = e.details().retry_after_seconds; after && *after > 0) {
    delay = std::max(delay, std::chrono::milliseconds(static_cast<long>(*after * 1000)));
  }
  const auto until = std::chrono::steady_clock::now() + delay;
  if (until >= deadline_) return false;
  while (std::chrono::steady_clock::now() < until) {
    if (ThreadCancelScope::cancelled() || shutting_down()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        kSlice, until - std::chrono::steady_clock::now()));
  }
  ++attempts_;
  ceiling_ = std::min(ceiling_ * 2, kMaxDelay);
  return true;
}

std::chrono::milliseconds RetryBackoff::remaining() const {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline_ - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(1));
}

bool contains_all_of(const nlohmann::json& stored, const nlohmann::json& sent) {
  if (sent.is_object()) {
    if (!stored.is_object()) return false;
    for (auto item = sent.begin(); item != sent.end(); ++item) {
      const auto found = stored.find(item.key());
      if (found == stored.end() || !contains_all_of(*found, item.value())) return false;
    }
    return true;
  }
  if (sent.is_array()) {
    if (!stored.is_array() || stored.size() != sent.size()) return false;
    for (size_t i = 0; i < sent.size(); ++i) {
      if (!contains_all_of(stored[i], sent[i])) return false;
    }
    return true;
  }
  return stored == sent;
}

}  // namespace kubeflow::k8s
