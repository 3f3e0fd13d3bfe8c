// SPDX-License-Identifier: Apache-2.0
// Errors: missing and malformed files, bad contexts and fields, unsupported auth, secrets kept
// out of messages.
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

TEST_CASE("kubeconfig: missing files are errors naming the path", "[config]") {
  TempDir dir;
  SECTION("explicit config_file") {
    const std::string path = dir.path("nope.yaml");
    const Error e = file_error(path);
    CHECK(e.code() == ErrorCode::kConfig);
    CHECK(std::string(e.what()) == "kubeconfig not found: " + path +
                                       " (from config_file). Check the config_file passed to "
                                       "KubernetesBackendConfig");
    CHECK(e.details().file == path);
    CHECK(e.details().field == "config_file");
    CHECK(e.details().hint == "Check the config_file passed to KubernetesBackendConfig");
  }
  SECTION("every KUBECONFIG entry missing") {
    const std::string a = dir.path("a");
    const std::string b = dir.path("b");
    const Error e = load_error(LoadOptions{}, fake_env({{"KUBECONFIG", a + ":" + b}}));
    CHECK(e.code() == ErrorCode::kConfig);
    CHECK(std::string(e.what()) == "kubeconfig not found: " + a + ", " + b +
                                       " (from KUBECONFIG). Set KUBECONFIG or pass config_file "
                                       "to KubernetesBackendConfig");
    CHECK(e.details().file == a + ":" + b);
    CHECK(e.details().field == "KUBECONFIG");
  }
  SECTION("single KUBECONFIG entry missing") {
    const Error e = load_error(LoadOptions{}, fake_env({{"KUBECONFIG", dir.path("x")}}));
    CHECK(e.details().file == dir.path("x"));
  }
  SECTION("default location") {
    const Error e = load_error(LoadOptions{}, fake_env({{"HOME", dir.path()}}));
    CHECK(std::string(e.what()) == "kubeconfig not found: " + dir.path(".kube/config") +
                                       " (default location). Set KUBECONFIG or pass "
                                       "config_file to KubernetesBackendConfig");
    CHECK(e.details().file == dir.path(".kube/config"));
  }
  SECTION("no HOME") {
    const Error e = load_error(LoadOptions{});
    CHECK(e.code() == ErrorCode::kConfig);
    CHECK_THAT(e.what(), Catch::Contains("HOME is not set"));
  }
  SECTION("a directory instead of a file") {
    const Error e = file_error(dir.path());
    CHECK(e.code() == ErrorCode::kConfig);
    CHECK(std::string(e.what()) == "cannot read kubeconfig " + dir.path() +
                                       ": is a directory, not a file. Check the file's "
                                       "permissions");
  }
}

TEST_CASE("kubeconfig: malformed YAML reports file, line and column", "[config]") {
  TempDir dir;
  const auto file = dir.write("bad.yaml", "clusters:\n- name: c\n  cluster: {server: x\n");
  const Error e = file_error(file);
  CHECK(e.code() == ErrorCode::kConfig);
  CHECK_THAT(e.what(), Catch::StartsWith("kubeconfig " + file + " is not valid YAML: line "));
  CHECK_THAT(e.what(), Catch::Contains("column"));
  CHECK_THAT(e.what(), Catch::EndsWith("Fix the YAML syntax at that position"));
  CHECK(e.details().file == file);

  SECTION("the position is yaml-cpp's, one-based") {
    const auto tab = dir.write("tab.yaml", "a: 1\nb: [\n");
    CHECK_THAT(file_error(tab).what(), Catch::Contains("line 3, column 1"));
  }
}

