// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "kubeflow/lifecycle.hpp"

namespace kubeflow {

/// A pull iterator over items made by a producer running on its own thread (a watch, a followed
/// log). The consumer never runs inside the producer, so no C++ code calls back into Python:
/// Python pulls with `next`, a bounded wait during which it can release the GIL and check for
/// Ctrl-C. Thread-safe. Destruction cancels the producer and joins it; so does
/// kubeflow::shutdown() for streams still open when the process exits. Every HTTP transfer on
/// the producer's thread aborts within 100 ms of a cancel.
///
/// The queue between them is bounded (`capacity` items): a producer faster than its consumer
/// waits for room, so an endless log read slowly holds at most `capacity` lines in memory; the
/// wait pushes back to the server through TCP flow control instead of growing a buffer.
template <typename T>
class Stream final : public detail::Closeable {
 public:
  /// Receives each item; returns false to stop producing.
  using Emit = std::function<bool(T)>;
  /// True once the consumer closed the stream; producers poll it between blocking slices.
  using Cancelled = std::function<bool()>;
  using Producer = std::function<void(const Emit&, const Cancelled&)>;

  /// Items waiting for the consumer at most: enough to absorb a burst; with log lines cut at
  /// 64 KiB (trainer/log_follow) a followed log holds at most 16 MiB, typically a few KiB.
  static constexpr std::size_t kDefaultCapacity = 256;

  explicit Stream(Producer producer, std::size_t capacity = kDefaultCapacity)
      : capacity_(capacity == 0 ? 1 : capacity) {
    detail::register_closeable(this);
    try {
      start(std::move(producer));
    } catch (...) {
      detail::unregister_closeable(this);
      throw;
    }
  }

  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() {
    detail::unregister_closeable(this);
    close();
    // Only reachable if the last owner let go on the producer's own thread, which cannot join
    // itself; the thread is returning anyway.
    if (worker_.joinable()) worker_.detach();
  }

  /// Waits up to `timeout` for an item. Returns it; or nullopt with `ended` true when the
  /// producer finished and every item was taken; or nullopt with `ended` false on timeout.
  /// Rethrows the producer's exception once the items before it were taken.
  std::optional<T> next(std::chrono::milliseconds timeout, bool& ended) {
    std::vector<T> one = next_batch(timeout, 1, ended);
    if (one.empty()) {
      return std::nullopt;
    }
    return std::move(one.front());
  }

  /// As `next`, but takes every item already waiting, up to `max_items` (at least one), so a
  /// consumer that pays per call (Python: the GIL) pays once per batch instead of once per item.
  /// Empty with `ended` true at the end, empty with `ended` false on timeout. The producer's
  /// exception is rethrown only by the call after its last items were taken.
  std::vector<T> next_batch(std::chrono::milliseconds timeout, std::size_t max_items, bool& ended) {
    std::vector<T> batch;
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait_for(lock, timeout, [this] { return !items_.empty() || finished_; });
    ended = false;
    if (!items_.empty()) {
      const std::size_t n = std::min(items_.size(), std::max<std::size_t>(max_items, 1));
      batch.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(items_.front()));
        items_.pop_front();
      }
      room_.notify_all();
      return batch;
    }
    if (finished_) {
      if (error_) {
        auto error = error_;
        error_ = nullptr;
        std::rethrow_exception(error);
      }
      ended = true;
    }
    return batch;
  }

  /// Stops the producer and waits for its thread; idempotent.
  void close() override {
    {
      // Under the lock, so a producer between its check and its wait cannot miss the wake-up.
      std::lock_guard<std::mutex> lock(mutex_);
      cancelled_ = true;
    }
    room_.notify_all();
    // Two closers (Python and shutdown()) must not join the same thread at once.
    std::lock_guard<std::mutex> lock(join_mutex_);
    if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
  }

 private:
  void start(Producer producer) {
    worker_ = std::thread([this, producer = std::move(producer)] {
      detail::ActivityGuard active;
      ThreadCancelScope scope(&cancelled_);
      try {
        producer([this](T item) { return push(std::move(item)); },
                 [this] { return cancelled_.load() || shutting_down(); });
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        error_ = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      finished_ = true;
      ready_.notify_all();
    });
  }

  // May run on helper threads of the producer (several followed logs at once). Waits while the
  // queue is full; shutdown() does not notify, hence the bounded slices.
  bool push(T item) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (items_.size() >= capacity_) {
      if (cancelled_ || shutting_down()) return false;
      room_.wait_for(lock, std::chrono::milliseconds(100));
    }
    if (cancelled_ || shutting_down()) return false;
    items_.push_back(std::move(item));
    ready_.notify_all();
    return true;
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable room_;  // the consumer took an item, or the stream was closed
  const std::size_t capacity_;
  std::deque<T> items_;
  std::exception_ptr error_;
  bool finished_ = false;
  std::atomic<bool> cancelled_{false};
  std::mutex join_mutex_;
  std::thread worker_;  // last member: it starts after the others exist
};

}  // namespace kubeflow
