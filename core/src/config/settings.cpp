// SPDX-License-Identifier: Apache-2.0
#include "kubeflow/config/settings.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "kubeflow/error.hpp"

namespace kubeflow::config {

namespace {

std::string read_file(const std::string& path, const char* setting) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorCode::kConfig,
                fmt::format("cannot read {} file {}: check the path given in "
                            "client_configuration.{}",
                            setting, path, setting),
                {.field = fmt::format("client_configuration.{}", setting), .file = path});
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

ConnectionConfig connection_from_settings(const ExplicitSettings& s) {
  if (s.server.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "client_configuration has no host: set it to the API server URL, e.g. "
                "https://127.0.0.1:6443",
                {.field = "client_configuration.host"});
  }
  ConnectionConfig c;
  c.server = s.server;
  while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
  c.token = SecretString{s.token};
  if (!s.ca_file.empty()) c.ca_pem = read_file(s.ca_file, "ssl_ca_cert");
  if (!s.cert_file.empty()) c.client_cert_pem = read_file(s.cert_file, "cert_file");
  if (!s.key_file.empty()) c.client_key_pem = SecretString{read_file(s.key_file, "key_file")};
  c.insecure_skip_tls_verify = !s.verify_ssl;
  c.tls_server_name = s.tls_server_name;
  c.source = "client_configuration";
  return c;
}

}  // namespace kubeflow::config
