// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "k8s/retry.hpp"

using kubeflow::Error;
using kubeflow::ErrorCode;
using kubeflow::k8s::contains_all_of;
using kubeflow::k8s::RetryBackoff;
using nlohmann::json;

namespace {

Error http_error(int status, ErrorCode code = ErrorCode::kServerError) {
  return Error(code, "failed", {.http_status = status});
}

auto far_deadline() { return std::chrono::steady_clock::now() + std::chrono::minutes(10); }

}  // namespace

TEST_CASE("retry: only failures that say 'later' or got no answer are retried", "[retry]") {
  CHECK(RetryBackoff::retryable(Error(ErrorCode::kTransport, "connection reset")));
  CHECK(RetryBackoff::retryable(Error(ErrorCode::kTimeout, "timed out")));
  for (int status : {429, 500, 502, 503, 504}) {
    INFO(status);
    CHECK(RetryBackoff::retryable(http_error(status)));
  }
  for (int status : {400, 401, 403, 404, 409, 410, 422, 501}) {
    INFO(status);
    CHECK_FALSE(RetryBackoff::retryable(http_error(status)));
  }
  CHECK_FALSE(RetryBackoff::retryable(Error(ErrorCode::kConfig, "bad client key")));
  CHECK_FALSE(RetryBackoff::retryable(Error(ErrorCode::kAuth, "plugin failed")));
}

TEST_CASE("retry: attempts are bounded by count and by the call's deadline", "[retry]") {
  SECTION("at most kMaxAttempts attempts") {
    RetryBackoff backoff(far_deadline());
    int waits = 0;
    while (backoff.wait_after(http_error(503))) ++waits;
    CHECK(waits == RetryBackoff::kMaxAttempts - 1);
  }
  SECTION("a Retry-After past the deadline ends the retries at once") {
    RetryBackoff backoff(std::chrono::steady_clock::now() + std::chrono::seconds(5));
    Error throttled(ErrorCode::kTooManyRequests, "slow down",
                    {.http_status = 429, .retry_after_seconds = 60.0});
    CHECK_FALSE(backoff.wait_after(throttled));
  }
  SECTION("a deadline already passed allows no retry") {
    RetryBackoff backoff(std::chrono::steady_clock::now());
    CHECK_FALSE(backoff.wait_after(http_error(503)));
    CHECK(backoff.remaining().count() >= 1);  // a request still gets a (tiny) timeout
  }
}

TEST_CASE("retry: a stored object contains what a lost create sent", "[retry]") {
  const json sent = {
      {"metadata", {{"name", "job"}, {"labels", {{"team", "a"}}}}},
      {"spec",
       {{"trainer", {{"numNodes", 2}, {"env", json::array({{{"name", "A"}, {"value", "1"}}})}}}}}};
  json stored = sent;
  stored["metadata"]["uid"] = "1234";
  stored["metadata"]["labels"]["added-by-webhook"] = "yes";
  stored["spec"]["trainer"]["env"][0]["valueFrom"] = nullptr;
  stored["status"] = {{"conditions", json::array()}};
  CHECK(contains_all_of(stored, sent));

  json other = stored;
  other["spec"]["trainer"]["numNodes"] = 3;
  CHECK_FALSE(contains_all_of(other, sent));
  other = stored;
  other["spec"]["trainer"]["env"].push_back({{"name", "B"}});
  CHECK_FALSE(contains_all_of(other, sent));
  other = stored;
  other["metadata"]["labels"].erase("team");
  CHECK_FALSE(contains_all_of(other, sent));
}
