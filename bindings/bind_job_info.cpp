// SPDX-License-Identifier: Apache-2.0
// What the core reads back from the cluster: jobs, their steps and events. Registered before the
// streams and TrainerApi so that their signatures name these classes.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bind.hpp"
#include "kubeflow/trainer/job_info.hpp"

namespace py = pybind11;

namespace kubeflow::bindings {

void bind_job_info(py::module_& m) {
  py::class_<trainer::StepInfo>(m, "StepInfo")
      .def_readonly("name", &trainer::StepInfo::name)
      .def_readonly("status", &trainer::StepInfo::status)
      .def_readonly("pod_name", &trainer::StepInfo::pod_name)
      .def_readonly("device", &trainer::StepInfo::device)
      .def_readonly("device_count", &trainer::StepInfo::device_count);

  py::class_<trainer::TrainJobInfo>(m, "TrainJobInfo")
      .def_readonly("name", &trainer::TrainJobInfo::name)
      .def_readonly("namespace", &trainer::TrainJobInfo::namespace_name)
      .def_readonly("creation_timestamp", &trainer::TrainJobInfo::creation_timestamp)
      .def_readonly("runtime_name", &trainer::TrainJobInfo::runtime_name)
      .def_readonly("runtime_kind", &trainer::TrainJobInfo::runtime_kind)
      .def_readonly("runtime", &trainer::TrainJobInfo::runtime)
      .def_readonly("num_nodes", &trainer::TrainJobInfo::num_nodes)
      .def_readonly("status", &trainer::TrainJobInfo::status)
      .def_readonly("message", &trainer::TrainJobInfo::message)
      .def_readonly("steps", &trainer::TrainJobInfo::steps)
      .def_readonly("resource_version", &trainer::TrainJobInfo::resource_version);

  py::class_<trainer::EventInfo>(m, "EventInfo")
      .def_readonly("involved_object_kind", &trainer::EventInfo::involved_object_kind)
      .def_readonly("involved_object_name", &trainer::EventInfo::involved_object_name)
      .def_readonly("message", &trainer::EventInfo::message)
      .def_readonly("reason", &trainer::EventInfo::reason)
      .def_readonly("event_time", &trainer::EventInfo::event_time);
}

}  // namespace kubeflow::bindings
