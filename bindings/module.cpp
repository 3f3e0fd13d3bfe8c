// SPDX-License-Identifier: Apache-2.0
#include <pybind11/pybind11.h>

#include "bind.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "Private C++ core of kubeflow.trainer; use the public TrainerClient instead.";
  m.attr("__version__") = KUBEFLOW_VERSION;
  kubeflow::bindings::bind_errors(m);
  kubeflow::bindings::bind_config(m);
  kubeflow::bindings::bind_job_spec(m);
  kubeflow::bindings::bind_job_info(m);
  kubeflow::bindings::bind_streams(m);
  kubeflow::bindings::bind_v1(m);
  kubeflow::bindings::bind_client(m);
}
