// SPDX-License-Identifier: Apache-2.0
#include "k8s/watch.hpp"

#include "k8s/reconnect.hpp"
#include "k8s/watch_event.hpp"

#include <fmt/format.h>

namespace kubeflow::k8s {

namespace {

std::string watch_path(const Resource& r, const std::string& ns, const ListOptions& options,
                       const std::string& resource_version, std::chrono::seconds window) {
  std::string path =
      fmt::format("{}?watch=1&allowWatchBookmarks=true&timeoutSeconds={}&resourceVersion={}",
                  collection_path(r, ns), window.count(), url_encode(resource_version));
  if (!options.label_selector.empty()) {
    path += "&labelSelector=" + url_encode(options.label_selector);
  }
  if (!options.field_selector.empty()) {
    path += "&fieldSelector=" + url_encode(options.field_selector);
  }
  return path;
}

}  // namespace

void watch(RestClient& rest, const Resource& resource, const std::string& ns,
           const ListOptions& options, std::string resource_version, const WatchHandler& handler,
           const Relist& relist, const std::function<bool()>& cancelled) {
  const RequestContext context{"watch", resource.kind, ns, "", rest.http().connection().server};
  const StreamDeadlines& deadlines = rest.streams();
  Reconnect reconnect;
  bool need_relist = false;
  while (!cancelled()) {
    try {
      // A relist after 410 can meet the same outage as the watch; it retries alike.
      if (need_relist) {
        resource_version = relist();
        need_relist = false;
      }
      const StreamEnd end = rest.stream(
          watch_path(resource, ns, options, resource_version, deadlines.watch_window), context,
          [&](std::string_view line) {
            WatchEvent event = parse_watch_event(line);
            if (event.kind == WatchEvent::Kind::kIgnored) return true;
            reconnect.succeeded();
            if (event.kind == WatchEvent::Kind::kGone) {
              need_relist = true;
              return false;
            }
            if (event.kind == WatchEvent::Kind::kError) {
              throw Error(ErrorCode::kServerError,
                          fmt::format("watch {} failed: {}", resource.kind, event.error_message),
                          {.kind = resource.kind, .ns = ns});
            }
            if (event.resource_version) resource_version = std::move(*event.resource_version);
            if (event.kind == WatchEvent::Kind::kObject) handler(event.type, event.object);
            return !cancelled();
          },
          deadlines.watch_total(), deadlines.watch_idle(), cancelled);
      if (end == StreamEnd::kSilent) {
        // A live API server ends a watch when its window is over: this connection is dead (a
        // stalled proxy or API server). Resume from the last version, as after a drop.
        throw Error(
            ErrorCode::kTimeout,
            fmt::format(
                "watch {} in namespace {}: the API server sent nothing for {} s, "
                "past the watch's own end",
                resource.kind, ns,
                std::chrono::duration_cast<std::chrono::seconds>(deadlines.watch_idle()).count()),
            {.hint = "The connection to the API server stalled; check the network and "
                     "any proxy in between",
             .kind = resource.kind,
             .ns = ns});
      }
      reconnect.succeeded();  // the server ended the stream on time: it is there
    } catch (const Error& e) {
      // HTTP 410 (instead of an ERROR event) means the same as the event: our version is too
      // old, so list again.
      if (e.details().http_status == 410) {
        need_relist = true;
        continue;
      }
      // A dropped connection, an API server restarting (refused, 503 while not ready) or a
      // stream that outlived the client timeout: resume from the last version seen.
      if (!reconnect.retryable(e) || !reconnect.wait(cancelled)) throw;
    }
  }
}

}  // namespace kubeflow::k8s
