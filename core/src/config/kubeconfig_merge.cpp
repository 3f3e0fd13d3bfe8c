// SPDX-License-Identifier: Apache-2.0
#include "config/kubeconfig_merge.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "config/config_error.hpp"
#include "config/files.hpp"
#include "config/yaml_fields.hpp"

namespace kubeflow::config::detail {

namespace {

constexpr const char* kLocateHint = "Set KUBECONFIG or pass config_file to KubernetesBackendConfig";

// Where the candidate paths came from; it changes both the "missing" rule and the hint.
enum class Origin { kConfigFile, kKubeconfigEnv, kDefault };

struct Candidates {
  Origin origin;
  std::vector<std::string> paths;
};

std::vector<std::string> split_list(const std::string& list, const EnvLookup& env) {
  std::vector<std::string> paths;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    std::string path = expand_home(list.substr(start, end - start), env);
    // kubectl ignores empty entries and reads a file listed twice only once.
    if (!path.empty() && std::find(paths.begin(), paths.end(), path) == paths.end()) {
      paths.push_back(std::move(path));
    }
    start = end + 1;
  }
  return paths;
}

Candidates find_candidates(const LoadOptions& options, const EnvLookup& env) {
  if (options.config_file && !options.config_file->empty()) {
    return {Origin::kConfigFile, {expand_home(*options.config_file, env)}};
  }
  if (const auto list = env("KUBECONFIG"); list && !list->empty()) {
    auto paths = split_list(*list, env);
    if (!paths.empty()) return {Origin::kKubeconfigEnv, std::move(paths)};
  }
  const auto home = env("HOME");
  if (!home || home->empty()) {
    fail(ErrorCode::kConfig, "kubeconfig not found: HOME is not set, so ~/.kube/config is unknown",
         {.field = "HOME", .hint = kLocateHint});
  }
  return {Origin::kDefault, {*home + "/.kube/config"}};
}

[[noreturn]] void not_found(const Candidates& where, const std::vector<std::string>& missing) {
  const std::string list = fmt::format("{}", fmt::join(missing, ", "));
  const std::string joined = fmt::format("{}", fmt::join(missing, ":"));
  switch (where.origin) {
    case Origin::kConfigFile:
      fail(ErrorCode::kConfig, fmt::format("kubeconfig not found: {} (from config_file)", list),
           {.field = "config_file",
            .file = missing.front(),
            .hint = "Check the config_file passed to KubernetesBackendConfig"});
    case Origin::kKubeconfigEnv:
      fail(ErrorCode::kConfig, fmt::format("kubeconfig not found: {} (from KUBECONFIG)", list),
           {.field = "KUBECONFIG", .file = joined, .hint = kLocateHint});
    case Origin::kDefault:
      break;
  }
  fail(ErrorCode::kConfig, fmt::format("kubeconfig not found: {} (default location)", list),
       {.file = missing.front(), .hint = kLocateHint});
}

YAML::Node parse(const std::string& path) {
  std::string why;
  const auto text = read_file(path, why);
  if (!text) {
    fail(ErrorCode::kConfig, fmt::format("cannot read kubeconfig {}: {}", path, why),
         {.file = path, .hint = "Check the file's permissions"});
  }
  try {
    return YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's own what() repeats the position without the file; build a fuller message.
    fail(ErrorCode::kConfig,
         fmt::format("kubeconfig {} is not valid YAML: line {}, column {}: {}", path,
                     e.mark.line + 1, e.mark.column + 1, e.msg),
         {.file = path, .hint = "Fix the YAML syntax at that position"});
  }
}

void merge_named(const YAML::Node& root, const char* list_key, const char* body_key,
                 const std::string& file, std::map<std::string, NamedEntry>& into) {
  const YAML::Node list = child(root, list_key);
  if (!list.IsDefined() || list.IsNull()) return;
  if (!list.IsSequence()) {
    fail(ErrorCode::kConfig, fmt::format("kubeconfig {}: {} must be a list", file, list_key),
         {.field = list_key, .file = file, .hint = "Fix that field in the kubeconfig"});
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node item = list[i];
    const std::string at = fmt::format("{}[{}]", list_key, i);
    if (!item.IsMap()) {
      fail(ErrorCode::kConfig,
           fmt::format("kubeconfig {}: {} must be a mapping with name and {}", file, at, body_key),
           {.field = at, .file = file, .hint = "Fix that entry in the kubeconfig"});
    }
    const std::string name = scalar_field({item, file, at}, "name");
    if (name.empty()) {
      fail(ErrorCode::kConfig, fmt::format("kubeconfig {}: {}.name is missing", file, at),
           {.field = at + ".name", .file = file, .hint = "Give every entry a name"});
    }
    const YAML::Node body = child(item, body_key);
    if (body.IsDefined() && !body.IsNull() && !body.IsMap()) {
      const std::string field = fmt::format("{}[{}].{}", list_key, name, body_key);
      fail(ErrorCode::kConfig, fmt::format("kubeconfig {}: {} must be a mapping", file, field),
           {.field = field, .file = file, .hint = "Fix that entry in the kubeconfig"});
    }
    into.try_emplace(name, NamedEntry{body, file});
  }
}

void merge_file(const std::string& path, MergedKubeconfig& merged) {
  const YAML::Node root = parse(path);
  merged.files.push_back(path);
  // An empty file is an empty kubeconfig, as for kubectl.
  if (!root.IsDefined() || root.IsNull()) return;
  if (!root.IsMap()) {
    fail(ErrorCode::kConfig,
         fmt::format("kubeconfig {}: the top level must be a mapping with clusters, users and "
                     "contexts",
                     path),
         {.file = path, .hint = "Check that the file is a kubeconfig"});
  }
  const std::string current = scalar_field({root, path, ""}, "current-context");
  if (merged.current_context.empty() && !current.empty()) {
    merged.current_context = current;
    merged.current_context_file = path;
  }
  merge_named(root, "clusters", "cluster", path, merged.clusters);
  merge_named(root, "users", "user", path, merged.users);
  merge_named(root, "contexts", "context", path, merged.contexts);
}

}  // namespace

std::string MergedKubeconfig::source() const { return fmt::format("{}", fmt::join(files, ":")); }

MergedKubeconfig read_kubeconfigs(const LoadOptions& options, const EnvLookup& env) {
  const Candidates candidates = find_candidates(options, env);
  std::vector<std::string> present;
  std::vector<std::string> missing;
  for (const auto& path : candidates.paths) {
    (path_exists(path) ? present : missing).push_back(path);
  }
  // Only a KUBECONFIG list may name files that do not exist (kubectl skips them).
  if (present.empty() || (candidates.origin != Origin::kKubeconfigEnv && !missing.empty())) {
    not_found(candidates, missing);
  }
  MergedKubeconfig merged;
  for (const auto& path : present) merge_file(path, merged);
  return merged;
}

}  // namespace kubeflow::config::detail
