// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <utility>

#include "kubeflow/error.hpp"

namespace kubeflow::config::detail {

/// Throws Error{code} whose message reads "<what>. <hint>"; the hint is also kept in the
/// details so that Python callers can read it on its own.
[[noreturn]] inline void fail(ErrorCode code, const std::string& what, ErrorDetails details) {
  std::string message = details.hint.empty() ? what : what + ". " + details.hint;
  throw Error(code, message, std::move(details));
}

}  // namespace kubeflow::config::detail
