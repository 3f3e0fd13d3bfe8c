// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace kubeflow::k8s {

/// One line of a watch stream, read: what the watch loop must do with it.
struct WatchEvent {
  enum class Kind {
    kIgnored,   ///< an empty line or anything but a JSON object: skipped
    kObject,    ///< ADDED / MODIFIED / DELETED (or any other type): given to the handler
    kBookmark,  ///< only moves the resourceVersion forward
    kGone,      ///< an ERROR event with code 410: the version is too old, list again
    kError,     ///< any other ERROR event: the watch fails with `error_message`
  };
  Kind kind = Kind::kIgnored;
  std::string type;                             ///< the event's "type" as sent ("" when missing)
  nlohmann::json object;                        ///< the event's "object" (null when missing)
  std::optional<std::string> resource_version;  ///< object.metadata.resourceVersion, if a string
  std::string error_message;  ///< kError: the Status message as JSON text, else the whole event
};

/// Reads one line of a watch response (one JSON event per line). Never throws: a line that is
/// not a JSON object is kIgnored. Pure; thread-safe.
[[nodiscard]] WatchEvent parse_watch_event(std::string_view line);

}  // namespace kubeflow::k8s
