// SPDX-License-Identifier: Apache-2.0
#include "k8s/watch_event.hpp"

namespace kubeflow::k8s {

WatchEvent parse_watch_event(std::string_view line) {
  WatchEvent result;
  if (line.empty()) return result;
  auto event = nlohmann::json::parse(line, nullptr, false);
  if (!event.is_object()) return result;
  const auto type_it = event.find("type");
  if (type_it != event.end() && type_it->is_string()) result.type = type_it->get<std::string>();
  const auto object_it = event.find("object");
  if (result.type == "ERROR") {
    result.kind = WatchEvent::Kind::kError;
    if (object_it != event.end() && object_it->is_object()) {
      if (const auto code = object_it->find("code"); code != object_it->end() && *code == 410) {
        result.kind = WatchEvent::Kind::kGone;
        return result;
      }
      if (const auto message = object_it->find("message"); message != object_it->end()) {
        result.error_message = message->dump();
        return result;
      }
    }
    result.error_message = event.dump();
    return result;
  }
  // Moved, not copied: an event's object can be a whole Pod.
  if (object_it != event.end()) result.object = std::move(*object_it);
  const auto& object = result.object;
  if (object.is_object()) {
    const auto metadata = object.find("metadata");
    if (metadata != object.end() && metadata->is_object()) {
      const auto version = metadata->find("resourceVersion");
      if (version != metadata->end() && version->is_string()) {
        result.resource_version = version->get<std::string>();
      }
    }
  }
  result.kind = result.type == "BOOKMARK" ? WatchEvent::Kind::kBookmark : WatchEvent::Kind::kObject;
  return result;
}

}  // namespace kubeflow::k8s
