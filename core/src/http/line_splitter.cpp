// SPDX-License-Identifier: Apache-2.0
#include "http/line_splitter.hpp"

#include <algorithm>

namespace kubeflow::http {

std::string cut_marker(std::size_t dropped) {
  return " [" + std::to_string(dropped) + " more bytes not shown]";
}

void LineSplitter::append(std::string_view piece) {
  if (max_line_ == 0) {
    pending_.append(piece);
    return;
  }
  const std::size_t room = max_line_ - std::min(max_line_, pending_.size());
  const std::size_t kept = std::min(room, piece.size());
  pending_.append(piece.substr(0, kept));
  dropped_ += piece.size() - kept;
}

bool LineSplitter::feed(std::string_view chunk, const LineSink& sink) {
  std::size_t start = 0;
  while (start <= chunk.size()) {
    const std::size_t nl = chunk.find('\n', start);
    if (nl == std::string_view::npos) {
      append(chunk.substr(start));
      return true;
    }
    std::string_view line;
    // The common case, a whole line inside one chunk, is delivered without a copy.
    const bool in_place =
        pending_.empty() && dropped_ == 0 && (max_line_ == 0 || nl - start <= max_line_);
    if (in_place) {
      line = chunk.substr(start, nl - start);
    } else {
      append(chunk.substr(start, nl - start));
      if (dropped_ > 0) pending_ += cut_marker(dropped_);
      line = pending_;
    }
    if (dropped_ == 0 && !line.empty() && line.back() == '\r') line.remove_suffix(1);
    const bool more = sink(line);
    pending_.clear();
    dropped_ = 0;
    if (!more) return false;
    start = nl + 1;
  }
  return true;
}

}  // namespace kubeflow::http
