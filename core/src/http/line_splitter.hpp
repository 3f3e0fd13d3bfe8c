// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "kubeflow/http/http_client.hpp"

namespace kubeflow::http {

/// Cuts a byte stream that arrives in chunks of any size (watch events, followed logs) into
/// lines. A line ends at '\n'; a '\r' before it is dropped. Pure: no I/O. One per stream.
class LineSplitter {
 public:
  /// Appends `chunk` and calls `sink` for every line it completes, in order. Returns false as
  /// soon as `sink` does (the rest of the chunk is then not delivered), else true.
  bool feed(std::string_view chunk, const LineSink& sink);

  /// The bytes after the last '\n' seen: a last line still waiting for its end ("" if none).
  [[nodiscard]] const std::string& pending() const noexcept { return pending_; }

 private:
  std::string pending_;
};

}  // namespace kubeflow::http
