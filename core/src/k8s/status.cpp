// SPDX-License-Identifier: Apache-2.0
#include "k8s/status.hpp"

#include <curl/curl.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace kubeflow::k8s {

namespace {

constexpr size_t kMaxBodyInMessage = 512;

ErrorCode code_for_status(long status, const std::string& reason) {
  switch (status) {
    case 400: return ErrorCode::kInvalid;
    case 401: return ErrorCode::kUnauthorized;
    case 403: return ErrorCode::kForbidden;
    case 404: return ErrorCode::kNotFound;
    case 409: return reason == "AlreadyExists" ? ErrorCode::kAlreadyExists : ErrorCode::kConflict;
    case 410: return ErrorCode::kConflict;  // Gone: a resourceVersion too old to resume from
    case 422: return ErrorCode::kInvalid;
    case 429: return ErrorCode::kTooManyRequests;
    case 504: return ErrorCode::kTimeout;
    default: return status >= 500 ? ErrorCode::kServerError : ErrorCode::kApi;
  }
}

std::string hint_for(ErrorCode code, const RequestContext& c) {
  switch (code) {
    case ErrorCode::kUnauthorized:
      return "Check the credentials of the kubeconfig user (token expired or certificate not "
             "trusted)";
    case ErrorCode::kForbidden:
      return fmt::format("Ask a cluster administrator for RBAC permission to {} this resource{}",
                         c.verb, c.ns.empty() ? "" : " in namespace " + c.ns);
    case ErrorCode::kNotFound:
      return c.kind == "TrainJob" ? "List existing jobs with TrainerClient().list_jobs()" : "";
    case ErrorCode::kAlreadyExists:
      return "Choose another name, or delete the existing object first";
    case ErrorCode::kInvalid: return "Fix the fields named in the causes";
    case ErrorCode::kTooManyRequests: return "The API server is throttling; retry later";
    default: return "";
  }
}

std::string object_label(const RequestContext& c) {
  std::string label = c.kind.empty() ? "object" : c.kind;
  if (!c.name.empty()) label += " " + (c.ns.empty() ? c.name : c.ns + "/" + c.name);
  else if (!c.ns.empty()) label += " in namespace " + c.ns;
  return label;
}

Error transport_error(const http::Response& r, const RequestContext& c) {
  const bool timed_out = r.curl_code == CURLE_OPERATION_TIMEDOUT;
  const std::string what = fmt::format("{} {}", c.verb, object_label(c));
  if (timed_out) {
    return Error(ErrorCode::kTimeout,
                 fmt::format("{} timed out talking to {}: {}", what, c.server, r.curl_error),
                 {.hint = "The API server is slow or unreachable; retry, or raise the timeout",
                  .kind = c.kind, .name = c.name, .ns = c.ns});
  }
  return Error(ErrorCode::kTransport,
               fmt::format("{} failed: cannot reach the API server {}: {}", what, c.server,
                           r.curl_error),
               {.hint = "Check that the cluster is running and the kubeconfig server URL and "
                        "certificates are right",
                .kind = c.kind, .name = c.name, .ns = c.ns});
}

}  // namespace

Error error_from_response(const http::Response& r, const RequestContext& c) {
  if (r.curl_code != 0) return transport_error(r, c);

  ErrorDetails d;
  d.http_status = static_cast<int>(r.status);
  d.kind = c.kind;
  d.name = c.name;
  d.ns = c.ns;
  const auto status = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (status.is_object() && status.value("kind", "") == "Status") {
    d.server_message = status.value("message", "");
    d.reason = status.value("reason", "");
    if (auto details = status.find("details"); details != status.end() && details->is_object()) {
      if (auto causes = details->find("causes"); causes != details->end() && causes->is_array()) {
        for (const auto& cause : *causes) {
          d.causes.push_back({cause.value("reason", ""), cause.value("message", ""),
                              cause.value("field", "")});
        }
      }
      if (auto retry = details->find("retryAfterSeconds");
          retry != details->end() && retry->is_number()) {
        d.retry_after_seconds = retry->get<double>();
      }
    }
  } else {
    d.server_message = r.body.substr(0, kMaxBodyInMessage);
  }
  if (!d.retry_after_seconds && !r.retry_after.empty()) {
    try {
      d.retry_after_seconds = std::stod(r.retry_after);
    } catch (const std::exception&) {
      // An HTTP-date Retry-After is rare from the API server; the status code says enough.
    }
  }
  const ErrorCode code = code_for_status(r.status, d.reason);
  d.hint = hint_for(code, c);
  std::string message = fmt::format("{} {} failed: HTTP {}", c.verb, object_label(c), r.status);
  if (!d.reason.empty()) message += " " + d.reason;
  if (!d.server_message.empty()) message += ": " + d.server_message;
  if (!d.hint.empty()) message += ". " + d.hint;
  return Error(code, message, std::move(d));
}

void throw_if_failed(const http::Response& response, const RequestContext& context) {
  if (response.curl_code == 0 && response.status >= 200 && response.status < 300) return;
  throw error_from_response(response, context);
}

}  // namespace kubeflow::k8s
