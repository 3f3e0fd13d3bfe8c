// SPDX-License-Identifier: Apache-2.0
#include <map>
#include <optional>
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

constexpr std::size_t kMaxNameLength = 63;
constexpr std::size_t kMaxRuntimeNameLength = 253;
constexpr std::size_t kMaxSecretNameLength = 253;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// ^[a-z]([-a-z0-9]*[a-z0-9])?$, the CEL rule on TrainJob names.
bool is_rfc1035_label(std::string_view text) {
  if (text.empty() || !(text.front() >= 'a' && text.front() <= 'z')) return false;
  if (!is_lower_alnum(text.back())) return false;
  for (char c : text) {
    if (!is_lower_alnum(c) && c != '-') return false;
  }
  return true;
}

// One or more RFC 1123 labels joined by dots: the rule for Secret names.
bool is_dns_subdomain(std::string_view text) {
  if (text.empty()) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    const std::string_view label = text.substr(start, dot - start);
    if (label.empty() || !is_lower_alnum(label.front()) || !is_lower_alnum(label.back())) {
      return false;
    }
    for (char c : label) {
      if (!is_lower_alnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// Kubernetes' IsEnvVarName: [-._a-zA-Z][-._a-zA-Z0-9]*.
bool is_env_var_name(std::string_view text) {
  if (text.empty() || is_digit(text.front())) return false;
  for (char c : text) {
    if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' && c != '_') return false;
  }
  return true;
}

// ^[A-Za-z][A-Za-z0-9+.-]*://.+$, the CRD pattern on storageUri.
bool is_storage_uri(std::string_view text) {
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0 || sep + 3 >= text.size()) return false;
  if (!is_alpha(text.front())) return false;
  for (char c : text.substr(0, sep)) {
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '.' && c != '-') return false;
  }
  return true;
}

void check_name(const std::string& name) {
  const std::string what = fmt::format("invalid TrainJob name {}", quote_text(name));
  const std::string hint =
      "Use lowercase letters, digits and '-', starting with a letter, or omit the name to get a "
      "generated one";
  if (name.size() > kMaxNameLength) {
    fail_invalid(
        "metadata.name", what,
        fmt::format("it is {} characters long, the limit is {}", name.size(), kMaxNameLength),
        "Use a shorter name");
  }
  if (!is_rfc1035_label(name)) {
    fail_invalid("metadata.name", what,
                 "must be a lowercase RFC 1035 label (a letter, then letters, digits or '-', "
                 "ending in a letter or digit)",
                 hint);
  }
}

void check_runtime_ref(const std::string& name, const std::optional<std::string>& kind) {
  if (name.size() > kMaxRuntimeNameLength || !is_dns_subdomain(name)) {
    fail_invalid("spec.runtimeRef.name", fmt::format("invalid runtime name {}", quote_text(name)),
                 fmt::format("must be a lowercase DNS subdomain of 1 to {} characters",
                             kMaxRuntimeNameLength),
                 "Pass the name of a TrainingRuntime or ClusterTrainingRuntime, e.g. "
                 "\"torch-distributed\"");
  }
  // Unset: the caller checks the request before resolving the runtime, which decides the kind.
  if (kind && *kind != "ClusterTrainingRuntime" && *kind != "TrainingRuntime") {
    fail_invalid("spec.runtimeRef.kind", fmt::format("invalid runtime kind {}", quote_text(*kind)),
                 "must be ClusterTrainingRuntime or TrainingRuntime",
                 "Use the kind reported by get_runtime()");
  }
}

void check_env(const std::vector<EnvVar>& env, const std::string& path) {
  std::map<std::string_view, std::size_t> seen;
  for (std::size_t i = 0; i < env.size(); ++i) {
    const std::string field = fmt::format("{}[{}].name", path, i);
    const std::string& name = env[i].name;
    if (!is_env_var_name(name)) {
      fail_invalid(field, fmt::format("invalid environment variable name {}", quote_text(name)),
                   "must start with a letter, '_', '-' or '.' and contain only letters, digits, "
                   "'_', '-' and '.'",
                   "Rename the variable, e.g. \"LEARNING_RATE\"");
    }
    if (auto [it, inserted] = seen.emplace(name, i); !inserted) {
      fail_invalid(field, fmt::format("duplicate environment variable {}", quote_text(name)),
                   fmt::format("it is already set at {}[{}]", path, it->second),
                   "Give each variable once");
    }
    // No process can receive a NUL in its environment; the container would never start.
    if (env[i].value.find('\0') != std::string::npos) {
      fail_invalid(fmt::format("{}[{}].value", path, i),
                   fmt::format("invalid value of environment variable {}", quote_text(name)),
                   "it contains a NUL character", "Remove the NUL character from the value");
    }
  }
}

// An image reference never contains whitespace or control characters; an empty one would
// silently run the runtime's default image.
bool is_image_reference(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= ' ' || byte == 0x7f) return false;
  }
  return true;
}

