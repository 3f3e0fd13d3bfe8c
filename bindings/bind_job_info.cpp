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
      .def_readonly("device_count", &trainer::StepInfo::device_count)
      .def_readonly("waiting_reason", &trainer::StepInfo::waiting_reason)
      .def_readonly("waiting_message", &trainer::StepInfo::waiting_message);

  py::class_<trainer::ConditionInfo>(m, "ConditionInfo")
      .def_readonly("type", &trainer::ConditionInfo::type)
      .def_readonly("status", &trainer::ConditionInfo::status)
      .def_readonly("reason", &trainer::ConditionInfo::reason)
      .def_readonly("message", &trainer::ConditionInfo::message)
      .def_readonly("last_transition_time", &trainer::ConditionInfo::last_transition_time);

  py::class_<trainer::TrainerStatusInfo>(m, "TrainerStatusInfo")
      .def_readonly("progress_percentage", &trainer::TrainerStatusInfo::progress_percentage)
      .def_readonly("estimated_remaining_seconds",
                    &trainer::TrainerStatusInfo::estimated_remaining_seconds)
      .def_readonly("metrics", &trainer::TrainerStatusInfo::metrics)
      .def_readonly("last_updated_time", &trainer::TrainerStatusInfo::last_updated_time);

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
      .def_readonly("resource_version", &trainer::TrainJobInfo::resource_version)
      .def_readonly("conditions", &trainer::TrainJobInfo::conditions)
      .def_readonly("trainer_status", &trainer::TrainJobInfo::trainer_status)
      .def_readonly("queue_name", &trainer::TrainJobInfo::queue_name);

  py::class_<trainer::EventInfo>(m, "EventInfo")
      .def_readonly("involved_object_kind", &trainer::EventInfo::involved_object_kind)
      .def_readonly("involved_object_name", &trainer::EventInfo::involved_object_name)
      .def_readonly("message", &trainer::EventInfo::message)
      .def_readonly("reason", &trainer::EventInfo::reason)
      .def_readonly("event_time", &trainer::EventInfo::event_time);
}

}  // namespace kubeflow::bindings
