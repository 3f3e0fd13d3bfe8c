// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the kubeconfig tests (kubeconfig_test.cpp, kubeconfig_errors_test.cpp).
#pragma once

#include <stdlib.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include "kubeflow/config/connection.hpp"
#include "kubeflow/error.hpp"

namespace kubeflow::testing {

namespace fs = std::filesystem;
using config::ConnectionConfig;
using config::EnvLookup;
using config::load_kubeconfig;
using config::LoadOptions;

inline const std::string kFixtures = std::string(KUBEFLOW_TEST_FIXTURES) + "/kubeconfig";

inline EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto found = vars.find(name);
    if (found == vars.end()) return std::nullopt;
    return found->second;
  };
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "kubeconfig-test-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, const std::string& content) const {
    const fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << content;
    return file.string();
  }
  [[nodiscard]] std::string path(const std::string& name = "") const {
    return name.empty() ? path_.string() : (path_ / name).string();
  }

 private:
  fs::path path_;
};

inline LoadOptions file_options(const std::string& file, std::optional<std::string> context = {}) {
  LoadOptions options;
  options.config_file = file;
  options.context = std::move(context);
  return options;
}

inline ConnectionConfig load_file(const std::string& file,
                                  std::optional<std::string> context = {}) {
  return load_kubeconfig(file_options(file, std::move(context)), fake_env({}));
}

inline Error load_error(const LoadOptions& options, const EnvLookup& env = fake_env({})) {
  try {
    (void)load_kubeconfig(options, env);
  } catch (const Error& e) {
    return e;
  }
  FAIL("load_kubeconfig did not throw");
  throw std::logic_error("unreachable");
}

inline Error file_error(const std::string& file, std::optional<std::string> context = {}) {
  return load_error(file_options(file, std::move(context)));
}

// A kubeconfig whose single context "ctx" uses cluster "c" and user "u" with the given bodies.
inline std::string one_context(const std::string& cluster_body, const std::string& user_body) {
  return "current-context: ctx\n"
         "clusters:\n- name: c\n  cluster:\n" +
         cluster_body + "users:\n- name: u\n  user:\n" + user_body +
         "contexts:\n- name: ctx\n  context:\n    cluster: c\n    user: u\n";
}

inline const std::string kServer = "    server: https://c.example.test\n";

}  // namespace kubeflow::testing
