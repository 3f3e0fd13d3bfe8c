// SPDX-License-Identifier: Apache-2.0
// Shared by the fuzz targets that take a JSON document.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

namespace kubeflow::fuzz {

/// The input as text.
inline std::string_view text_of(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// The input parsed as JSON; discarded (null) when it is not JSON, since the API server only
/// ever sends JSON and the parse itself is nlohmann's, not ours.
inline nlohmann::json json_of(const uint8_t* data, size_t size) {
  return nlohmann::json::parse(text_of(data, size), nullptr, false);
}

/// `object[key]`, or null when `object` is not an object or has no such key.
inline const nlohmann::json& member(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

}  // namespace kubeflow::fuzz
