// SPDX-License-Identifier: Apache-2.0
// A watch response body -> lines -> events, as k8s::watch reads it. parse_watch_event never
// throws; an ERROR event is the only one that can fail or end the watch.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_json.hpp"
#include "http/line_splitter.hpp"
#include "k8s/watch_event.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using kubeflow::k8s::WatchEvent;
  const auto check = [](std::string_view line) {
    const WatchEvent event = kubeflow::k8s::parse_watch_event(line);
    const bool failing =
        event.kind == WatchEvent::Kind::kGone || event.kind == WatchEvent::Kind::kError;
    if (failing != (event.type == "ERROR")) std::abort();
    if (event.kind == WatchEvent::Kind::kError && event.error_message.empty()) std::abort();
    return true;
  };
  kubeflow::http::LineSplitter lines;
  (void)lines.feed(kubeflow::fuzz::text_of(data, size), check);
  check(lines.pending());  // the last line, as HttpClient delivers it at the end of the body
  return 0;
}
