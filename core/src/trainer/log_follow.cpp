// SPDX-License-Identifier: Apache-2.0
#include "trainer/log_follow.hpp"

#include <chrono>

#include <fmt/format.h>

#include "k8s/reconnect.hpp"

namespace kubeflow::trainer {

namespace {

// "2024-05-01T10:00:00.123456789Z" -> "2024-05-01T10:00:00Z": sinceTime takes whole seconds.
std::string whole_seconds(const std::string& time) {
  const auto dot = time.find('.');
  return dot == std::string::npos ? time : time.substr(0, dot) + "Z";
}

}  // namespace

std::string time_sort_key(const std::string& time) {
  std::string text = time;
  if (!text.empty() && text.back() == 'Z') text.pop_back();
  std::string fraction;
  if (const auto dot = text.find('.'); dot != std::string::npos) {
    fraction = text.substr(dot + 1);
    text.resize(dot);
  }
  fraction.resize(9, '0');
  return text + "." + fraction;
}

namespace {

// The query of one request: the caller's limits on the first, a resume from the last line
// delivered afterwards (tailLines would cut it, sinceSeconds would count from the wrong time).
std::string log_query(const std::string& container, const LogOptions& options,
                      const std::string& resume_time, std::chrono::steady_clock::duration elapsed) {
  std::string query = fmt::format("?container={}&timestamps=true", k8s::url_encode(container));
  if (options.follow) query += "&follow=true";
  if (options.previous) query += "&previous=true";
  if (!resume_time.empty()) {
    return query + "&sinceTime=" + k8s::url_encode(whole_seconds(resume_time));
  }
  if (options.tail_lines) query += fmt::format("&tailLines={}", *options.tail_lines);
  if (options.since_seconds) {
    // A retry before any line keeps the window where it began.
    const auto waited = std::chrono::duration_cast<std::chrono::seconds>(elapsed).count();
    query += fmt::format("&sinceSeconds={}", *options.since_seconds + waited);
  }
  return query;
}

}  // namespace

void follow_container_log(k8s::RestClient& rest, const std::string& ns, const std::string& pod,
                          const std::string& container, const LogOptions& options,
                          const Stream<std::string>::Emit& emit,
                          const Stream<std::string>::Cancelled& cancelled) {
  const std::string base = k8s::object_path(k8s::kPods, ns, pod) + "/log";
  const k8s::RequestContext context{options.follow ? "follow logs of" : "read logs of", "Pod", ns,
                                    pod, rest.http().connection().server};
  const auto started = std::chrono::steady_clock::now();
  std::string last_time;    // timestamp of the last line delivered
  size_t seen_at_last = 0;  // lines delivered with exactly that timestamp
  k8s::Reconnect reconnect;
  while (!cancelled()) {
    const std::string resume_time = last_time;
    const std::string path = base + log_query(container, options, resume_time,
                                              std::chrono::steady_clock::now() - started);
    const std::string resume_key = time_sort_key(resume_time);
    const size_t to_skip = seen_at_last;
    size_t skipped = 0;
    try {
      const k8s::StreamEnd end = rest.stream(
          path, context,
          [&](std::string_view raw) {
            reconnect.succeeded();
            const auto space = raw.find(' ');
            const std::string stamp(raw.substr(0, space));
            const std::string_view text =
                space == std::string_view::npos ? std::string_view{} : raw.substr(space + 1);
            if (!resume_time.empty()) {
              const auto key = time_sort_key(stamp);
              if (key < resume_key) return true;
              if (key == resume_key && skipped < to_skip) {
                ++skipped;
                return true;
              }
            }
            if (stamp == last_time) {
              ++seen_at_last;
            } else {
              last_time = stamp;
              seen_at_last = 1;
            }
            return emit(std::string(text));
          },
          std::chrono::hours(24), rest.streams().log_silence, cancelled, kMaxLogLine);
      // Silence is normal for a log (the program prints nothing) and also what a stalled
      // connection looks like: open it again from the last line, at once. Not a failure, so a
      // quiet log never runs into the reconnect's outage limit.
      if (end == k8s::StreamEnd::kSilent) continue;
      return;  // the log ended: the container exited, or (without follow) all of it was read
    } catch (const Error& e) {
      if (!k8s::Reconnect::retryable(e) || !reconnect.wait(cancelled)) throw;
    }
  }
}

}  // namespace kubeflow::trainer
