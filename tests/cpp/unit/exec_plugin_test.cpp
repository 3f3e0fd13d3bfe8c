// SPDX-License-Identifier: Apache-2.0
// Exec credential plugins: reading them from a kubeconfig, running them (real processes: small
// shell scripts written per test), parsing what they print. The end-to-end path against a real
// API server (expiry, refresh on 401, two users) is in tests/python/integration.
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "auth/exec_plugin.hpp"
#include "kubeconfig_support.hpp"

using kubeflow::Error;
using kubeflow::ErrorCode;
using kubeflow::auth::parse_exec_credential;
using kubeflow::auth::parse_rfc3339;
using kubeflow::auth::run_exec_plugin;
using kubeflow::config::ConnectionConfig;
using kubeflow::config::ExecConfig;
using namespace kubeflow::testing;

namespace {

constexpr const char* kV1 = "client.authentication.k8s.io/v1";
const std::string kToken = "exec-token-c2VjcmV0";  // must never appear in a message

std::string credential_json(const std::string& status) {
  return std::string(R"({"apiVersion":")") + kV1 + R"(","kind":"ExecCredential","status":)" +
         status + "}";
}

ExecConfig exec_config(const std::string& command) {
  ExecConfig exec;
  exec.api_version = kV1;
  exec.command = command;
  exec.field = "users[u].user.exec";
  exec.kubeconfig = "/kube/config";
  exec.interactive_mode = "Never";
  return exec;
}

std::string script(const TempDir& dir, const std::string& name, const std::string& body) {
  const std::string path = dir.write(name, "#!/bin/sh\n" + body);
  REQUIRE(chmod(path.c_str(), 0700) == 0);
  return path;
}

Error plugin_error(const ExecConfig& exec,
                   std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  try {
    (void)run_exec_plugin(exec, ConnectionConfig{}, timeout);
  } catch (const Error& e) {
    return e;
  }
  FAIL("the plugin did not fail");
  throw std::logic_error("unreachable");
}

Error parse_error(const std::string& text) {
  try {
    (void)parse_exec_credential(text, exec_config("p"));
  } catch (const Error& e) {
    return e;
  }
  FAIL("parse_exec_credential did not throw");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("exec: a kubeconfig user's exec section is read with every field", "[exec]") {
  TempDir dir;
  const auto file = dir.write(
      "sub/config",
      one_context(kServer + "    extensions:\n    - name: client.authentication.k8s.io/exec\n"
                            "      extension: {audience: team-a, retries: 3}\n",
                  "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
                  "      command: bin/get-token\n      args: [--region, eu-1]\n"
                  "      env:\n      - {name: AWS_PROFILE, value: dev}\n"
                  "      installHint: install get-token\n      provideClusterInfo: true\n"
                  "      interactiveMode: Never\n"));
  const ConnectionConfig c = load_file(file);
  REQUIRE(c.exec);
  CHECK(c.exec->api_version == "client.authentication.k8s.io/v1beta1");
  CHECK(c.exec->command == dir.path("sub/bin/get-token"));  // relative to the kubeconfig
  CHECK(c.exec->args == std::vector<std::string>{"--region", "eu-1"});
  REQUIRE(c.exec->env.size() == 1);
  CHECK((c.exec->env[0].name == "AWS_PROFILE" && c.exec->env[0].value == "dev"));
  CHECK(c.exec->install_hint == "install get-token");
  CHECK(c.exec->provide_cluster_info);
  CHECK(c.exec->interactive_mode == "Never");
  CHECK(c.exec->field == "users[u].user.exec");
  CHECK(nlohmann::json::parse(c.exec->cluster_config_json) ==
        nlohmann::json{{"audience", "team-a"}, {"retries", 3}});

  // A bare command name is looked up on PATH when the plugin runs, not resolved here.
  const auto bare =
      dir.write("config2", one_context(kServer, "    exec:\n      apiVersion: " + std::string(kV1) +
                                                    "\n      command: aws\n"));
  const ConnectionConfig b = load_file(bare);
  REQUIRE(b.exec);
  CHECK(b.exec->command == "aws");
  CHECK(b.exec->interactive_mode == "IfAvailable");
  CHECK(b.exec->cluster_config_json.empty());
}

TEST_CASE("exec: the plugin's output is parsed as client-go parses it", "[exec]") {
  SECTION("a token with an expiry") {
    const auto c =
        parse_exec_credential(credential_json(R"({"token":")" + kToken +
                                              R"(","expirationTimestamp":"2026-11-30T10:00:00Z"})"),
                              exec_config("p"));
    CHECK(c.token.reveal() == kToken);
    REQUIRE(c.expiry);
    CHECK(*c.expiry == parse_rfc3339("2026-11-30T10:00:00Z"));
  }
  SECTION("a client certificate without expiry") {
    const auto c = parse_exec_credential(
        credential_json(R"({"clientCertificateData":"CERT","clientKeyData":"KEY"})"),
        exec_config("p"));
    CHECK(c.client_cert_pem == "CERT");
    CHECK(c.client_key_pem.reveal() == "KEY");
    CHECK_FALSE(c.expiry);
  }
  SECTION("malformed output is refused without being quoted") {
    const auto [text, expected] = GENERATE_COPY(table<std::string, std::string>({
        {"not json " + kToken, "did not print a JSON object"},
        {R"({"kind":"Other","token":")" + kToken + R"("})", "printed no ExecCredential"},
        {R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",)"
         R"("status":{"token":")" +
             kToken + R"("}})",
         "printed apiVersion \"client.authentication.k8s.io/v1beta1\""},
        {credential_json("{}"), "returned neither a token nor a client certificate"},
        {credential_json(R"({"clientKeyData":")" + kToken + R"("})"),
         "a key without its certificate"},
        {credential_json(R"({"token":")" + kToken + R"(","expirationTimestamp":"tomorrow"})"),
         "not RFC 3339"},
    }));
    const Error e = parse_error(text);
    INFO(e.what());
    CHECK(e.code() == ErrorCode::kAuth);
    CHECK_THAT(e.what(), Catch::Contains(expected));
    CHECK_THAT(e.what(), Catch::Contains("users[u].user.exec in kubeconfig /kube/config"));
    CHECK_THAT(e.what(), !Catch::Contains("c2VjcmV0"));
  }
}

