// SPDX-License-Identifier: Apache-2.0
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <string>
#include <vector>

#include "bind.hpp"
#include "gil.hpp"
#include "kubeflow/lifecycle.hpp"
#include "kubeflow/stream.hpp"
#include "kubeflow/trainer/job_info.hpp"

namespace py = pybind11;

namespace kubeflow::bindings {

namespace {

constexpr std::chrono::milliseconds kSlice{100};

// Waits for the next item in GIL-free slices, checking for Ctrl-C between slices (the one place
// the core's waiting meets Python's signal handling). `timeout_seconds` < 0 waits for ever.
// Returns nullopt on timeout; raises StopIteration when the stream ended.
template <typename T>
std::optional<T> next_item(Stream<T>& stream, double timeout_seconds) {
  const auto start = std::chrono::steady_clock::now();
  const auto limit = std::chrono::duration<double>(timeout_seconds);
  while (true) {
    bool ended = false;
    std::optional<T> item;
    item = without_gil(
        [&] {
          auto slice = kSlice;
          if (timeout_seconds >= 0) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                limit - (std::chrono::steady_clock::now() - start));
            slice = std::max(std::chrono::milliseconds(0), std::min(slice, left));
          }
          return stream.next(slice, ended);
        },
        "reading the stream");
    if (item) return item;
    if (ended) throw py::stop_iteration();
    if (PyErr_CheckSignals() != 0) {
      without_gil([&] { stream.close(); }, "close");
      throw py::error_already_set();
    }
    if (timeout_seconds >= 0 && std::chrono::steady_clock::now() - start >= limit) {
      return std::nullopt;
    }
  }
}

// As next_item, for a batch: every item waiting (up to the queue's capacity) in one GIL-free
// wait, so that a fast log costs one GIL round trip per batch, not per line. An empty list at
// the end of the stream.
template <typename T>
std::vector<T> next_items(Stream<T>& stream) {
  constexpr std::size_t kMaxBatch = Stream<T>::kDefaultCapacity;
  while (true) {
    bool ended = false;
    std::vector<T> batch = without_gil([&] { return stream.next_batch(kSlice, kMaxBatch, ended); },
                                       "reading the stream");
    if (!batch.empty() || ended) return batch;
    if (PyErr_CheckSignals() != 0) {
      without_gil([&] { stream.close(); }, "close");
      throw py::error_already_set();
    }
  }
}

template <typename T>
void bind_stream(py::module_& m, const char* name, const char* doc) {
  py::class_<Stream<T>, std::shared_ptr<Stream<T>>>(m, name, doc)
      .def("__iter__", [](std::shared_ptr<Stream<T>> self) { return self; })
      .def("__next__", [](Stream<T>& self) { return *next_item(self, -1.0); })
      .def("next", &next_item<T>, py::arg("timeout"),
           "The next item, or None after `timeout` seconds; StopIteration at the end.")
      .def("next_batch", &next_items<T>,
           "The items waiting (at least one, waiting for it); an empty list at the end.")
      .def(
          "close", [](Stream<T>& self) { without_gil([&] { self.close(); }, "close"); },
          "Stop the stream and wait for its thread (at most ~100 ms).");
}

}  // namespace

void bind_streams(py::module_& m) {
  (void)on_main_thread();  // learns the main thread's id now, while importing
  m.def(
      "_shutdown", [] { return without_gil([] { return kubeflow::shutdown(); }, "shutdown"); },
      "Cancel and join every stream and transfer of the core; runs at interpreter exit.");
  // Python's atexit runs before finalization, while daemon threads can still run: streams they
  // wait on end, and no core thread is left running into the process's exit.
  py::module_::import("atexit").attr("register")(m.attr("_shutdown"));
  (void)on_main_thread();  // learn the main thread now, while the GIL is held (restore_gil asks)

  bind_stream<std::string>(m, "LineStream", "Lines of a followed log, pulled one at a time.");
  bind_stream<trainer::TrainJobInfo>(m, "JobStream",
                                     "States of a watched TrainJob, pulled one at a time.");
}

}  // namespace kubeflow::bindings
