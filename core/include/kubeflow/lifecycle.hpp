// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>

namespace kubeflow {

/// Process-wide shutdown of the core's background work, for a host that is about to exit
/// (the bindings call it from Python's atexit). Every in-flight HTTP transfer aborts at its
/// next 100 ms poll, every Stream producer is cancelled and joined, and later requests fail
/// at once with Error{kTransport} "the process is shutting down". Irreversible.
/// Returns true when no core thread or transfer was still running after `grace`.
bool shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

/// True once shutdown() began.
[[nodiscard]] bool shutting_down() noexcept;

/// A cancel flag that every HTTP transfer started on the current thread also obeys, while the
/// scope lives (the bindings use it to abort a blocking call on Ctrl-C). Nests.
class ThreadCancelScope {
 public:
  explicit ThreadCancelScope(const std::atomic<bool>* flag) noexcept;
  ~ThreadCancelScope();
  ThreadCancelScope(const ThreadCancelScope&) = delete;
  ThreadCancelScope& operator=(const ThreadCancelScope&) = delete;

  /// True when the innermost scope's flag on this thread is set, or shutdown began.
  [[nodiscard]] static bool cancelled() noexcept;

  /// The innermost flag on this thread (nullptr when none), for a helper thread doing part of
  /// this thread's call to obey the same cancel.
  [[nodiscard]] static const std::atomic<bool>* current() noexcept;

 private:
  const std::atomic<bool>* previous_;
};

namespace detail {

/// Counts core work in flight (transfers, stream producers) so shutdown() can wait for it.
class ActivityGuard {
 public:
  ActivityGuard();
  ~ActivityGuard();
  ActivityGuard(const ActivityGuard&) = delete;
  ActivityGuard& operator=(const ActivityGuard&) = delete;
};

/// Streams register so that shutdown() can cancel and join them.
class Closeable {
 public:
  virtual void close() = 0;

 protected:
  ~Closeable() = default;
};
void register_closeable(Closeable* stream);
void unregister_closeable(Closeable* stream);

}  // namespace detail

}  // namespace kubeflow
