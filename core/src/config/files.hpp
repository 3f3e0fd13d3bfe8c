// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>

#include "kubeflow/config/connection.hpp"

namespace kubeflow::config::detail {

/// The whole content of `path`, or nullopt with `why` set to the OS reason
/// ("No such file or directory"). The buffer is sized up front so a private key is not left
/// behind in reallocated memory.
[[nodiscard]] std::optional<std::string> read_file(const std::string& path, std::string& why);

/// Whether `path` is a regular file that can be opened for reading; `why` as for read_file.
[[nodiscard]] bool is_readable_file(const std::string& path, std::string& why);

/// Whether anything exists at `path`.
[[nodiscard]] bool path_exists(const std::string& path);

/// `path` itself when absolute or when `base_dir` is empty, else `base_dir/path`.
[[nodiscard]] std::string resolve_path(const std::string& base_dir, const std::string& path);

/// The directory part of `file` ("" for a bare file name, meaning the working directory).
[[nodiscard]] std::string directory_of(const std::string& file);

/// Expands a leading "~" with HOME, as kubectl and the Python client do for kubeconfig paths.
[[nodiscard]] std::string expand_home(const std::string& path, const EnvLookup& env);

}  // namespace kubeflow::config::detail
