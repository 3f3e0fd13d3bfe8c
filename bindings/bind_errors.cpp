// SPDX-License-Identifier: Apache-2.0
#include <pybind11/pybind11.h>

#include "bind.hpp"
#include "kubeflow/error.hpp"

namespace py = pybind11;

namespace kubeflow::bindings {

namespace {

// Held forever on purpose: destroying Python objects after interpreter finalization crashes.
py::object* error_classes = nullptr;
py::object* cause_class = nullptr;

void raise_python_error(const Error& error) {
  const auto& d = error.details();
  py::object cls = (*error_classes)[py::str(error_code_name(error.code()))];
  py::dict kw;
  kw["hint"] = d.hint;
  kw["field"] = d.field;
  kw["file"] = d.file;
  if (d.http_status != 0) {
    kw["status"] = d.http_status;
    kw["reason"] = d.reason;
    kw["server_message"] = d.server_message;
    kw["kind"] = d.kind;
    kw["name"] = d.name;
    kw["namespace"] = d.ns;
    py::list causes;
    for (const auto& c : d.causes) causes.append((*cause_class)(c.reason, c.message, c.field));
    kw["causes"] = py::tuple(causes);
    kw["retry_after"] = d.retry_after_seconds ? py::cast(*d.retry_after_seconds) : py::none();
  }
  py::object instance = cls(error.what(), **kw);
  PyErr_SetObject(cls.ptr(), instance.ptr());
}

}  // namespace

void bind_errors(py::module_& /*module: the classes live in kubeflow.trainer.errors*/) {
  py::module_ errors = py::module_::import("kubeflow.trainer.errors");
  error_classes = new py::object(errors.attr("ERROR_CLASSES"));
  cause_class = new py::object(errors.attr("Cause"));
  // pybind11's translator type takes the exception_ptr by value.
  py::register_exception_translator(
      [](std::exception_ptr p) {  // NOLINT(performance-unnecessary-value-param)
        try {
          if (p) std::rethrow_exception(p);
        } catch (const Error& e) {
          raise_python_error(e);
        }
      });
}

}  // namespace kubeflow::bindings
