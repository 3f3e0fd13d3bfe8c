// SPDX-License-Identifier: Apache-2.0
#include "util/yaml_json.hpp"

#include <regex>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "kubeflow/error.hpp"

namespace kubeflow::util {

namespace {

nlohmann::json scalar_to_json(const YAML::Node& node) {
  const std::string& value = node.Scalar();
  if (node.Tag() == "!") return value;  // quoted: always a string
  static const std::regex kInt(R"([-+]?[0-9]+)");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (value == "null" || value == "~" || value.empty()) return nullptr;
  if (value == "true") return true;
  if (value == "false") return false;
  if (std::regex_match(value, kInt)) {
    try {
      return std::stoll(value);
    } catch (const std::out_of_range&) {
      return value;
    }
  }
  if (std::regex_match(value, kFloat)) return std::stod(value);
  return value;
}

nlohmann::json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& kv : node) object[kv.first.as<std::string>()] = to_json(kv.second);
      return object;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : node) array.push_back(to_json(item));
      return array;
    }
    case YAML::NodeType::Scalar:
      return scalar_to_json(node);
    default:
      return nullptr;
  }
}

}  // namespace

nlohmann::json yaml_to_json(const std::string& text, const std::string& source) {
  try {
    return to_json(YAML::Load(text));
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} is not valid YAML: {} at line {}, column {}", source, e.msg,
                            e.mark.line + 1, e.mark.column + 1),
                {.file = source});
  }
}

std::vector<nlohmann::json> yaml_documents_to_json(const std::string& text,
                                                   const std::string& source) {
  try {
    std::vector<nlohmann::json> documents;
    for (const auto& node : YAML::LoadAll(text)) documents.push_back(to_json(node));
    return documents;
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} is not valid YAML: {} at line {}, column {}", source, e.msg,
                            e.mark.line + 1, e.mark.column + 1),
                {.file = source});
  }
}

}  // namespace kubeflow::util
