// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kubeflow::config::detail {

/// Decodes standard (padded) base64; whitespace and line breaks are ignored, as in kubeconfig
/// `*-data` fields that were wrapped. Returns nullopt for anything else that is not base64.
[[nodiscard]] std::optional<std::string> decode_base64(std::string_view text);

}  // namespace kubeflow::config::detail
