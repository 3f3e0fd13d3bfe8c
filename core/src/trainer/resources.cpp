// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "kubeflow/trainer/job_spec.hpp"
#include "trainer/job_spec_errors.hpp"

namespace kubeflow::trainer {

namespace {

using detail::fail_invalid;
using detail::quote_text;
using nlohmann::json;

constexpr std::string_view kGpu = "nvidia.com/gpu";
constexpr std::string_view kMigPrefix = "nvidia.com/mig-";
const std::string kQuantityHint =
    R"(Use a non-negative integer or a quantity string such as "500m", "4Gi" or "1e3")";

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Upstream lower-cases only the well-known keys so that extended resources such as
// "Example.com/Custom-NPU" keep the case the device plugin registered.
std::string normalized_key(const std::string& key) {
  std::string lower = ascii_lower(key);
  if (lower == "gpu") return std::string(kGpu);
  if (lower == "storage") return "ephemeral-storage";
  if (lower == "cpu" || lower == "memory" || lower == "ephemeral-storage") return lower;
  if (lower.starts_with("mig-")) return "nvidia.com/" + lower;
  return key;
}

// The pattern the TrainJob CRD applies to resource quantities, so that we reject exactly what the
// API server would (signs are handled separately: requests must not be negative).
bool matches_quantity_grammar(const std::string& text) {
  static const std::regex pattern(
      R"(^[+-]?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+)))"
      R"((([KMGTPE]i)|[numkMGTPE]|([eE][+-]?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$)");
  return std::regex_match(text, pattern);
}

std::string value_type_name(const json& value) {
  if (value.is_number_float()) return "float";
  if (value.is_number()) return "int";
  if (value.is_boolean()) return "bool";
  if (value.is_null()) return "None";
  if (value.is_object()) return "dict";
  if (value.is_array()) return "list";
  return value.type_name();
}

// What the API server accepts as a container resource name: a standard one (cpu, memory,
// ephemeral-storage, hugepages-<size>) or an extended one, "<DNS subdomain>/<name>" where the
// name is at most 63 of [A-Za-z0-9-_.] starting and ending alphanumeric. The prefix may have
// capitals: upstream keeps the case of extended resources (kubeflow/sdk#264).
bool is_container_resource_name(const std::string& name) {
  if (name == "cpu" || name == "memory" || name == "ephemeral-storage") return true;
  static const std::regex hugepages(R"(^hugepages-[0-9]+(\.[0-9]+)?([KMGTPE]i?)?$)");
  if (std::regex_match(name, hugepages)) return true;
  static const std::regex extended(
      R"(^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*)"
      R"(/[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$)");
  const std::size_t slash = name.find('/');
  // npos is never <= 253: a name without a prefix fails here.
  return slash <= 253 && std::regex_match(name, extended);
}

void check_quantity(const std::string& user_key, const json& value) {
  const std::string field = fmt::format("resources_per_node[{}]", quote_text(user_key));
  const std::string what = fmt::format("invalid {} value {}", field, value.dump());
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() || value.get<long long>() >= 0) return;
    fail_invalid(field, what, "a resource quantity must not be negative", kQuantityHint);
  }
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (!std::isfinite(number) || number < 0) {
      fail_invalid(field, what, "a resource quantity must be a finite, non-negative number",
                   kQuantityHint);
    }
    // The CRD types quantities as int-or-string, so the server rejects 0.5 but takes 2.0.
    if (number != std::floor(number)) {
      fail_invalid(field, what, "the API server accepts only whole numbers here",
                   R"(Pass fractions as a quantity string, e.g. "0.5" or "500m")");
    }
    return;
  }
  if (!value.is_string()) {
    fail_invalid(field, what,
                 fmt::format("a resource quantity must be a number or a string, not {}",
                             value_type_name(value)),
                 kQuantityHint);
  }
  const auto& text = value.get_ref<const std::string&>();
  if (!matches_quantity_grammar(text)) {
    fail_invalid(field, what, "not a Kubernetes quantity", kQuantityHint);
  }
  if (text.starts_with('-')) {
    fail_invalid(field, what, "a resource quantity must not be negative", kQuantityHint);
  }
}

}  // namespace

json resources_per_node(const json& user_resources) {
  if (!user_resources.is_object()) {
    fail_invalid("resources_per_node", "invalid resources_per_node",
                 fmt::format("must be a dict, not {}", value_type_name(user_resources)),
                 R"(Pass a dict such as {"cpu": 2, "memory": "4Gi", "gpu": 1})");
  }
  json resources = json::object();
  std::map<std::string, std::string> given_as;  // normalized key -> the user's spelling
  std::vector<std::string> mig_keys;
  for (const auto& [key, value] : user_resources.items()) {
    const std::string field = fmt::format("resources_per_node[{}]", quote_text(key));
    if (key.empty()) {
      fail_invalid(field, "invalid resources_per_node", "a resource name is empty",
                   R"(Use a name such as "cpu", "memory", "gpu" or "example.com/device")");
    }
    check_quantity(key, value);
    std::string name = normalized_key(key);
    if (!is_container_resource_name(name)) {
      fail_invalid(field, fmt::format("invalid resource name {}", quote_text(key)),
                   "it is neither a standard resource (cpu, memory, gpu, storage, "
                   "ephemeral-storage, hugepages-<size>, mig-<profile>) nor a domain-prefixed "
                   "extended resource",
                   R"(Use a name such as "cpu", "memory", "gpu" or "example.com/device")");
    }
    // The dict arrives as a sorted map, so upstream's "last spelling wins" cannot be reproduced;
    // two spellings of one resource are almost certainly a mistake anyway.
    if (auto [it, inserted] = given_as.emplace(name, key); !inserted) {
      fail_invalid(field, "invalid resources_per_node",
                   fmt::format("{} and {} both name the resource {}", quote_text(it->second),
                               quote_text(key), quote_text(name)),
                   "Give each resource once");
    }
    if (name.starts_with(kMigPrefix)) mig_keys.push_back(name);
    resources[name] = value;
  }
  if (mig_keys.size() > 1) {
    fail_invalid(
        "resources_per_node", "invalid resources_per_node",
        fmt::format("more than one MIG profile requested ({}, {})", mig_keys[0], mig_keys[1]),
        R"(Request a single "mig-<profile>" key per node)");
  }
  if (!mig_keys.empty() && resources.contains(kGpu)) {
    fail_invalid("resources_per_node", "invalid resources_per_node",
                 fmt::format("a MIG profile ({}) cannot be combined with whole GPUs ({})",
                             mig_keys[0], kGpu),
                 R"(Request either "gpu" or one "mig-<profile>" key, not both)");
  }
  return json{{"requests", resources}, {"limits", resources}};
}

}  // namespace kubeflow::trainer
