// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "kubeflow/http/http_client.hpp"

namespace kubeflow::http {

/// Cuts a byte stream that arrives in chunks of any size (watch events, followed logs) into
/// lines. A line ends at '\n'; a '\r' before it is dropped. Pure: no I/O. One per stream.
///
/// With `max_line` > 0 memory stays bounded whatever the stream sends: a line longer than that
/// keeps its first `max_line` bytes, the rest up to its '\n' is dropped and counted, and the line
/// is delivered with " [N more bytes not shown]" appended (a log that never ends its line, such
/// as a progress bar redrawn with '\r', would otherwise grow without limit).
class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max_line = 0) : max_line_(max_line) {}

  /// Appends `chunk` and calls `sink` for every line it completes, in order. Returns false as
  /// soon as `sink` does (the rest of the chunk is then not delivered), else true.
  bool feed(std::string_view chunk, const LineSink& sink);

  /// The bytes after the last '\n' seen: a last line still waiting for its end ("" if none).
  [[nodiscard]] const std::string& pending() const noexcept { return pending_; }

  /// Bytes of the pending line dropped by the `max_line` limit so far.
  [[nodiscard]] std::size_t dropped() const noexcept { return dropped_; }

 private:
  void append(std::string_view piece);

  std::size_t max_line_;
  std::string pending_;
  std::size_t dropped_ = 0;
};

/// " [N more bytes not shown]": what a line cut by the limit ends with.
[[nodiscard]] std::string cut_marker(std::size_t dropped);

}  // namespace kubeflow::http
