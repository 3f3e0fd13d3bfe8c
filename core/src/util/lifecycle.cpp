// SPDX-License-Identifier: Apache-2.0
#include "kubeflow/lifecycle.hpp"

#include <condition_variable>
#include <mutex>
#include <set>

namespace kubeflow {

namespace {

std::atomic<bool> g_shutting_down{false};
thread_local const std::atomic<bool>* t_cancel = nullptr;

// Leaked on purpose: threads may still touch them while static destructors run at exit.
struct Registry {
  std::mutex mutex;  // guards `active`
  std::condition_variable idle;
  long active = 0;
  std::mutex streams_mutex;  // separate: producers being joined still update `active`
  std::set<detail::Closeable*> streams;
};
Registry& registry() {
  static auto* r = new Registry;
  return *r;
}

}  // namespace

bool shutting_down() noexcept { return g_shutting_down.load(); }

bool shutdown(std::chrono::milliseconds grace) {
  g_shutting_down = true;
  auto& r = registry();
  // Closing a stream joins its producer; hold the lock so a concurrent ~Stream waits for us
  // instead of freeing the object we are closing.
  {
    std::lock_guard<std::mutex> lock(r.streams_mutex);
    for (auto* stream : r.streams) stream->close();
  }
  std::unique_lock<std::mutex> lock(r.mutex);
  return r.idle.wait_for(lock, grace, [&] { return r.active == 0; });
}

ThreadCancelScope::ThreadCancelScope(const std::atomic<bool>* flag) noexcept : previous_(t_cancel) {
  t_cancel = flag;
}

ThreadCancelScope::~ThreadCancelScope() { t_cancel = previous_; }

bool ThreadCancelScope::cancelled() noexcept {
  return g_shutting_down.load() || (t_cancel != nullptr && t_cancel->load());
}

const std::atomic<bool>* ThreadCancelScope::current() noexcept { return t_cancel; }

namespace detail {

ActivityGuard::ActivityGuard() {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  ++r.active;
}

ActivityGuard::~ActivityGuard() {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (--r.active == 0) r.idle.notify_all();
}

void register_closeable(Closeable* stream) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.streams_mutex);
  r.streams.insert(stream);
}

void unregister_closeable(Closeable* stream) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.streams_mutex);
  r.streams.erase(stream);
}

}  // namespace detail

}  // namespace kubeflow
