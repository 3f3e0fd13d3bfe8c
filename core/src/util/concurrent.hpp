// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <future>
#include <type_traits>
#include <utility>

#include "kubeflow/lifecycle.hpp"

namespace kubeflow::util {

/// Starts `f` on a thread of its own and returns its future, so that two independent requests
/// (a TrainJob and its pods) travel and parse at the same time instead of one after the other.
/// The thread obeys the caller's cancel scope (Ctrl-C on the calling Python thread cancels its
/// transfers too). The future's get() rethrows f's exception; destroying the future waits for
/// f, so references captured from the caller's frame stay valid even when the caller throws.
template <typename F>
[[nodiscard]] auto start_beside(F&& f) -> std::future<std::invoke_result_t<F&>> {
  const std::atomic<bool>* cancel = ThreadCancelScope::current();
  return std::async(std::launch::async, [cancel, f = std::forward<F>(f)]() mutable {
    const ThreadCancelScope scope(cancel);
    return f();
  });
}

}  // namespace kubeflow::util
