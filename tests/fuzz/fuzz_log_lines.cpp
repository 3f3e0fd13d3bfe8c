// SPDX-License-Identifier: Apache-2.0
// A followed log's body, arriving in chunks of any size -> lines -> (timestamp, text). The lines
// must not depend on where the chunks were cut: they are compared with a whole-body split.
// The first input byte picks the chunk size; the rest is the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_json.hpp"
#include "http/line_splitter.hpp"
#include "trainer/log_follow.hpp"

namespace {

// The reference: every '\n'-ended line, a '\r' before the '\n' dropped.
std::vector<std::string> whole_split(std::string_view body) {
  std::vector<std::string> lines;
  for (size_t nl = body.find('\n'); nl != std::string_view::npos; nl = body.find('\n')) {
    std::string_view line = body.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(line);
    body.remove_prefix(nl + 1);
  }
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = static_cast<size_t>(data[0]) + 1;
  const std::string_view body = kubeflow::fuzz::text_of(data + 1, size - 1);
  std::vector<std::string> lines;
  kubeflow::http::LineSplitter splitter;
  for (size_t at = 0; at < body.size(); at += chunk) {
    const bool go_on = splitter.feed(body.substr(at, chunk), [&](std::string_view line) {
      lines.emplace_back(line);
      // As follow_container_log reads a line: "<RFC 3339 timestamp> <text>".
      const auto space = line.find(' ');
      (void)kubeflow::trainer::time_sort_key(std::string(line.substr(0, space)));
      return true;
    });
    if (!go_on) std::abort();
  }
  if (lines != whole_split(body)) std::abort();
  const auto last_nl = body.rfind('\n');
  const std::string_view tail = last_nl == std::string_view::npos ? body : body.substr(last_nl + 1);
  if (splitter.pending() != tail) std::abort();
  return 0;
}
