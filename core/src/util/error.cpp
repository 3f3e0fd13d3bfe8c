// SPDX-License-Identifier: Apache-2.0
#include "kubeflow/error.hpp"

namespace kubeflow {

const char* error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kConfig:
      return "config";
    case ErrorCode::kAuth:
      return "auth";
    case ErrorCode::kTransport:
      return "transport";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kAlreadyExists:
      return "already_exists";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kUnauthorized:
      return "unauthorized";
    case ErrorCode::kForbidden:
      return "forbidden";
    case ErrorCode::kInvalid:
      return "invalid";
    case ErrorCode::kTooManyRequests:
      return "too_many_requests";
    case ErrorCode::kServerError:
      return "server_error";
    case ErrorCode::kApi:
      return "api";
    case ErrorCode::kJobFailed:
      return "job_failed";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace kubeflow
