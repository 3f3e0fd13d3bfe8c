// SPDX-License-Identifier: Apache-2.0
#include "gil.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <utility>

namespace kubeflow::bindings {

namespace {

unsigned long main_thread_ident() {
  static const unsigned long ident = [] {
    pybind11::gil_scoped_acquire acquire;
    return pybind11::module_::import("threading")
        .attr("main_thread")()
        .attr("ident")
        .cast<unsigned long>();
  }();
  return ident;
}

bool interpreter_finalizing() {
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsFinalizing() != 0;
#else
  return _Py_IsFinalizing() != 0;
#endif
}

}  // namespace

bool on_main_thread() { return PyThread_get_thread_ident() == main_thread_ident(); }

void restore_gil(PyThreadState* state) {
  // Once the process is exiting (our atexit hook ran, or Python finalizes), only daemon threads
  // are left besides the main one. Taking the GIL back would let them run Python (raise, print
  // a traceback) while the interpreter is torn down, which can crash it; parked with the GIL
  // released, they end with the process.
  if (interpreter_finalizing() || (kubeflow::shutting_down() && !on_main_thread())) {
    while (true) std::this_thread::sleep_for(std::chrono::hours(1));
  }
  PyEval_RestoreThread(state);
}

void rethrow_as_core_error(std::exception_ptr error, const char* call) {
  try {
    std::rethrow_exception(std::move(error));
  } catch (const Error&) {
    throw;
  } catch (const pybind11::error_already_set&) {
    throw;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kServerError,
                fmt::format("{}: the API server sent an object of an unexpected shape ({})", call,
                            e.what()));
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kInternal, fmt::format("{} failed: {}", call, e.what()));
  }
}

}  // namespace kubeflow::bindings
