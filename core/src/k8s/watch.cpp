// SPDX-License-Identifier: Apache-2.0
#include "k8s/watch.hpp"

#include <fmt/format.h>

namespace kubeflow::k8s {

namespace {

constexpr int kServerTimeoutSeconds = 30;
constexpr std::chrono::seconds kClientTimeout{kServerTimeoutSeconds + 15};

std::string watch_path(const Resource& r, const std::string& ns, const ListOptions& options,
                       const std::string& resource_version) {
  std::string path = fmt::format(
      "{}?watch=1&allowWatchBookmarks=true&timeoutSeconds={}&resourceVersion={}",
      collection_path(r, ns), kServerTimeoutSeconds, url_encode(resource_version));
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
  while (!cancelled()) {
    bool gone = false;
    try {
      rest.stream(
          watch_path(resource, ns, options, resource_version), context,
          [&](std::string_view line) {
            if (line.empty()) return true;
            const auto event = nlohmann::json::parse(line, nullptr, false);
            if (!event.is_object()) return true;
            const std::string type = event.value("type", "");
            const auto& object = event.contains("object") ? event["object"] : nlohmann::json{};
            if (type == "ERROR") {
              if (object.is_object() && object.value("code", 0) == 410) {
                gone = true;
                return false;
              }
              throw Error(ErrorCode::kServerError,
                          fmt::format("watch {} failed: {}", resource.kind,
                                      object.is_object() ? object.value("message", "") : ""),
                          {.kind = resource.kind, .ns = ns});
            }
            if (object.is_object() && object.contains("metadata")) {
              const auto& metadata = object["metadata"];
              if (metadata.contains("resourceVersion") && metadata["resourceVersion"].is_string()) {
                resource_version = metadata["resourceVersion"].get<std::string>();
              }
            }
            if (type != "BOOKMARK") handler(type, object);
            return !cancelled();
          },
          kClientTimeout, cancelled);
    } catch (const Error& e) {
      // A stream that outlived the client timeout just reconnects; an HTTP 410 (instead of an
      // ERROR event) means the same as the event: our version is too old.
      if (e.code() == ErrorCode::kTimeout) continue;
      if (e.details().http_status != 410) throw;
      gone = true;
    }
    if (gone) resource_version = relist();
  }
}

}  // namespace kubeflow::k8s
