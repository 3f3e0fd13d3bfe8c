// SPDX-License-Identifier: Apache-2.0
// Private helpers shared by the job-spec and runtime sources: one way to word a local error.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kubeflow/error.hpp"

namespace kubeflow::trainer::detail {

/// Throws Error{kInvalidArgument} worded "what: why. hint", with details.field and details.hint.
[[noreturn]] inline void fail_invalid(const std::string& field, std::string_view what,
                                      std::string_view why, const std::string& hint) {
  throw Error(ErrorCode::kInvalidArgument, fmt::format("{}: {}. {}", what, why, hint),
              ErrorDetails{.field = field, .hint = hint});
}

/// A user-supplied string in double quotes with JSON escaping, so control characters and quotes
/// in bad input cannot garble the message.
[[nodiscard]] inline std::string quote_text(std::string_view text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace kubeflow::trainer::detail
