// SPDX-License-Identifier: Apache-2.0
#include <stdlib.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "kubeflow/config/connection.hpp"
#include "kubeflow/error.hpp"

namespace fs = std::filesystem;
using kubeflow::Error;
using kubeflow::ErrorCode;
using kubeflow::config::EnvLookup;
using kubeflow::config::LoadOptions;

namespace {

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto found = vars.find(name);
    if (found == vars.end()) return std::nullopt;
    return found->second;
  };
}

// A fake service-account directory: token, ca.crt and namespace, as the kubelet mounts them.
class ServiceAccountDir {
 public:
  ServiceAccountDir() {
    std::string pattern = (fs::temp_directory_path() / "in-cluster-test-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    root_ = pattern;
    write("token", "dummy-sa-token");
    write("ca.crt", "-----BEGIN CERTIFICATE-----\nZHVtbXk=\n-----END CERTIFICATE-----\n");
    write("namespace", "  team-a \nignored\n");
  }
  ~ServiceAccountDir() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  ServiceAccountDir(const ServiceAccountDir&) = delete;
  ServiceAccountDir& operator=(const ServiceAccountDir&) = delete;

  void write(const std::string& name, const std::string& content) const {
    std::ofstream(root_ / name) << content;
  }
  void remove(const std::string& name) const { fs::remove(root_ / name); }
  [[nodiscard]] std::string path(const std::string& name = "") const {
    return name.empty() ? root_.string() : (root_ / name).string();
  }
  [[nodiscard]] LoadOptions options() const {
    LoadOptions options;
    options.in_cluster_root = root_.string();
    return options;
  }

 private:
  fs::path root_;
};

const std::map<std::string, std::string> kPodEnv = {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                                                    {"KUBERNETES_SERVICE_PORT", "443"}};

Error in_cluster_error(const LoadOptions& options, const EnvLookup& env) {
  try {
    (void)kubeflow::config::load_in_cluster(options, env);
  } catch (const Error& e) {
    return e;
  }
  FAIL("load_in_cluster did not throw");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("in-cluster: service account gives server, token file, CA and namespace", "[config]") {
  ServiceAccountDir sa;
  const auto c = kubeflow::config::load_in_cluster(sa.options(), fake_env(kPodEnv));
  CHECK(c.server == "https://10.96.0.1:443");
  CHECK(c.token_file == sa.path("token"));
  CHECK(c.token.empty());  // re-read from token_file so that rotation is picked up
  CHECK(c.ca_pem == "-----BEGIN CERTIFICATE-----\nZHVtbXk=\n-----END CERTIFICATE-----\n");
  CHECK(c.namespace_name == "team-a");
  CHECK(c.context_name.empty());
  CHECK(c.source == "in-cluster");
  CHECK_FALSE(c.insecure_skip_tls_verify);
}

TEST_CASE("in-cluster: an IPv6 host gets brackets", "[config]") {
  ServiceAccountDir sa;
  auto env = kPodEnv;
  env["KUBERNETES_SERVICE_HOST"] = "fd00:10:96::1";
  CHECK(kubeflow::config::load_in_cluster(sa.options(), fake_env(env)).server ==
        "https://[fd00:10:96::1]:443");
  env["KUBERNETES_SERVICE_HOST"] = "[fd00::1]";
  CHECK(kubeflow::config::load_in_cluster(sa.options(), fake_env(env)).server ==
        "https://[fd00::1]:443");
}

TEST_CASE("in-cluster: the namespace file is optional", "[config]") {
  ServiceAccountDir sa;
  sa.remove("namespace");
  CHECK(kubeflow::config::load_in_cluster(sa.options(), fake_env(kPodEnv)).namespace_name.empty());
}

TEST_CASE("in-cluster: errors name the variable or the file", "[config]") {
  ServiceAccountDir sa;
  SECTION("no service host") {
    const Error e = in_cluster_error(sa.options(), fake_env({{"KUBERNETES_SERVICE_PORT", "443"}}));
    CHECK(e.code() == ErrorCode::kConfig);
    CHECK(std::string(e.what()) ==
          "in-cluster configuration unavailable: KUBERNETES_SERVICE_HOST is not set. Run inside "
          "a pod with a mounted service-account token, or pass config_file to "
          "KubernetesBackendConfig");
    CHECK(e.details().field == "KUBERNETES_SERVICE_HOST");
  }
  SECTION("no service port") {
    const Error e = in_cluster_error(sa.options(), fake_env({{"KUBERNETES_SERVICE_HOST", "h"}}));
    CHECK(e.details().field == "KUBERNETES_SERVICE_PORT");
  }
  SECTION("no token") {
    sa.remove("token");
    const Error e = in_cluster_error(sa.options(), fake_env(kPodEnv));
    CHECK(e.code() == ErrorCode::kConfig);
    CHECK_THAT(e.what(), Catch::StartsWith("in-cluster configuration unavailable: cannot read "
                                           "the service-account token " +
                                           sa.path("token") + ": No such file or directory."));
    CHECK(e.details().file == sa.path("token"));
  }
  SECTION("no CA") {
    sa.remove("ca.crt");
    const Error e = in_cluster_error(sa.options(), fake_env(kPodEnv));
    CHECK_THAT(e.what(), Catch::Contains("service-account CA certificate " + sa.path("ca.crt")));
    CHECK(e.details().file == sa.path("ca.crt"));
  }
}

TEST_CASE("in-cluster: availability needs the host variable and the directory", "[config]") {
  ServiceAccountDir sa;
  CHECK(kubeflow::config::in_cluster_available(sa.options(), fake_env(kPodEnv)));
  CHECK_FALSE(kubeflow::config::in_cluster_available(sa.options(), fake_env({})));
  LoadOptions elsewhere;
  elsewhere.in_cluster_root = sa.path("absent");
  CHECK_FALSE(kubeflow::config::in_cluster_available(elsewhere, fake_env(kPodEnv)));
}

TEST_CASE("connection: explicit file, else in-cluster, else kubeconfig", "[config]") {
  ServiceAccountDir sa;
  const std::string kubeconfig = std::string(KUBEFLOW_TEST_FIXTURES) + "/kubeconfig/single.yaml";
  auto env = kPodEnv;
  env["KUBECONFIG"] = kubeconfig;
  LoadOptions options = sa.options();

  SECTION("in a pod without config_file: in-cluster, even with KUBECONFIG set") {
    CHECK(kubeflow::config::load_connection(options, fake_env(env)).source == "in-cluster");
  }
  SECTION("an explicit config_file wins over the pod") {
    options.config_file = kubeconfig;
    CHECK(kubeflow::config::load_connection(options, fake_env(env)).source == kubeconfig);
  }
  SECTION("outside a pod: kubeconfig") {
    env.erase("KUBERNETES_SERVICE_HOST");
    const auto c = kubeflow::config::load_connection(options, fake_env(env));
    CHECK(c.source == kubeconfig);
    CHECK(c.context_name == "dev");
  }
}

TEST_CASE("connection: process_env reads the real environment", "[config]") {
  ::setenv("KUBEFLOW_CONFIG_TEST_VAR", "value", 1);
  const auto env = kubeflow::config::process_env();
  CHECK(env("KUBEFLOW_CONFIG_TEST_VAR") == std::optional<std::string>("value"));
  ::unsetenv("KUBEFLOW_CONFIG_TEST_VAR");
  CHECK_FALSE(env("KUBEFLOW_CONFIG_TEST_VAR").has_value());
}
