// SPDX-License-Identifier: Apache-2.0
// Test-only extension (never installed): raises core errors on demand so the error-mapping tests
// can reach every code. The translator registered by kubeflow.trainer._core handles them, since
// pybind11 keeps exception translators in its process-wide internals.
#include <string>

#include <pybind11/pybind11.h>

#include "kubeflow/error.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_core_testing, m) {
  m.doc() = "Test helpers for kubeflow.trainer._core; not part of the package.";
  m.def(
      "raise_error",
      [](const std::string& code, const std::string& message) {
        using kubeflow::Error;
        using kubeflow::ErrorCode;
        for (int i = 0; i <= static_cast<int>(ErrorCode::kInternal); ++i) {
          auto c = static_cast<ErrorCode>(i);
          if (code == kubeflow::error_code_name(c)) {
            throw Error(c, message, {.field = "f", .hint = "h"});
          }
        }
        throw Error(ErrorCode::kInternal, "unknown code " + code);
      },
      py::arg("code"), py::arg("message"), "Raise a core error of the given code.");
}
