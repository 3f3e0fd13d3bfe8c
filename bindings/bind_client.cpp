// SPDX-License-Identifier: Apache-2.0
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>

#include "bind.hpp"
#include "kubeflow/config/connection.hpp"
#include "kubeflow/config/settings.hpp"
#include "kubeflow/trainer/trainer_api.hpp"

namespace py = pybind11;

namespace kubeflow::bindings {

namespace {

using trainer::TrainerApi;

http::Timeouts timeouts_from(double request_timeout_seconds) {
  http::Timeouts t;
  t.total = std::chrono::milliseconds(static_cast<long>(request_timeout_seconds * 1000));
  return t;
}

}  // namespace

void bind_client(py::module_& m) {
  py::class_<config::ExplicitSettings>(m, "ExplicitSettings")
      .def(py::init<>())
      .def_readwrite("server", &config::ExplicitSettings::server)
      .def_readwrite("token", &config::ExplicitSettings::token)
      .def_readwrite("ca_file", &config::ExplicitSettings::ca_file)
      .def_readwrite("cert_file", &config::ExplicitSettings::cert_file)
      .def_readwrite("key_file", &config::ExplicitSettings::key_file)
      .def_readwrite("verify_ssl", &config::ExplicitSettings::verify_ssl)
      .def_readwrite("tls_server_name", &config::ExplicitSettings::tls_server_name);

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

  auto release = py::call_guard<py::gil_scoped_release>();
  py::class_<TrainerApi, std::shared_ptr<TrainerApi>>(m, "TrainerApi")
      .def(py::init([](std::optional<std::string> config_file, std::optional<std::string> context,
                       std::string namespace_name, double request_timeout) {
             config::LoadOptions options;
             options.config_file = std::move(config_file);
             options.context = std::move(context);
             auto connection = config::load_connection(options, config::process_env());
             return std::make_shared<TrainerApi>(std::move(connection), std::move(namespace_name),
                                                 timeouts_from(request_timeout));
           }),
           py::arg("config_file"), py::arg("context"), py::arg("namespace"),
           py::arg("request_timeout"), release)
      .def(py::init([](const config::ExplicitSettings& settings, std::string namespace_name,
                       double request_timeout) {
             return std::make_shared<TrainerApi>(config::connection_from_settings(settings),
                                                 std::move(namespace_name),
                                                 timeouts_from(request_timeout));
           }),
           py::arg("settings"), py::arg("namespace"), py::arg("request_timeout"), release)
      .def_property_readonly("namespace", &TrainerApi::namespace_name)
      .def_property_readonly("server", &TrainerApi::server)
      .def("list_runtimes", &TrainerApi::list_runtimes, release)
      .def("get_runtime", &TrainerApi::get_runtime, py::arg("name"), release)
      .def("train", &TrainerApi::train, py::arg("request"), release)
      .def("list_jobs", &TrainerApi::list_jobs, py::arg("runtime"), release)
      .def("get_job", &TrainerApi::get_job, py::arg("name"), release)
      .def("delete_job", &TrainerApi::delete_job, py::arg("name"), release)
      .def("get_job_logs", &TrainerApi::get_job_logs, py::arg("name"), py::arg("step"), release)
      .def("follow_job_logs", &TrainerApi::follow_job_logs, py::arg("name"), py::arg("step"),
           release)
      .def("watch_job", &TrainerApi::watch_job, py::arg("name"), release)
      .def("get_job_events", &TrainerApi::get_job_events, py::arg("name"), release)
      .def("trainer_version", &TrainerApi::trainer_version, py::arg("system_namespace"), release)
      .def_property_readonly("request_count", &TrainerApi::request_count);
}

}  // namespace kubeflow::bindings
