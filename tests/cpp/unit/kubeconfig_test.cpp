// SPDX-License-Identifier: Apache-2.0
// Loading and merge rules: contexts, KUBECONFIG merge, paths, tokens, inline data.
#include <catch2/catch.hpp>

#include <string>

#include "kubeflow/config/connection.hpp"
#include "kubeflow/error.hpp"
#include "unit/kubeconfig_support.hpp"

using kubeflow::Error;
using kubeflow::ErrorCode;
using kubeflow::config::ConnectionConfig;
using kubeflow::config::EnvLookup;
using kubeflow::config::load_kubeconfig;
using kubeflow::config::LoadOptions;
using namespace kubeflow::testing;

TEST_CASE("kubeconfig: single file gives server, CA, token and namespace", "[config]") {
  const ConnectionConfig c = load_file(kFixtures + "/single.yaml");
  CHECK(c.server == "https://dev.example.test:6443");
  CHECK(c.ca_pem ==
        "-----BEGIN CERTIFICATE-----\nZHVtbXktaW5saW5lLWNh\n-----END CERTIFICATE-----\n");
  CHECK(c.tls_server_name == "api.dev.internal");
  CHECK_FALSE(c.insecure_skip_tls_verify);
  CHECK(c.token.reveal() == "dummy-token-alice");
  CHECK(c.token_file.empty());
  CHECK(c.client_cert_pem.empty());
  CHECK(c.namespace_name == "team-dev");
  CHECK(c.context_name == "dev");
  CHECK(c.source == kFixtures + "/single.yaml");
}

TEST_CASE("kubeconfig: explicit context overrides current-context", "[config]") {
  const ConnectionConfig c = load_file(kFixtures + "/single.yaml", "lab");
  CHECK(c.context_name == "lab");
  CHECK(c.server == "http://127.0.0.1:8080");
  CHECK(c.insecure_skip_tls_verify);
  CHECK(c.ca_pem.empty());
  CHECK(c.username == "bob");
  CHECK(c.password.reveal() == "dummy-password-bob");
  CHECK(c.token.empty());
  CHECK(c.namespace_name.empty());
}

TEST_CASE("kubeconfig: a context without a user has no credentials", "[config]") {
  const auto c = load_file(kFixtures + "/single.yaml", "anonymous");
  CHECK((c.server == "http://127.0.0.1:8080" && c.token.empty() && c.username.empty()));
}

TEST_CASE("kubeconfig: KUBECONFIG merge, first file wins", "[config]") {
  const std::string first = kFixtures + "/merge/first.yaml";
  const std::string second = kFixtures + "/merge/second.yaml";
  const std::string none = kFixtures + "/merge/no_current.yaml";
  LoadOptions options;

  SECTION("current-context and duplicate names come from the first file") {
    const auto c = load_kubeconfig(options, fake_env({{"KUBECONFIG", first + ":" + second}}));
    CHECK(c.context_name == "ctx-first");
    CHECK(c.server == "https://first.example.test");
    CHECK(c.namespace_name == "from-first");
    CHECK(c.token.reveal() == "dummy-token-first");
    CHECK(c.source == first + ":" + second);
  }
  SECTION("reversed order reverses the winner; names resolve across files") {
    const auto c = load_kubeconfig(options, fake_env({{"KUBECONFIG", second + ":" + first}}));
    CHECK(c.context_name == "ctx-second");
    CHECK(c.server == "https://second-only.example.test");
    CHECK(c.token.reveal() == "dummy-token-second");
  }
  SECTION("duplicate context name: the first file's definition is used") {
    options.context = "ctx-first";
    const auto c = load_kubeconfig(options, fake_env({{"KUBECONFIG", second + ":" + first}}));
    CHECK(c.server == "https://second-only.example.test");
    CHECK(c.namespace_name == "from-second");
    CHECK(c.token.empty());
  }
  SECTION("a file without current-context defers to a later one") {
    const auto c = load_kubeconfig(options, fake_env({{"KUBECONFIG", none + ":" + second}}));
    CHECK(c.context_name == "ctx-second");
  }
  SECTION("missing files, empty entries and repeats are skipped") {
    const std::string list = "::" + kFixtures + "/absent.yaml:" + first + ":" + first;
    const auto c = load_kubeconfig(options, fake_env({{"KUBECONFIG", list}}));
    CHECK(c.context_name == "ctx-first");
    CHECK(c.source == first);
  }
  SECTION("an explicit config_file ignores KUBECONFIG") {
    options.config_file = second;
    const auto c = load_kubeconfig(options, fake_env({{"KUBECONFIG", first}}));
    CHECK(c.context_name == "ctx-second");
  }
}

TEST_CASE("kubeconfig: relative paths resolve against the file's directory", "[config]") {
  const std::string dir = kFixtures + "/relative";
  const ConnectionConfig c = load_file(dir + "/config");
  CHECK(c.ca_pem ==
        "-----BEGIN CERTIFICATE-----\nZHVtbXktY2EtZm9yLXRlc3Rz\n-----END CERTIFICATE-----\n");
  CHECK(c.client_cert_pem ==
        "-----BEGIN CERTIFICATE-----\nZHVtbXktY2xpZW50LWNlcnQ=\n-----END CERTIFICATE-----\n");
  CHECK(c.client_key_pem.reveal() ==
        "-----BEGIN PRIVATE KEY-----\nZHVtbXktY2xpZW50LWtleQ==\n-----END PRIVATE KEY-----\n");
  CHECK(c.token_file == dir + "/token");
  CHECK(c.token.empty());
}

TEST_CASE("kubeconfig: tokenFile overrides an inline token, as in client-go", "[config]") {
  TempDir dir;
  dir.write("tok", "from-file");
  const auto c = load_file(dir.write("config", one_context(kServer,
                                                           "    token: inline\n"
                                                           "    tokenFile: tok\n")));
  CHECK(c.token.empty());
  CHECK(c.token_file == dir.path("tok"));
}

TEST_CASE("kubeconfig: default location and ~ use HOME", "[config]") {
  TempDir home;
  home.write(".kube/config", one_context(kServer, "    token: t\n"));
  SECTION("~/.kube/config when nothing else is given") {
    const auto c = load_kubeconfig(LoadOptions{}, fake_env({{"HOME", home.path()}}));
    CHECK(c.source == home.path(".kube/config"));
    CHECK(c.server == "https://c.example.test");
  }
  SECTION("a leading ~ in config_file") {
    const auto c =
        load_kubeconfig(file_options("~/.kube/config"), fake_env({{"HOME", home.path()}}));
    CHECK(c.source == home.path(".kube/config"));
  }
  SECTION("an empty KUBECONFIG falls back to the default") {
    const auto c =
        load_kubeconfig(LoadOptions{}, fake_env({{"HOME", home.path()}, {"KUBECONFIG", ""}}));
    CHECK(c.context_name == "ctx");
  }
}

TEST_CASE("kubeconfig: inline data, with line breaks, is decoded", "[config]") {
  TempDir dir;
  // base64 of "ca-bytes" and "key-bytes", wrapped over two lines as some tools write them.
  const auto file = dir.write("config", one_context(kServer + "    certificate-authority-data: "
                                                              "Y2EtYnl0\n      ZXM=\n",
                                                    "    client-certificate-data: Y2VydA==\n"
                                                    "    client-key-data: a2V5LWJ5dGVz\n"));
  const auto c = load_file(file);
  CHECK(c.ca_pem == "ca-bytes");
  CHECK(c.client_cert_pem == "cert");
  CHECK(c.client_key_pem.reveal() == "key-bytes");
}
