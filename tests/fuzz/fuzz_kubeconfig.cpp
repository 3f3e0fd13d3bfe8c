// SPDX-License-Identifier: Apache-2.0
// Kubeconfig text -> ConnectionConfig through the real loader (it reads a file: the input is
// written to one in a private temporary directory). It must return or throw kubeflow::Error;
// yaml-cpp's or nlohmann's exceptions escaping, or a crash, is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "kubeflow/config/connection.hpp"
#include "kubeflow/error.hpp"

namespace {

std::string kubeconfig_path;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  std::string dir = (std::filesystem::temp_directory_path() / "kubeconfig-fuzz.XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) std::abort();
  kubeconfig_path = dir + "/config";
  std::atexit([] {
    std::error_code ignored;
    std::filesystem::remove_all(std::filesystem::path(kubeconfig_path).parent_path(), ignored);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  {
    std::ofstream out(kubeconfig_path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  kubeflow::config::LoadOptions options;
  options.config_file = kubeconfig_path;
  const kubeflow::config::EnvLookup no_env = [](const std::string&) -> std::optional<std::string> {
    return std::nullopt;
  };
  try {
    (void)kubeflow::config::load_kubeconfig(options, no_env);
  } catch (const kubeflow::Error&) {
    // Our typed error: the contract.
  }
  return 0;
}
