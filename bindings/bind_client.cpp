// SPDX-License-Identifier: Apache-2.0
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11_json/pybind11_json.hpp>

#include <chrono>

#include "bind.hpp"
#include "gil.hpp"
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

// A TrainerApi method as a Python method that Ctrl-C interrupts (see interruptible).
template <typename R, typename... A>
auto blocking(R (TrainerApi::*method)(A...), const char* name) {
  return [method, name](TrainerApi& self, A... args) -> R {
    return interruptible([&]() -> R { return (self.*method)(std::forward<A>(args)...); }, name);
  };
}

}  // namespace

void bind_client(py::module_& m) {
  py::class_<config::ExplicitSettings>(m, "ExplicitSettings")
      .def(py::init<>())
      .def_readwrite("server", &config::ExplicitSettings::server)
      // Write-only: a token set from Python is not readable back (shown as "<hidden>").
      .def_property(
          "token",
          [](const config::ExplicitSettings& s) {
            return s.token.empty() ? std::string() : std::string("<hidden>");
          },
          [](config::ExplicitSettings& s, std::string token) { s.token = std::move(token); })
      .def_readwrite("ca_file", &config::ExplicitSettings::ca_file)
      .def_readwrite("cert_file", &config::ExplicitSettings::cert_file)
      .def_readwrite("key_file", &config::ExplicitSettings::key_file)
      .def_readwrite("verify_ssl", &config::ExplicitSettings::verify_ssl)
      .def_readwrite("tls_server_name", &config::ExplicitSettings::tls_server_name);

  py::class_<TrainerApi, std::shared_ptr<TrainerApi>>(m, "TrainerApi")
      .def(py::init([](std::optional<std::string> config_file, std::optional<std::string> context,
                       std::string namespace_name, double request_timeout) {
             config::LoadOptions options;
             options.config_file = std::move(config_file);
             options.context = std::move(context);
             return without_gil(
                 [&] {
                   auto connection = config::load_connection(options, config::process_env());
                   return std::make_shared<TrainerApi>(std::move(connection),
                                                       std::move(namespace_name),
                                                       timeouts_from(request_timeout));
                 },
                 "TrainerApi");
           }),
           py::arg("config_file"), py::arg("context"), py::arg("namespace"),
           py::arg("request_timeout"))
      .def(py::init([](const config::ExplicitSettings& settings, std::string namespace_name,
                       double request_timeout) {
             return without_gil(
                 [&] {
                   return std::make_shared<TrainerApi>(config::connection_from_settings(settings),
                                                       std::move(namespace_name),
                                                       timeouts_from(request_timeout));
                 },
                 "TrainerApi");
           }),
           py::arg("settings"), py::arg("namespace"), py::arg("request_timeout"))
      .def_property_readonly("namespace", &TrainerApi::namespace_name)
      .def_property_readonly("server", &TrainerApi::server)
      .def_property_readonly("skips_tls_verification", &TrainerApi::skips_tls_verification)
      .def("list_runtimes", blocking(&TrainerApi::list_runtimes, "list_runtimes"))
      .def("get_runtime", blocking(&TrainerApi::get_runtime, "get_runtime"), py::arg("name"))
      .def("train", blocking(&TrainerApi::train, "train"), py::arg("request"))
      .def("job_manifest", blocking(&TrainerApi::job_manifest, "job_manifest"), py::arg("request"),
           py::arg("validate_on_server"))
      .def("stored_job_manifest", blocking(&TrainerApi::stored_job_manifest, "stored_job_manifest"),
           py::arg("name"))
      .def("submit_job", blocking(&TrainerApi::submit_job, "submit_job"), py::arg("manifest"))
      .def("list_jobs", blocking(&TrainerApi::list_jobs, "list_jobs"), py::arg("runtime"),
           py::arg("runtime_kind") = py::none())
      .def("get_job", blocking(&TrainerApi::get_job, "get_job"), py::arg("name"))
      .def("delete_job", blocking(&TrainerApi::delete_job, "delete_job"), py::arg("name"))
      .def("get_job_logs", blocking(&TrainerApi::get_job_logs, "get_job_logs"), py::arg("name"),
           py::arg("step"))
      .def("follow_job_logs", blocking(&TrainerApi::follow_job_logs, "follow_job_logs"),
           py::arg("name"), py::arg("step"))
      .def(
          "stream_job_logs",
          [](TrainerApi& self, const std::string& name, const std::vector<std::string>& steps,
             bool follow, std::optional<long> tail_lines, std::optional<long> since_seconds,
             bool previous) {
            const trainer::LogOptions options{.follow = follow,
                                              .tail_lines = tail_lines,
                                              .since_seconds = since_seconds,
                                              .previous = previous};
            return without_gil([&] { return self.stream_job_logs(name, steps, options); },
                               "stream_job_logs");
          },
          py::arg("name"), py::arg("steps"), py::arg("follow"), py::arg("tail_lines"),
          py::arg("since_seconds"), py::arg("previous"))
      .def("watch_job", blocking(&TrainerApi::watch_job, "watch_job"), py::arg("name"))
      .def("get_job_events", blocking(&TrainerApi::get_job_events, "get_job_events"),
           py::arg("name"))
      .def("trainer_version", blocking(&TrainerApi::trainer_version, "trainer_version"),
           py::arg("system_namespace"))
      .def("list_v1_jobs", blocking(&TrainerApi::list_v1_jobs, "list_v1_jobs"), py::arg("kind"))
      .def("get_v1_job", blocking(&TrainerApi::get_v1_job, "get_v1_job"), py::arg("kind"),
           py::arg("name"))
      .def("stored_v1_job_manifest",
           blocking(&TrainerApi::stored_v1_job_manifest, "stored_v1_job_manifest"), py::arg("kind"),
           py::arg("name"), py::arg("allow_mxjob"))
      .def("get_v1_job_logs", blocking(&TrainerApi::get_v1_job_logs, "get_v1_job_logs"),
           py::arg("kind"), py::arg("name"), py::arg("step"))
      .def("create_migrated", blocking(&TrainerApi::create_migrated, "create_migrated"),
           py::arg("manifest"), py::arg("dry_run"))
      .def_property_readonly("request_count", &TrainerApi::request_count);
}

}  // namespace kubeflow::bindings