TEST_CASE("exec: RFC 3339 timestamps with fractions and offsets", "[exec]") {
  const auto utc = parse_rfc3339("2026-11-30T10:00:00Z");
  REQUIRE(utc);
  CHECK(parse_rfc3339("2026-11-30T10:00:00.123456Z") == utc);
  CHECK(parse_rfc3339("2026-11-30T11:30:00+01:30") == utc);
  CHECK(parse_rfc3339("2026-11-30T05:00:00-05:00") == utc);
  CHECK_FALSE(parse_rfc3339("2026-11-30 10:00:00"));
  CHECK_FALSE(parse_rfc3339("2026-11-30T10:00:00"));
  CHECK_FALSE(parse_rfc3339("2026-11-30T10:00:00Zjunk"));
}

TEST_CASE("exec: the plugin runs with kubectl's environment contract", "[exec]") {
  TempDir dir;
  const std::string seen = dir.path("seen.json");
  // Prints a credential and records what it got: KUBERNETES_EXEC_INFO, its env, its args, stdin.
  const std::string plugin =
      script(dir, "plugin",
             "printf '%s' \"$KUBERNETES_EXEC_INFO\" > '" + seen +
                 "'\n"
                 "printf '%s|%s|%s' \"$PLUGIN_VAR\" \"$1\" \"$(cat)\" > '" +
                 dir.path("env.txt") +
                 "'\n"
                 "printf '%s' '" +
                 credential_json(R"({"token":")" + kToken + R"("})") + "'\n");
  ExecConfig exec = exec_config(plugin);
  exec.args = {"--first"};
  exec.env = {{"PLUGIN_VAR", "from-kubeconfig"}};
  exec.provide_cluster_info = true;
  exec.cluster_config_json = R"({"audience":"team-a"})";
  ConnectionConfig cluster;
  cluster.server = "https://10.0.0.1:6443";
  cluster.ca_pem = "PEM";
  cluster.tls_server_name = "api.internal";

  const auto credential = run_exec_plugin(exec, cluster, std::chrono::seconds(30));
  CHECK(credential.token.reveal() == kToken);
  std::ifstream info_file(seen);
  const auto info = nlohmann::json::parse(info_file);
  CHECK(info["apiVersion"] == kV1);
  CHECK(info["kind"] == "ExecCredential");
  CHECK(info["spec"]["interactive"] == false);
  CHECK(info["spec"]["cluster"]["server"] == "https://10.0.0.1:6443");
  CHECK(info["spec"]["cluster"]["certificate-authority-data"] == "UEVN");  // base64("PEM")
  CHECK(info["spec"]["cluster"]["tls-server-name"] == "api.internal");
  CHECK(info["spec"]["cluster"]["config"]["audience"] == "team-a");
  std::ifstream env_file(dir.path("env.txt"));
  std::string env((std::istreambuf_iterator<char>(env_file)), std::istreambuf_iterator<char>());
  CHECK(env == "from-kubeconfig|--first|");  // stdin is empty when interactiveMode is Never

  SECTION("without provideClusterInfo the plugin learns nothing about the cluster") {
    exec.provide_cluster_info = false;
    (void)run_exec_plugin(exec, cluster, std::chrono::seconds(30));
    std::ifstream again(seen);
    const auto bare = nlohmann::json::parse(again);
    CHECK_FALSE(bare["spec"].contains("cluster"));
  }
}

