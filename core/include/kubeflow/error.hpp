// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace kubeflow {

/// The closed set of failure kinds the core reports. The bindings map each to one Python class.
enum class ErrorCode {
  kInvalidArgument,  ///< a local check failed before any call (bad name, bad field value)
  kConfig,           ///< kubeconfig or in-cluster configuration missing or malformed
  kAuth,             ///< credentials could not be read (token file, client key)
  kTransport,        ///< DNS, connect, TLS or reset: the server was not reached or hung up
  kTimeout,          ///< a request or wait deadline passed
  kNotFound,         ///< HTTP 404
  kAlreadyExists,    ///< HTTP 409 with reason AlreadyExists
  kConflict,         ///< HTTP 409 otherwise (resourceVersion clash)
  kUnauthorized,     ///< HTTP 401
  kForbidden,        ///< HTTP 403
  kInvalid,          ///< HTTP 422 (and 400 BadRequest): the server rejected the object
  kTooManyRequests,  ///< HTTP 429
  kServerError,      ///< HTTP 5xx
  kApi,              ///< any other non-success HTTP status
  kJobFailed,        ///< a waited-for job reached Failed
  kInternal,         ///< a bug in this library
};

/// One field-level cause from a Kubernetes Status (`details.causes[]`).
struct ErrorCause {
  std::string reason;   ///< e.g. "FieldValueInvalid"
  std::string message;  ///< the server's text for this field
  std::string field;    ///< e.g. "metadata.name"
};

/// Structured context carried by every Error; empty members mean "not applicable".
struct ErrorDetails {
  std::string field;    ///< the input field or JSON path at fault, e.g. "users[0].user.token"
  std::string file;     ///< the file at fault (kubeconfig, token file, certificate)
  std::string hint;     ///< how to fix it, one sentence
  int http_status = 0;  ///< the HTTP status when the API answered
  std::string reason;   ///< the Kubernetes Status reason (NotFound, Forbidden, Invalid, ...)
  std::string server_message;  ///< the Kubernetes Status message, verbatim
  std::string kind;            ///< the object kind involved, when known
  std::string name;            ///< the object name involved, when known
  std::string ns;              ///< the namespace involved, when known
  std::vector<ErrorCause> causes;
  std::optional<double> retry_after_seconds;
};

/// The one exception type the core throws. `what()` reads "what failed: why. How to fix".
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, ErrorDetails details = {})
      : std::runtime_error(message), code_(code), details_(std::move(details)) {}

  [[nodiscard]] ErrorCode code() const noexcept { return code_; }
  [[nodiscard]] const ErrorDetails& details() const noexcept { return details_; }

 private:
  ErrorCode code_;
  ErrorDetails details_;
};

/// Stable lower-case name of a code ("not_found", "invalid_argument", ...), used by the bindings.
[[nodiscard]] const char* error_code_name(ErrorCode code) noexcept;

}  // namespace kubeflow
