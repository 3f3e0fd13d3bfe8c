// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

#include "kubeflow/config/connection.hpp"

namespace kubeflow::config::detail {

/// One named cluster, user or context, with the file that defined it: relative paths inside it
/// resolve against that file's directory, and errors name that file.
struct NamedEntry {
  YAML::Node body;   ///< the mapping under "cluster", "user" or "context" (may be undefined)
  std::string file;  ///< the kubeconfig it came from
};

/// The kubeconfig files merged by kubectl's rules: for each map and for current-context, the
/// first file that sets a value wins.
struct MergedKubeconfig {
  std::vector<std::string> files;  ///< files actually read, in order
  std::map<std::string, NamedEntry> clusters;
  std::map<std::string, NamedEntry> users;
  std::map<std::string, NamedEntry> contexts;
  std::string current_context;       ///< "" when no file sets it
  std::string current_context_file;  ///< the file that set it

  /// The files joined with ':', as a KUBECONFIG value would be.
  [[nodiscard]] std::string source() const;
};

/// Finds the kubeconfig files (explicit file, else the KUBECONFIG list, else ~/.kube/config),
/// parses and merges them. Throws Error{kConfig} for a missing or unreadable file, malformed
/// YAML (with line and column) and entries of the wrong shape, naming the file and field.
[[nodiscard]] MergedKubeconfig read_kubeconfigs(const LoadOptions& options, const EnvLookup& env);

}  // namespace kubeflow::config::detail
