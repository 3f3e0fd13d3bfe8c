// SPDX-License-Identifier: Apache-2.0
#include "http/line_splitter.hpp"

namespace kubeflow::http {

bool LineSplitter::feed(std::string_view chunk, const LineSink& sink) {
  pending_.append(chunk);
  size_t start = 0;
  for (size_t nl = pending_.find('\n'); nl != std::string::npos; nl = pending_.find('\n', start)) {
    std::string_view line(pending_.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!sink(line)) return false;
    start = nl + 1;
  }
  pending_.erase(0, start);
  return true;
}

}  // namespace kubeflow::http
