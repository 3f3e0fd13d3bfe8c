// SPDX-License-Identifier: Apache-2.0
#include "kubeflow/trainer/manifest.hpp"

#include <array>
#include <string_view>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "kubeflow/error.hpp"
#include "util/yaml_json.hpp"

namespace kubeflow::trainer {

namespace {

using nlohmann::json;

constexpr std::string_view kApiVersion = "trainer.kubeflow.org/v1alpha1";

// Whether a plain scalar would not read back as this very string (a bool, a number, null), so
// it must be quoted.
bool reads_as_another_type(const std::string& value) {
  try {
    return !util::yaml_to_json(value, "scalar").is_string();
  } catch (const Error&) {
    return true;  // not even valid YAML as it stands ("[x", "a: b: c")
  }
}

bool has_control_characters(const std::string& value) {
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n') || u == 0x7f) return true;
  }
  return false;
}

void emit(YAML::Emitter& out, const json& value) {
  switch (value.type()) {
    case json::value_t::object:
      if (value.empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        return;
      }
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key;
        emit(out, json(key));
        out << YAML::Value;
        emit(out, item);
      }
      out << YAML::EndMap;
      return;
    case json::value_t::array:
      if (value.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      out << YAML::BeginSeq;
      for (const auto& item : value) emit(out, item);
      out << YAML::EndSeq;
      return;
    case json::value_t::string: {
      const auto& text = value.get_ref<const std::string&>();
      // A literal block keeps a function's source readable; it cannot hold a string that does
      // not end in exactly one newline, or control characters, which get escapes instead.
      const bool block = text.find('\n') != std::string::npos && text.ends_with('\n') &&
                         !text.ends_with("\n\n") && !text.starts_with(' ') &&
                         !has_control_characters(text);
      if (block) {
        out << YAML::Literal << text;
      } else if (text.find('\n') != std::string::npos || has_control_characters(text) ||
                 reads_as_another_type(text)) {
        out << YAML::DoubleQuoted << text;
      } else {
        out << text;
      }
      return;
    }
    case json::value_t::boolean:
      out << value.get<bool>();
      return;
    case json::value_t::number_integer:
      out << value.get<std::int64_t>();
      return;
    case json::value_t::number_unsigned:
      out << value.get<std::uint64_t>();
      return;
    case json::value_t::number_float:
      out << value.dump();  // the shortest text that reads back as the same double
      return;
    default:
      out << YAML::Null;
      return;
  }
}

[[noreturn]] void refuse(const std::string& field, const std::string& message,
                         const std::string& hint) {
  throw Error(ErrorCode::kInvalidArgument, message, {.field = field, .hint = hint});
}

std::string string_at(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string manifest_to_yaml(const json& manifest) {
  YAML::Emitter out;
  out.SetIndent(2);
  emit(out, manifest);
  return std::string(out.c_str()) + "\n";
}

json manifest_from_text(const std::string& text, const std::string& source) {
  json manifest = util::yaml_to_json(text, source);
  if (!manifest.is_object()) {
    refuse(
        "",
        fmt::format("{} is not a TrainJob manifest: it must be one YAML or JSON mapping", source),
        "Pass one TrainJob, e.g. the output of build_job_manifest()");
  }
  return manifest;
}

json manifest_for_create(json manifest, const std::string& ns) {
  if (!manifest.is_object()) {
    refuse("", "a TrainJob manifest must be a mapping", "Pass the TrainJob as a dict or YAML");
  }
  if (const std::string api = string_at(manifest, "apiVersion"); api != kApiVersion) {
    refuse("apiVersion", fmt::format("apiVersion must be {}, got \"{}\"", kApiVersion, api),
           fmt::format("Set apiVersion: {}", kApiVersion));
  }
  if (const std::string kind = string_at(manifest, "kind"); kind != "TrainJob") {
    refuse("kind", fmt::format("kind must be TrainJob, got \"{}\"", kind),
           "Only TrainJobs can be submitted");
  }
  auto metadata = manifest.find("metadata");
  if (metadata == manifest.end() || !metadata->is_object() ||
      string_at(*metadata, "name").empty()) {
    refuse("metadata.name", "the TrainJob manifest has no metadata.name",
           "Name the TrainJob: a client-chosen name is what makes a retried create safe");
  }
  if (const std::string other = string_at(*metadata, "namespace"); !other.empty() && other != ns) {
    refuse("metadata.namespace",
           fmt::format("the manifest is for namespace {}, but this client works in {}", other, ns),
           "Remove metadata.namespace, or use a client for that namespace");
  }
  manifest.erase("status");
  static constexpr std::array kServerSet{"uid",        "resourceVersion", "creationTimestamp",
                                         "generation", "managedFields",   "selfLink"};
  for (const char* field : kServerSet) metadata->erase(field);
  return manifest;
}

}  // namespace kubeflow::trainer
