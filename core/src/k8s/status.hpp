// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "kubeflow/error.hpp"
#include "kubeflow/http/http_client.hpp"

namespace kubeflow::k8s {

/// What a request was about, so an error can say "create TrainJob ns/name".
struct RequestContext {
  std::string verb;  ///< "get", "list", "create", "delete", "patch", "watch", "logs"
  std::string kind;  ///< e.g. "TrainJob", "Pod"
  std::string ns;
  std::string name;
  std::string server;
};

/// The only place a transport value becomes an exception: returns normally for a 2xx response,
/// otherwise throws Error with the code of the HTTP status (or kTransport / kTimeout for curl
/// failures), keeping the server's Status message, reason and causes.
void throw_if_failed(const http::Response& response, const RequestContext& context);

/// Builds the Error for a failed response without throwing (used by streams).
[[nodiscard]] Error error_from_response(const http::Response& response,
                                        const RequestContext& context);

}  // namespace kubeflow::k8s