TEST_CASE("kubeconfig: context selection errors list what exists", "[config]") {
  const std::string single = kFixtures + "/single.yaml";
  SECTION("unknown explicit context") {
    const Error e = file_error(single, "prod");
    CHECK(e.code() == ErrorCode::kConfig);
    CHECK(std::string(e.what()) ==
          "context \"prod\" not found in kubeconfig " + single +
              "; available contexts: anonymous, dev, lab. Pass one of the available contexts, or "
              "omit context to use current-context");
    CHECK(e.details().field == "contexts");
    CHECK(e.details().file == single);
  }
  SECTION("unknown context across a KUBECONFIG list names every file") {
    const std::string first = kFixtures + "/merge/first.yaml";
    const std::string second = kFixtures + "/merge/second.yaml";
    LoadOptions options;
    options.context = "prod";
    const Error e = load_error(options, fake_env({{"KUBECONFIG", first + ":" + second}}));
    CHECK_THAT(e.what(), Catch::Contains("in kubeconfig " + first + ":" + second));
    CHECK_THAT(e.what(), Catch::Contains("available contexts: ctx-first, ctx-second."));
    CHECK(e.details().file == first + ":" + second);
  }
  TempDir dir;
  SECTION("current-context naming nothing") {
    const auto file =
        dir.write("c", "current-context: gone\ncontexts:\n- name: a\n  context: {}\n");
    const Error e = file_error(file);
    CHECK(std::string(e.what()) ==
          "current-context \"gone\" set in kubeconfig " + file +
              " is not defined in contexts; available contexts: a. Run `kubectl config "
              "use-context <name>` or pass context to KubernetesBackendConfig");
    CHECK(e.details().field == "current-context");
  }
  SECTION("no current-context and no context option") {
    const auto file = dir.write("c", "contexts: []\n");
    const Error e = file_error(file);
    CHECK_THAT(e.what(), Catch::StartsWith("no context selected: kubeconfig " + file +
                                           " sets no current-context; available contexts: "
                                           "(none)."));
    CHECK(e.details().field == "current-context");
  }
  SECTION("an empty file is an empty kubeconfig") {
    const auto file = dir.write("c", "");
    CHECK(file_error(file).details().field == "current-context");
  }
}

TEST_CASE("kubeconfig: a context must reference defined entries", "[config]") {
  TempDir dir;
  SECTION("missing cluster") {
    const auto file = dir.write("c",
                                "current-context: dev\ncontexts:\n- name: dev\n  context:\n"
                                "    cluster: nowhere\nclusters:\n- name: c1\n  cluster: {}\n");
    const Error e = file_error(file);
    CHECK(e.code() == ErrorCode::kConfig);
    CHECK(std::string(e.what()) == "kubeconfig " + file +
                                       ": contexts[dev].context.cluster names cluster "
                                       "\"nowhere\", which is not defined in " +
                                       file +
                                       "; available clusters: c1. Add the cluster to the "
                                       "kubeconfig or fix the context");
    CHECK(e.details().field == "contexts[dev].context.cluster");
    CHECK(e.details().file == file);
  }
  SECTION("no cluster at all") {
    const auto file =
        dir.write("c", "current-context: dev\ncontexts:\n- name: dev\n  context: {}\n");
    CHECK(file_error(file).details().field == "contexts[dev].context.cluster");
  }
  SECTION("missing user") {
    const auto file = dir.write("c",
                                "current-context: dev\ncontexts:\n- name: dev\n  context:\n"
                                "    cluster: c\n    user: ghost\nclusters:\n- name: c\n"
                                "  cluster:\n" +
                                    kServer);
    const Error e = file_error(file);
    CHECK_THAT(e.what(), Catch::Contains("contexts[dev].context.user names user \"ghost\""));
    CHECK_THAT(e.what(), Catch::Contains("available users: (none)"));
    CHECK(e.details().field == "contexts[dev].context.user");
  }
  SECTION("missing server") {
    const Error e = file_error(
        dir.write("c", one_context("    insecure-skip-tls-verify: true\n", "    token: t\n")));
    CHECK_THAT(e.what(), Catch::Contains("clusters[c].cluster.server is missing"));
    CHECK(e.details().field == "clusters[c].cluster.server");
  }
}

