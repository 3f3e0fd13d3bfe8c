// SPDX-License-Identifier: Apache-2.0
#include <pybind11/pybind11.h>

#include "bind.hpp"

namespace py = pybind11;

namespace kubeflow::bindings {

void bind_client(py::module_& /*m*/) {}

}  // namespace kubeflow::bindings