void check_string_map(const json& map, const std::string& path) {
  if (map.is_null()) return;
  if (!map.is_object()) {
    fail_invalid(path, fmt::format("invalid {}", path),
                 fmt::format("must be a dict of strings, not {}", map.type_name()),
                 "Pass a dict such as {\"team\": \"ml\"}");
  }
  for (const auto& [key, value] : map.items()) {
    if (!value.is_string()) {
      const std::string field = fmt::format("{}[{}]", path, quote_text(key));
      fail_invalid(field, fmt::format("invalid {}", field),
                   fmt::format("the value must be a string, not {}", value.type_name()),
                   "Quote the value, e.g. \"1\" instead of 1");
    }
  }
}

void check_trainer(const TrainerSpec& trainer) {
  if (trainer.image && !is_image_reference(*trainer.image)) {
    fail_invalid("spec.trainer.image",
                 fmt::format("invalid trainer image {}", quote_text(*trainer.image)),
                 trainer.image->empty() ? "the image name is empty"
                                        : "an image reference has no spaces or control characters",
                 "Pass an image reference such as \"pytorch/pytorch:2.5.1\", or leave image unset "
                 "to use the runtime's image");
  }
  if (trainer.num_nodes && *trainer.num_nodes < 1) {
    fail_invalid("spec.trainer.numNodes", fmt::format("invalid num_nodes {}", *trainer.num_nodes),
                 "the number of nodes must be at least 1",
                 "Use 1 or more, or leave num_nodes unset to use the runtime's default");
  }
  if (trainer.env) check_env(*trainer.env, "spec.trainer.env");
  if (!trainer.resources_per_node.is_null()) {
    static_cast<void>(resources_per_node(trainer.resources_per_node));
  }
}

void check_initializer(const InitializerSpec& initializer, const std::string& path) {
  if (!initializer.storage_uri.empty() && !is_storage_uri(initializer.storage_uri)) {
    fail_invalid(path + ".storageUri",
                 fmt::format("invalid storage URI {}", quote_text(initializer.storage_uri)),
                 "must look like <scheme>://<location>",
                 "Use e.g. \"hf://tatsu-lab/alpaca\" or \"s3://bucket/path\"");
  }
  check_env(initializer.env, path + ".env");
  if (initializer.secret_ref && (initializer.secret_ref->size() > kMaxSecretNameLength ||
                                 !is_dns_subdomain(*initializer.secret_ref))) {
    fail_invalid(path + ".secretRef.name",
                 fmt::format("invalid Secret name {}", quote_text(*initializer.secret_ref)),
                 "must be a lowercase DNS subdomain of at most 253 characters",
                 "Pass the name of a Secret in the job's namespace");
  }
}

void check_runtime_patches(const json& patches) {
  if (patches.is_null()) return;
  if (!patches.is_array()) {
    fail_invalid("spec.runtimePatches", "invalid runtime patches",
                 fmt::format("must be a list, not {}", patches.type_name()),
                 "Pass a list of RuntimePatch dicts");
  }
  for (std::size_t i = 0; i < patches.size(); ++i) {
    const json& patch = patches[i];
    const std::string field = fmt::format("spec.runtimePatches[{}]", i);
    if (!patch.is_object()) {
      fail_invalid(field, "invalid runtime patch",
                   fmt::format("must be a dict, not {}", patch.type_name()),
                   "Build patches with the RuntimePatch option");
    }
    const auto manager = patch.find("manager");
    if (manager == patch.end() || !manager->is_string() ||
        manager->get_ref<const std::string&>().empty()) {
      fail_invalid(field + ".manager", "invalid runtime patch", "it has no manager",
                   "Set manager to a domain-prefixed path, e.g. \"example.io/platform-team\"");
    }
  }
}

}  // namespace

void validate_job_request(const JobRequest& request) {
  check_name(request.name);
  check_runtime_ref(request.runtime_name, request.runtime_kind);
  check_string_map(request.labels, "metadata.labels");
  check_string_map(request.annotations, "metadata.annotations");
  if (request.trainer) check_trainer(*request.trainer);
  if (request.dataset) check_initializer(*request.dataset, "spec.initializer.dataset");
  if (request.model) check_initializer(*request.model, "spec.initializer.model");
  check_runtime_patches(request.runtime_patches);
  if (request.active_deadline_seconds && *request.active_deadline_seconds < 1) {
    fail_invalid("spec.activeDeadlineSeconds",
                 fmt::format("invalid activeDeadlineSeconds {}", *request.active_deadline_seconds),
                 "must be a positive integer (minimum 1)",
                 "Pass the job's time limit in seconds, or leave it unset");
  }
}

}  // namespace kubeflow::trainer
