// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "kubeflow/stream.hpp"

using kubeflow::Stream;
using std::chrono::milliseconds;

namespace {

// Waits (up to a minute, so a slow machine cannot fail it) until `done` holds.
template <typename Done>
void wait_until(Done done) {
  const auto limit = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (!done() && std::chrono::steady_clock::now() < limit) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  REQUIRE(done());
}

}  // namespace

TEST_CASE("stream: a producer ahead of its consumer waits at the capacity", "[stream]") {
  constexpr int kItems = 10'000;
  std::atomic<int> pushed{0};
  Stream<int> stream(
      [&](const Stream<int>::Emit& emit, const Stream<int>::Cancelled&) {
        for (int i = 0; i < kItems; ++i) {
          if (!emit(i)) return;
          ++pushed;
        }
      },
      8);
  wait_until([&] { return pushed.load() >= 8; });
  // Had the queue no bound, the producer would be at 10'000 by now or soon after.
  std::this_thread::sleep_for(milliseconds(200));
  CHECK(pushed.load() == 8);

  std::vector<int> seen;
  bool ended = false;
  while (!ended) {
    if (auto item = stream.next(milliseconds(1000), ended)) seen.push_back(*item);
  }
  REQUIRE(seen.size() == static_cast<size_t>(kItems));
  for (int i = 0; i < kItems; ++i) REQUIRE(seen[static_cast<size_t>(i)] == i);
}

TEST_CASE("stream: closing frees a producer that waits for room", "[stream]") {
  std::atomic<bool> refused{false};
  Stream<int> stream(
      [&](const Stream<int>::Emit& emit, const Stream<int>::Cancelled&) {
        for (int i = 0;; ++i) {
          if (!emit(i)) {
            refused = true;
            return;
          }
        }
      },
      4);
  bool ended = false;
  REQUIRE(stream.next(milliseconds(60'000), ended) == 0);
  stream.close();  // joins the producer: returns only once its push gave up
  CHECK(refused.load());
}

TEST_CASE("stream: several helper threads of one producer share the bound", "[stream]") {
  constexpr int kThreads = 4;
  constexpr int kEach = 2'000;
  std::atomic<int> pushed{0};
  Stream<int> stream(
      [&](const Stream<int>::Emit& emit, const Stream<int>::Cancelled&) {
        std::vector<std::thread> helpers;
        for (int t = 0; t < kThreads; ++t) {
          helpers.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
              if (!emit(t * kEach + i)) return;
              ++pushed;
            }
          });
        }
        for (auto& h : helpers) h.join();
      },
      16);
  wait_until([&] { return pushed.load() >= 16; });
  std::this_thread::sleep_for(milliseconds(200));
  CHECK(pushed.load() == 16);
  std::vector<int> last(kThreads, -1);
  int count = 0;
  bool ended = false;
  while (!ended) {
    if (auto item = stream.next(milliseconds(1000), ended)) {
      const int thread = *item / kEach;
      CHECK(*item > last[static_cast<size_t>(thread)]);  // each helper's order is kept
      last[static_cast<size_t>(thread)] = *item;
      ++count;
    }
  }
  CHECK(count == kThreads * kEach);
}

TEST_CASE("stream: next_batch takes the waiting items in order, then the producer's error",
          "[stream]") {
  std::atomic<int> pushed{0};
  Stream<int> stream(
      [&](const Stream<int>::Emit& emit, const Stream<int>::Cancelled&) {
        for (int i = 0; i < 10; ++i) {
          if (!emit(i)) return;
          ++pushed;
        }
        throw std::runtime_error("the log ended badly");
      },
      16);
  wait_until([&] { return pushed.load() == 10; });
  bool ended = false;
  // At most max_items per batch, all of them when they are waiting; the error stays behind
  // the items pushed before it.
  CHECK(stream.next_batch(milliseconds(1000), 4, ended) == std::vector<int>{0, 1, 2, 3});
  CHECK(stream.next_batch(milliseconds(1000), 100, ended) == std::vector<int>{4, 5, 6, 7, 8, 9});
  CHECK_FALSE(ended);
  CHECK_THROWS_WITH(stream.next_batch(milliseconds(1000), 100, ended), "the log ended badly");
  CHECK(stream.next_batch(milliseconds(1000), 100, ended).empty());
  CHECK(ended);
}

TEST_CASE("stream: next_batch of a quiet stream times out empty, not ended", "[stream]") {
  std::atomic<bool> release{false};
  Stream<int> stream([&](const Stream<int>::Emit& emit, const Stream<int>::Cancelled& cancelled) {
    while (!release.load() && !cancelled()) std::this_thread::sleep_for(milliseconds(5));
    emit(42);
  });
  bool ended = true;
  CHECK(stream.next_batch(milliseconds(20), 8, ended).empty());
  CHECK_FALSE(ended);
  release = true;
  std::vector<int> got;
  while (got.empty() && !ended) got = stream.next_batch(milliseconds(1000), 8, ended);
  CHECK(got == std::vector<int>{42});
  stream.close();
}
