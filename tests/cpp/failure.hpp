// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "kubeflow/error.hpp"

namespace kubeflow::testing {

/// What a call threw, reduced to what the tests compare; `field` reads "<no error>" when the
/// call returned normally.
struct Failure {
  ErrorCode code = ErrorCode::kInternal;
  std::string field = "<no error>";
  std::string hint;
  std::string message;
};

template <typename F>
Failure failure_of_call(F&& call) {
  try {
    call();
  } catch (const Error& e) {
    return {e.code(), e.details().field, e.details().hint, e.what()};
  }
  return {};
}

}  // namespace kubeflow::testing
