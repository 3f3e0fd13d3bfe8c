// SPDX-License-Identifier: Apache-2.0
#include "config/files.hpp"

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>

namespace kubeflow::config::detail {

namespace {

namespace fs = std::filesystem;

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

std::string os_reason(int error_number) {
  return std::error_code(error_number, std::generic_category()).message();
}

// fopen succeeds on a directory on Linux, so say so before a read fails with a vaguer reason.
FilePtr open_regular(const std::string& path, std::string& why) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    why = "is a directory, not a file";
    return nullptr;
  }
  errno = 0;
  FilePtr file{std::fopen(path.c_str(), "rb")};
  if (!file) why = os_reason(errno != 0 ? errno : ENOENT);
  return file;
}

}  // namespace

std::optional<std::string> read_file(const std::string& path, std::string& why) {
  FilePtr file = open_regular(path, why);
  if (!file) return std::nullopt;
  std::string content;
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (!ec) content.reserve(static_cast<std::size_t>(size) + 1);
  char chunk[4096];
  std::size_t n = 0;
  while ((n = std::fread(chunk, 1, sizeof chunk, file.get())) > 0) content.append(chunk, n);
  if (std::ferror(file.get()) != 0) {
    why = os_reason(errno != 0 ? errno : EIO);
    return std::nullopt;
  }
  return content;
}

bool is_readable_file(const std::string& path, std::string& why) {
  return open_regular(path, why) != nullptr;
}

bool path_exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  if (base_dir.empty() || path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(base_dir) / path).string();
}

std::string directory_of(const std::string& file) { return fs::path(file).parent_path().string(); }

std::string expand_home(const std::string& path, const EnvLookup& env) {
  if (path.empty() || path[0] != '~' || (path.size() > 1 && path[1] != '/')) return path;
  const auto home = env("HOME");
  if (!home || home->empty()) return path;
  return *home + path.substr(1);
}

}  // namespace kubeflow::config::detail
