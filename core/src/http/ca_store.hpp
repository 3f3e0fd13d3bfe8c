// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace kubeflow::http {

// Where the machine keeps the CAs it trusts, for servers whose kubeconfig names no CA.
struct CaLocations {
  std::string file;  // a PEM bundle, or empty
  std::string dir;   // a hashed certificate directory, or empty
};

// SSL_CERT_FILE / SSL_CERT_DIR when set (as OpenSSL and Python's ssl module honour them), else the
// first bundle that exists among the distributions' usual paths. The wheel's statically linked
// OpenSSL was configured for Debian's layout, so other distributions' stores must be found here.
CaLocations system_ca_locations();

}  // namespace kubeflow::http
