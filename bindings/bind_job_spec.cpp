// SPDX-License-Identifier: Apache-2.0
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11_json/pybind11_json.hpp>

#include <string>

#include "bind.hpp"
#include "kubeflow/trainer/job_spec.hpp"
#include "kubeflow/trainer/manifest.hpp"
#include "kubeflow/trainer/runtime.hpp"

namespace py = pybind11;

namespace kubeflow::bindings {

// Fields convert by value: `request.trainer.num_nodes = 2` edits a copy, so the facade builds a
// value and assigns it whole (`request.trainer = spec`).
void bind_job_spec(py::module_& m) {
  using trainer::EnvVar;
  using trainer::InitializerSpec;
  using trainer::JobRequest;
  using trainer::RuntimeInfo;
  using trainer::TrainerSpec;

  py::class_<EnvVar>(m, "EnvVar", "One {name, value} environment entry.")
      .def(py::init<>())
      .def(py::init([](std::string name, std::string value) {
             return EnvVar{std::move(name), std::move(value)};
           }),
           py::arg("name"), py::arg("value"))
      .def_readwrite("name", &EnvVar::name)
      .def_readwrite("value", &EnvVar::value);

  py::class_<TrainerSpec>(m, "TrainerSpec", "spec.trainer of a TrainJob; None fields are omitted.")
      .def(py::init<>())
      .def_readwrite("image", &TrainerSpec::image)
      .def_readwrite("command", &TrainerSpec::command)
      .def_readwrite("args", &TrainerSpec::args)
      .def_readwrite("num_nodes", &TrainerSpec::num_nodes)
      .def_readwrite("resources_per_node", &TrainerSpec::resources_per_node)
      .def_readwrite("env", &TrainerSpec::env);

  py::class_<InitializerSpec>(m, "InitializerSpec", "spec.initializer.dataset or .model.")
      .def(py::init<>())
      .def_readwrite("storage_uri", &InitializerSpec::storage_uri)
      .def_readwrite("env", &InitializerSpec::env)
      .def_readwrite("secret_ref", &InitializerSpec::secret_ref);

  py::class_<JobRequest>(m, "JobRequest", "Everything needed to build one TrainJob body.")
      .def(py::init<>())
      .def_readwrite("name", &JobRequest::name)
      .def_readwrite("runtime_name", &JobRequest::runtime_name)
      .def_readwrite("runtime_kind", &JobRequest::runtime_kind)
      .def_readwrite("trainer", &JobRequest::trainer)
      .def_readwrite("dataset", &JobRequest::dataset)
      .def_readwrite("model", &JobRequest::model)
      .def_readwrite("labels", &JobRequest::labels)
      .def_readwrite("annotations", &JobRequest::annotations)
      .def_readwrite("runtime_patches", &JobRequest::runtime_patches)
      .def_readwrite("active_deadline_seconds", &JobRequest::active_deadline_seconds);

  py::enum_<trainer::Launcher>(m, "Launcher", "How a runtime launches a CustomTrainer's code.")
      .value("torchtune", trainer::Launcher::kTorchTune)
      .value("torchrun", trainer::Launcher::kTorchrun)
      .value("mpirun", trainer::Launcher::kMpirun)
      .value("python", trainer::Launcher::kPython);

  py::class_<RuntimeInfo>(m, "RuntimeInfo", "A parsed TrainingRuntime/ClusterTrainingRuntime.")
      .def_readonly("name", &RuntimeInfo::name)
      .def_readonly("kind", &RuntimeInfo::kind)
      .def_readonly("trainer_type", &RuntimeInfo::trainer_type)
      .def_readonly("framework", &RuntimeInfo::framework)
      .def_readonly("image", &RuntimeInfo::image)
      .def_readonly("num_nodes", &RuntimeInfo::num_nodes)
      .def_readonly("device", &RuntimeInfo::device)
      .def_readonly("device_count", &RuntimeInfo::device_count)
      .def_readonly("launcher", &RuntimeInfo::launcher);

  m.def("resources_per_node", &trainer::resources_per_node, py::arg("resources"),
        "{'requests': R, 'limits': R} with upstream's key normalization; raises ValidationError.");
  m.def("validate_job_request", &trainer::validate_job_request, py::arg("request"),
        "Local checks of a JobRequest; raises ValidationError naming the field.");
  m.def("build_trainjob", &trainer::build_trainjob, py::arg("request"),
        "The TrainJob body as a dict, as upstream's to_dict() gives it; validates first.");
  m.def("manifest_to_yaml", &trainer::manifest_to_yaml, py::arg("manifest"),
        "A manifest as YAML that reads back as the same object.");
  m.def("manifest_from_text", &trainer::manifest_from_text, py::arg("text"), py::arg("source"),
        "One manifest (a dict) from YAML or JSON text; raises ValidationError.");
  m.def("parse_runtime", &trainer::parse_runtime, py::arg("runtime"), py::arg("kind_hint") = "",
        "A RuntimeInfo from a runtime object (dict); raises ValidationError naming the field.");
}

}  // namespace kubeflow::bindings
