// SPDX-License-Identifier: Apache-2.0
#include "k8s/stream_deadlines.hpp"

#include <charconv>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "kubeflow/error.hpp"

namespace kubeflow::k8s {

namespace {

// The variable's value as a number in [low, high], or nullopt when it is unset.
std::optional<double> number_from(const config::EnvLookup& env, const std::string& name, double low,
                                  double high, bool whole) {
  const auto text = env(name);
  if (!text) return std::nullopt;
  double value = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  const bool is_whole = value == static_cast<double>(static_cast<long long>(value));
  if (text->empty() || ec != std::errc() || ptr != end || value < low || value > high ||
      (whole && !is_whole)) {
    throw Error(
        ErrorCode::kConfig,
        fmt::format("{}={:?} is not valid: give {} from {} to {} (an internal setting "
                    "for tests; unset it to get the default)",
                    name, *text, whole ? "a whole number of seconds" : "seconds", low, high),
        {.field = name, .hint = fmt::format("Unset {}", name)});
  }
  return value;
}

}  // namespace

StreamDeadlines stream_deadlines_from(const config::EnvLookup& env) {
  StreamDeadlines deadlines;
  if (auto window =
          number_from(env, "KUBEFLOW_INTERNAL_WATCH_WINDOW_SECONDS", 1, 3600, /*whole=*/true)) {
    deadlines.watch_window = std::chrono::seconds(static_cast<long long>(*window));
  }
  if (auto silence =
          number_from(env, "KUBEFLOW_INTERNAL_LOG_SILENCE_SECONDS", 0.5, 86400, /*whole=*/false)) {
    deadlines.log_silence = std::chrono::milliseconds(static_cast<long long>(*silence * 1000));
  }
  return deadlines;
}

}  // namespace kubeflow::k8s