TEST_CASE("kubeconfig: unreadable referenced files name the file and the field", "[config]") {
  TempDir dir;
  SECTION("client certificate") {
    const auto file = dir.write("sub/config", one_context(kServer,
                                                          "    client-certificate: missing.crt\n"
                                                          "    client-key: missing.key\n"));
    const Error e = file_error(file);
    const std::string cert = dir.path("sub/missing.crt");
    CHECK(e.code() == ErrorCode::kAuth);
    CHECK(std::string(e.what()) == "cannot read client certificate " + cert +
                                       " (users[u].user.client-certificate in kubeconfig " + file +
                                       "): No such file or directory. Fix the path; a relative "
                                       "path is resolved against the kubeconfig's directory");
    CHECK(e.details().field == "users[u].user.client-certificate");
    CHECK(e.details().file == cert);
  }
  SECTION("client key") {
    dir.write("c.crt", "cert");
    const auto file = dir.write("config", one_context(kServer,
                                                      "    client-certificate: c.crt\n"
                                                      "    client-key: /nonexistent/k.key\n"));
    const Error e = file_error(file);
    CHECK(e.code() == ErrorCode::kAuth);
    CHECK(e.details().field == "users[u].user.client-key");
    CHECK(e.details().file == "/nonexistent/k.key");
  }
  SECTION("certificate authority") {
    const auto file = dir.write(
        "config", one_context(kServer + "    certificate-authority: ca.pem\n", "    token: t\n"));
    const Error e = file_error(file);
    CHECK(e.code() == ErrorCode::kConfig);
    CHECK_THAT(e.what(),
               Catch::StartsWith("cannot read certificate authority " + dir.path("ca.pem") +
                                 " (clusters[c].cluster.certificate-authority"));
    CHECK(e.details().field == "clusters[c].cluster.certificate-authority");
  }
  SECTION("token file") {
    const auto file = dir.write("config", one_context(kServer, "    tokenFile: tok\n"));
    const Error e = file_error(file);
    CHECK(e.code() == ErrorCode::kAuth);
    CHECK(e.details().field == "users[u].user.tokenFile");
    CHECK(e.details().file == dir.path("tok"));
  }
}

TEST_CASE("kubeconfig: malformed fields name the field", "[config]") {
  TempDir dir;
  SECTION("bad base64 in certificate-authority-data") {
    const auto file = dir.write(
        "config",
        one_context(kServer + "    certificate-authority-data: '%%%'\n", "    token: t\n"));
    const Error e = file_error(file);
    CHECK(e.code() == ErrorCode::kConfig);
    CHECK_THAT(e.what(), Catch::StartsWith("kubeconfig " + file +
                                           ": clusters[c].cluster.certificate-authority-data is "
                                           "not valid base64."));
    CHECK(e.details().field == "clusters[c].cluster.certificate-authority-data");
  }
  SECTION("unpadded base64 in client-key-data") {
    const auto file = dir.write("config", one_context(kServer,
                                                      "    client-certificate-data: Y2VydA==\n"
                                                      "    client-key-data: a2V5L\n"));
    CHECK(file_error(file).details().field == "users[u].user.client-key-data");
  }
  SECTION("certificate without key") {
    const auto file =
        dir.write("config", one_context(kServer, "    client-certificate-data: Y2VydA==\n"));
    const Error e = file_error(file);
    CHECK_THAT(e.what(), Catch::Contains("has a client certificate but no client key"));
    CHECK(e.details().field == "users[u].user.client-key");
  }
  SECTION("insecure-skip-tls-verify that is not a boolean") {
    const auto file = dir.write(
        "config", one_context(kServer + "    insecure-skip-tls-verify: maybe\n", "    token: t\n"));
    const Error e = file_error(file);
    CHECK(std::string(e.what()) == "kubeconfig " + file +
                                       ": clusters[c].cluster.insecure-skip-tls-verify must be "
                                       "true or false. Fix that field in the kubeconfig");
  }
  SECTION("clusters that is not a list") {
    const Error e = file_error(dir.write("config", "clusters: {a: 1}\n"));
    CHECK(e.details().field == "clusters");
  }
  SECTION("an entry without a name") {
    const Error e = file_error(dir.write("config", "users:\n- user: {token: t}\n"));
    CHECK(e.details().field == "users[0].name");
  }
  SECTION("a top level that is not a mapping") {
    const Error e = file_error(dir.write("config", "- just\n- a list\n"));
    CHECK_THAT(e.what(), Catch::Contains("the top level must be a mapping"));
  }
}

