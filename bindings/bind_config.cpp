// SPDX-License-Identifier: Apache-2.0
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "bind.hpp"
#include "gil.hpp"
#include "kubeflow/config/connection.hpp"
#include "kubeflow/http/http_client.hpp"

namespace py = pybind11;

namespace kubeflow::bindings {

namespace {

config::ConnectionConfig load(std::optional<std::string> config_file,
                              std::optional<std::string> context) {
  config::LoadOptions options;
  options.config_file = std::move(config_file);
  options.context = std::move(context);
  return config::load_connection(options, config::process_env());
}

}  // namespace

void bind_config(py::module_& m) {
  // The credentials stay inside the C++ object; Python only sees whether there are any.
  py::class_<config::ConnectionConfig>(m, "ConnectionInfo",
                                       "Where the client connects; credentials are not exposed.")
      .def_property_readonly(
          "server", [](const config::ConnectionConfig& c) { return http::redact_url(c.server); })
      .def_readonly("namespace", &config::ConnectionConfig::namespace_name)
      .def_readonly("context", &config::ConnectionConfig::context_name)
      .def_readonly("source", &config::ConnectionConfig::source)
      .def_property_readonly("has_token",
                             [](const config::ConnectionConfig& c) {
                               return !c.token.empty() || !c.token_file.empty();
                             })
      .def_property_readonly(
          "has_client_cert",
          [](const config::ConnectionConfig& c) { return !c.client_cert_pem.empty(); })
      .def("__repr__", [](const config::ConnectionConfig& c) {
        return "ConnectionInfo(server='" + http::redact_url(c.server) + "', context='" +
               c.context_name + "')";
      });

  m.def(
      "load_connection",
      [](std::optional<std::string> config_file, std::optional<std::string> context) {
        return without_gil([&] { return load(std::move(config_file), std::move(context)); },
                           "load_connection");
      },
      py::arg("config_file") = py::none(), py::arg("context") = py::none(),
      "Resolve the kubeconfig or in-cluster configuration, as KubernetesBackendConfig does.");
}

}  // namespace kubeflow::bindings