TEST_CASE("exec: a plugin that cannot give a credential fails with a typed error", "[exec]") {
  TempDir dir;
  SECTION("not installed: the installHint is the hint") {
    ExecConfig exec = exec_config("kubeflow-test-no-such-plugin");
    exec.install_hint = "brew install no-such-plugin";
    const Error e = plugin_error(exec);
    CHECK(e.code() == ErrorCode::kAuth);
    CHECK_THAT(e.what(), Catch::Contains("kubeflow-test-no-such-plugin"));
    CHECK_THAT(e.what(), Catch::Contains("was not found on PATH"));
    CHECK(e.details().hint == "brew install no-such-plugin");
    CHECK(e.details().field == "users[u].user.exec");
  }
  SECTION("a non-zero exit: its output is not repeated") {
    const Error e =
        plugin_error(exec_config(script(dir, "fails", "echo " + kToken + "\nexit 3\n")));
    CHECK(e.code() == ErrorCode::kAuth);
    CHECK_THAT(e.what(), Catch::Contains("exited with code 3"));
    CHECK_THAT(e.what(), !Catch::Contains("c2VjcmV0"));
  }
  SECTION("interactiveMode Always without a terminal") {
    ExecConfig exec = exec_config(script(dir, "prompts", "exit 0\n"));
    exec.interactive_mode = "Always";
    const Error e = plugin_error(exec);
    CHECK(e.code() == ErrorCode::kAuth);
    CHECK_THAT(e.what(), Catch::Contains("interactive terminal"));
  }
  SECTION("a plugin that hangs is killed at the deadline, with what it started") {
    const std::string pid_file = dir.path("child.pid");
    const Error e = plugin_error(
        exec_config(script(dir, "hangs", "sleep 300 &\necho $! > '" + pid_file + "'\nwait\n")),
        std::chrono::seconds(2));
    CHECK(e.code() == ErrorCode::kTimeout);
    CHECK_THAT(e.what(), Catch::Contains("did not finish"));
    std::ifstream pid_in(pid_file);
    pid_t child = 0;
    pid_in >> child;
    REQUIRE(child > 0);
    // Killed with its process group; SIGKILL lands asynchronously, so wait for it to land (a
    // zombie waiting for init to reap it counts as gone).
    const auto running = [&] {
      std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
      std::string line;
      std::getline(stat, line);
      return !line.empty() && line.find(") Z ") == std::string::npos;
    };
    for (int i = 0; i < 200 && running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK_FALSE(running());
  }
}

// Found by tests/fuzz/fuzz_kubeconfig: a byte that is not UTF-8 in the exec extension made
// nlohmann's dump() throw its type_error out of the loader (and, in the server URL, out of the
// plugin run). Such bytes become U+FFFD, as Go's encoding/json writes them for kubectl.
TEST_CASE("exec: bytes that are not UTF-8 reach the plugin as U+FFFD, not an exception", "[exec]") {
  const std::string replacement = "\xEF\xBF\xBD";
  TempDir dir;
  const auto file = dir.write(
      "config",
      one_context(kServer + "    extensions:\n    - name: client.authentication.k8s.io/exec\n"
                            "      extension: {audience: \"a\x92\"}\n",
                  "    exec:\n      apiVersion: " + std::string(kV1) +
                      "\n      command: get-token\n      provideClusterInfo: true\n"));
  const ConnectionConfig c = load_file(file);
  REQUIRE(c.exec);
  CHECK(nlohmann::json::parse(c.exec->cluster_config_json)["audience"] == "a" + replacement);

  const std::string seen = dir.path("seen.json");
  ExecConfig exec =
      exec_config(script(dir, "plugin",
                         "printf '%s' \"$KUBERNETES_EXEC_INFO\" > '" + seen + "'\nprintf '%s' '" +
                             credential_json(R"({"token":")" + kToken + R"("})") + "'\n"));
  exec.provide_cluster_info = true;
  ConnectionConfig cluster;
  cluster.server = "https://h\x92.example.test";
  (void)run_exec_plugin(exec, cluster, std::chrono::seconds(30));
  std::ifstream info_file(seen);
  CHECK(nlohmann::json::parse(info_file)["spec"]["cluster"]["server"] ==
        "https://h" + replacement + ".example.test");
}
