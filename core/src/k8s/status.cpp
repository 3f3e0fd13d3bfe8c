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
    case 400:
      return ErrorCode::kInvalid;
    case 401:
      return ErrorCode::kUnauthorized;
    case 403:
      return ErrorCode::kForbidden;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
      return reason == "AlreadyExists" ? ErrorCode::kAlreadyExists : ErrorCode::kConflict;
    case 410:
      return ErrorCode::kConflict;  // Gone: a resourceVersion too old to resume from
    case 422:
      return ErrorCode::kInvalid;
    case 429:
      return ErrorCode::kTooManyRequests;
    case 504:
      return ErrorCode::kTimeout;
    default:
      return status >= 500 ? ErrorCode::kServerError : ErrorCode::kApi;
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
    case ErrorCode::kInvalid:
      return "Fix the fields named in the causes";
    case ErrorCode::kTooManyRequests:
      return "The API server is throttling; retry later";
    default:
      return "";
  }
}

// `object[key]` as text whatever the server put there: a Status is not trusted to be well-typed.
std::string text_of(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
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
  const std::string server = http::redact_url(c.server);
  if (r.curl_code == CURLE_ABORTED_BY_CALLBACK) {
    return Error(ErrorCode::kTransport, fmt::format("{} was stopped: {}", what, r.curl_error),
                 {.kind = c.kind, .name = c.name, .ns = c.ns});
  }
  if (r.curl_code == CURLE_SSL_CERTPROBLEM) {
    // libcurl could not use our own certificate or key: a configuration fault, not the network.
    return Error(ErrorCode::kConfig,
                 fmt::format("{} failed: the client certificate or key of the kubeconfig user "
                             "cannot be used ({}). Check client-certificate(-data) and "
                             "client-key(-data): both PEM, and the key must match the "
                             "certificate",
                             what, r.curl_error),
                 {.field = "client-key-data",
                  .hint = "Fix or regenerate the user's client certificate and key",
                  .kind = c.kind,
                  .name = c.name,
                  .ns = c.ns});
  }
  if (r.curl_code == CURLE_PEER_FAILED_VERIFICATION) {
    // Not retried: the same certificate comes back, and it may be someone else's server.
    return Error(ErrorCode::kConfig,
                 fmt::format("{} failed: the certificate of {} cannot be verified ({}). The "
                             "cluster's certificate-authority(-data) must be the CA that signed "
                             "it, and the server address must be a name in it; when you reach "
                             "the server by another address, set tls-server-name to a name the "
                             "certificate holds",
                             what, server, r.curl_error),
                 {.field = "certificate-authority-data",
                  .hint = "Fix the kubeconfig's certificate-authority(-data) or tls-server-name",
                  .kind = c.kind,
                  .name = c.name,
                  .ns = c.ns});
  }
  if (timed_out) {
    return Error(ErrorCode::kTimeout,
                 fmt::format("{} timed out talking to {}: {}", what, server, r.curl_error),
                 {.hint = "The API server is slow or unreachable; retry, or raise the timeout",
                  .kind = c.kind,
                  .name = c.name,
                  .ns = c.ns});
  }
  return Error(
      ErrorCode::kTransport,
      fmt::format("{} failed: {} the API server {}: {}", what,
                  r.curl_code == CURLE_COULDNT_CONNECT || r.curl_code == CURLE_COULDNT_RESOLVE_HOST
                      ? "cannot reach"
                      : "lost the connection to",
                  server, r.curl_error),
      {.hint = "Check that the cluster is running and the kubeconfig server URL and "
               "certificates are right",
       .kind = c.kind,
       .name = c.name,
       .ns = c.ns});
}

// The API server words every webhook denial as `admission webhook "<name>" denied the request`.
bool is_admission_denial(const std::string& server_message) {
  return server_message.starts_with("admission webhook \"") &&
         server_message.find("\" denied the request") != std::string::npos;
}

}  // namespace

Error error_from_response(const http::Response& r, const RequestContext& c) {
  // A server that answers with an error status and hangs up before reading the whole request
  // (413 for a body that is too large) leaves curl with a send/partial error; the status is
  // what happened.
  if (r.curl_code != 0 && r.status < 400) return transport_error(r, c);
  if (r.status == 400 &&
      r.body.find("Client sent an HTTP request to an HTTPS server") != std::string::npos) {
    return Error(ErrorCode::kConfig,
                 fmt::format("{} {} failed: the server URL {} starts with http:// but the server "
                             "speaks HTTPS. Use https:// in the server URL",
                             c.verb, object_label(c), http::redact_url(c.server)),
                 {.field = "server",
                  .hint = "Use https:// in the server URL",
                  .kind = c.kind,
                  .name = c.name,
                  .ns = c.ns});
  }

  ErrorDetails d;
  d.http_status = static_cast<int>(r.status);
  d.kind = c.kind;
  d.name = c.name;
  d.ns = c.ns;
  const auto status = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (status.is_object() && text_of(status, "kind") == "Status") {
    d.server_message = text_of(status, "message");
    d.reason = text_of(status, "reason");
    if (auto details = status.find("details"); details != status.end() && details->is_object()) {
      if (auto causes = details->find("causes"); causes != details->end() && causes->is_array()) {
        for (const auto& cause : *causes) {
          d.causes.push_back(
              {text_of(cause, "reason"), text_of(cause, "message"), text_of(cause, "field")});
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
  ErrorCode code = code_for_status(r.status, d.reason);
  d.hint = hint_for(code, c);
  if (is_admission_denial(d.server_message)) {
    // Webhooks deny with 403 by default, but the object is at fault, not RBAC: asking an
    // administrator for permission would not help.
    code = ErrorCode::kInvalid;
    d.hint = "Fix what the admission webhook named in the message objects to";
  }
  if (r.status == 413) {
    d.hint =
        "The request is larger than the API server accepts (about 3 MiB): send less, e.g. "
        "large files through storage instead of environment variables or inline code";
  }
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
