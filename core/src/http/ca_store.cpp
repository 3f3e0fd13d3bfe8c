// SPDX-License-Identifier: Apache-2.0
#include "http/ca_store.hpp"

#include <array>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <system_error>

namespace kubeflow::http {

namespace {

// The same places Go's crypto/x509 looks (client-go's TLS, so kubectl trusts what we trust).
constexpr std::array<std::string_view, 6> kBundles{
    "/etc/ssl/certs/ca-certificates.crt",                 // Debian, Ubuntu, Gentoo, Arch
    "/etc/pki/tls/certs/ca-bundle.crt",                   // Fedora, RHEL 6
    "/etc/ssl/ca-bundle.pem",                             // openSUSE
    "/etc/pki/tls/cacert.pem",                            // OpenELEC
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // CentOS, RHEL 7+
    "/etc/ssl/cert.pem",                                  // Alpine
};

std::string env(const char* name) {
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read-only use
  return value != nullptr ? std::string{value} : std::string{};
}

}  // namespace

CaLocations system_ca_locations() {
  CaLocations locations{.file = env("SSL_CERT_FILE"), .dir = env("SSL_CERT_DIR")};
  if (!locations.file.empty() || !locations.dir.empty()) return locations;
  for (const std::string_view bundle : kBundles) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(std::filesystem::path{bundle}, ec)) {
      locations.file = bundle;
      break;
    }
  }
  return locations;
}

}  // namespace kubeflow::http
