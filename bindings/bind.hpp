// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <pybind11/pybind11.h>

namespace kubeflow::bindings {

void bind_errors(pybind11::module_& m);
void bind_config(pybind11::module_& m);
void bind_job_spec(pybind11::module_& m);
void bind_job_info(pybind11::module_& m);
void bind_v1(pybind11::module_& m);
void bind_client(pybind11::module_& m);
void bind_streams(pybind11::module_& m);

}  // namespace kubeflow::bindings
