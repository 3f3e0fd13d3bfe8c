// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>

#include "k8s/rest_client.hpp"
#include "kubeflow/stream.hpp"
#include "kubeflow/trainer/trainer_api.hpp"

namespace kubeflow::trainer {

/// The longest log line delivered whole; longer ones are cut (http::LineSplitter), so an
/// endless line cannot grow memory without limit.
inline constexpr std::size_t kMaxLogLine = std::size_t{64} * 1024;

/// RFC 3339 UTC times from the API server come with and without fractional seconds
/// ("...:00Z", "...:00.123456Z"); this pads the fraction so that they compare correctly as text.
[[nodiscard]] std::string time_sort_key(const std::string& time);

/// Reads the log of `container` of `pod`: with `options.follow` until the log ends, else what
/// is there now; stops early when `emit` returns false or on `cancelled`. `options` limits the
/// first request (tailLines, sinceSeconds) and picks the previous container; a resume asks
/// only for what came after the last line delivered.
/// Survives dropped connections: lines are asked for with timestamps, and a resume asks for
/// `sinceTime` (whole seconds, the API's precision) and skips what was already delivered
/// (earlier timestamps, and as many lines of the last timestamp as were seen), so nothing is
/// repeated or lost. Reconnects with k8s::Reconnect's backoff; throws kubeflow::Error when the
/// outage lasts too long or the failure is not transient. A log silent for the client's
/// StreamDeadlines::log_silence is opened again the same way (a stalled connection and a quiet
/// program look alike), without counting as a failure.
void follow_container_log(k8s::RestClient& rest, const std::string& ns, const std::string& pod,
                          const std::string& container, const LogOptions& options,
                          const Stream<std::string>::Emit& emit,
                          const Stream<std::string>::Cancelled& cancelled);

}  // namespace kubeflow::trainer
