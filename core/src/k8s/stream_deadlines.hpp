// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>

#include "kubeflow/config/connection.hpp"

namespace kubeflow::k8s {

/// How long the two long-lived streams may stay silent before they count as dead.
///
/// A watch asks the server to end it after `watch_window` (timeoutSeconds), and a live API
/// server does (then the watch resumes from its last resourceVersion, which bookmarks keep
/// fresh): a live watch is never silent for longer than the window. Silence past `watch_idle()`
/// therefore means a dead connection (a stalled proxy or API server): the watch reconnects from
/// its last resourceVersion, with backoff, as after any failure.
///
/// A followed log may be silent for hours (the program prints nothing), so silence proves
/// nothing there. After `log_silence` the log is opened again from its last line (sinceTime and
/// de-duplication), at once and without counting a failure: on a quiet container that costs one
/// request per period and repeats nothing; on a stalled connection it is the recovery.
struct StreamDeadlines {
  std::chrono::seconds watch_window{30};
  std::chrono::milliseconds log_silence{60'000};

  /// The watch's read deadline: the window plus a margin for a late bookmark.
  [[nodiscard]] std::chrono::milliseconds watch_idle() const {
    return watch_window + std::chrono::seconds(5);
  }
  /// The watch's total limit, in case the server never ends it.
  [[nodiscard]] std::chrono::milliseconds watch_total() const {
    return watch_window + std::chrono::seconds(15);
  }
};

/// The deadlines, with two internal knobs for tests that must not wait minutes (not a public
/// setting; docs/reliability.md): KUBEFLOW_INTERNAL_WATCH_WINDOW_SECONDS (a whole number, 1 to
/// 3600) and KUBEFLOW_INTERNAL_LOG_SILENCE_SECONDS (a number, 0.5 to 86400). Throws
/// Error{kConfig} naming the variable for any other value.
[[nodiscard]] StreamDeadlines stream_deadlines_from(const config::EnvLookup& env);

}  // namespace kubeflow::k8s