TEST_CASE("kubeconfig: auth-provider users are refused; a malformed exec names its field",
          "[config]") {
  TempDir dir;
  SECTION("auth-provider") {
    const auto file =
        dir.write("config", one_context(kServer, "    auth-provider:\n      name: oidc\n"));
    const Error e = file_error(file);
    CHECK(e.code() == ErrorCode::kAuth);
    CHECK(e.details().field == "users[u].user.auth-provider");
    CHECK_THAT(e.details().hint, Catch::Contains("exec credential plugin"));
  }
  const auto [field, user] = GENERATE(table<std::string, std::string>({
      {"users[u].user.exec.apiVersion",
       "    exec:\n      apiVersion: client.authentication.k8s.io/v1alpha1\n      command: x\n"},
      {"users[u].user.exec.command",
       "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"},
      {"users[u].user.exec.args",
       "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: x\n"
       "      args: {a: b}\n"},
      {"users[u].user.exec.env[0].name",
       "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: x\n"
       "      env:\n      - value: v\n"},
      {"users[u].user.exec.interactiveMode",
       "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: x\n"
       "      interactiveMode: Sometimes\n"},
  }));
  const auto file = dir.write("config", one_context(kServer, user));
  const Error e = file_error(file);
  INFO(e.what());
  CHECK(e.code() == ErrorCode::kConfig);
  CHECK(e.details().field == field);
  CHECK(e.details().file == file);
  CHECK_THAT(e.what(), Catch::Contains(field));
}

TEST_CASE("kubeconfig: no secret appears in any error message", "[config]") {
  const std::string secret = "c2VjcmV0LXZhbHVlLTQy";  // looks like base64, on purpose
  const auto [name, cluster, user] = GENERATE_COPY(table<std::string, std::string, std::string>({
      {"bad key base64", kServer,
       "    client-certificate-data: Y2VydA==\n    client-key-data: '" + secret + "!'\n"},
      {"token of the wrong type", kServer, "    token: [" + secret + "]\n"},
      {"password of the wrong type", kServer,
       "    username: u\n    password: {p: " + secret + "}\n"},
      {"exec next to a token", kServer, "    token: " + secret + "\n    exec: {command: x}\n"},
      {"token next to a missing cert", kServer,
       "    token: " + secret + "\n    client-certificate: nope.crt\n    client-key: k\n"},
      {"bad flag next to a token", kServer + "    insecure-skip-tls-verify: '" + secret + "'\n",
       "    token: " + secret + "\n"},
      {"YAML error on the token line", kServer, "    token: " + secret + "\n   : [\n"},
  }));
  TempDir dir;
  const auto file = dir.write("config", one_context(cluster, user));
  const Error e = file_error(file);
  INFO(name << ": " << e.what());
  CHECK_THAT(e.what(), !Catch::Contains("c2VjcmV0"));
  CHECK_THAT(e.details().hint, !Catch::Contains("c2VjcmV0"));
  CHECK_THAT(e.details().field, !Catch::Contains("c2VjcmV0"));
}

// Found by tests/fuzz/fuzz_kubeconfig: an entry without its body (a misspelt "context:" key)
// made yaml-cpp throw its own InvalidNode out of the loader instead of our error.
TEST_CASE("kubeconfig: an entry without its body is empty, not a foreign exception", "[config]") {
  TempDir dir;
  SECTION("a context without context") {
    const auto file = dir.write("config",
                                "current-context: ctx\n"
                                "clusters:\n- name: c\n  cluster:\n" +
                                    kServer + "contexts:\n- name: ctx\n  contxt: {cluster: c}\n");
    const Error e = file_error(file);
    CHECK(e.code() == ErrorCode::kConfig);
    CHECK(e.details().field == "contexts[ctx].context.cluster");
  }
  SECTION("a cluster without cluster") {
    const auto file = dir.write("config",
                                "current-context: ctx\n"
                                "clusters:\n- name: c\n  clustr: {}\n"
                                "contexts:\n- name: ctx\n  context: {cluster: c}\n");
    const Error e = file_error(file);
    CHECK(e.code() == ErrorCode::kConfig);
    CHECK_THAT(e.details().field, Catch::StartsWith("clusters[c].cluster"));
  }
  SECTION("a user without user: anonymous") {
    const auto file = dir.write("config",
                                "current-context: ctx\n"
                                "clusters:\n- name: c\n  cluster:\n" +
                                    kServer +
                                    "users:\n- name: u\n  usr: {token: t}\n"
                                    "contexts:\n- name: ctx\n  context: {cluster: c, user: u}\n");
    const auto config = load_file(file);
    CHECK(config.server == "https://c.example.test");
    CHECK(config.token.empty());
  }
}
