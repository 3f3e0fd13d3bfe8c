// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <pybind11/pybind11.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "kubeflow/error.hpp"
#include "kubeflow/lifecycle.hpp"

namespace kubeflow::bindings {

/// True on the interpreter's main thread, the only one Python delivers signals to.
bool on_main_thread();

/// Takes the GIL back after a GIL-free call. Once the interpreter is finalizing, Python would
/// end this (daemon) thread with pthread_exit, whose forced unwind through a C++ destructor
/// aborts the process ("terminate called without an active exception"); the thread parks
/// instead until the process exits, as Python 3.14 itself does. Not a destructor on purpose.
void restore_gil(PyThreadState* state);

/// The last net under every blocking call: a library exception (nlohmann, std::stoi, ...) that
/// the core did not turn into a kubeflow::Error (TrainerApi names the resource itself) becomes
/// our typed error naming the Python call, so no raw C++ exception reaches Python.
[[noreturn]] void rethrow_as_core_error(std::exception_ptr error, const char* call);

/// Runs `f` without the GIL. Exceptions cross as C++ exceptions after the GIL is back.
template <typename F>
auto without_gil(F&& f, const char* call = "call") -> decltype(f()) {
  using R = decltype(f());
  PyThreadState* state = PyEval_SaveThread();
  std::exception_ptr error;
  if constexpr (std::is_void_v<R>) {
    try {
      f();
    } catch (...) {
      error = std::current_exception();
    }
    restore_gil(state);
    if (error) rethrow_as_core_error(error, call);
  } else {
    std::optional<R> result;
    try {
      result.emplace(f());
    } catch (...) {
      error = std::current_exception();
    }
    restore_gil(state);
    if (error) rethrow_as_core_error(error, call);
    return std::move(*result);
  }
}

/// Runs a blocking core call so that Ctrl-C interrupts it: on the main thread the call runs on
/// a helper thread while this one waits in 100 ms GIL-free slices and checks for signals in
/// between; on a signal, the call's transfers are cancelled (ThreadCancelScope), the helper is
/// joined and the signal's exception (KeyboardInterrupt) is raised. Elsewhere it is
/// without_gil.
template <typename F>
auto interruptible(F&& f, const char* call) -> decltype(f()) {
  if (!on_main_thread()) return without_gil(std::forward<F>(f), call);
  std::atomic<bool> cancel{false};
  auto future = std::async(std::launch::async, [&] {
    ThreadCancelScope scope(&cancel);
    return f();
  });
  while (true) {
    const bool ready = without_gil([&] {
      return future.wait_for(std::chrono::milliseconds(100)) == std::future_status::ready;
    });
    if (ready) break;
    if (PyErr_CheckSignals() != 0) {
      cancel = true;
      without_gil([&] { future.wait(); });
      throw pybind11::error_already_set();
    }
  }
  try {
    return future.get();
  } catch (...) {
    rethrow_as_core_error(std::current_exception(), call);
  }
}

}  // namespace kubeflow::bindings
