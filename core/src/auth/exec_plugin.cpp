// SPDX-License-Identifier: Apache-2.0
// Runs kubeconfig exec credential plugins the way kubectl does (client-go's exec authenticator):
// same environment contract, same output format, plus a deadline and prompt cancellation.
#include "auth/exec_plugin.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <set>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kubeflow/error.hpp"
#include "kubeflow/lifecycle.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX declares it nowhere

namespace kubeflow::auth {

namespace {

constexpr size_t kMaxOutput = 4U << 20U;  // an ExecCredential is a few KiB; a runaway is cut off
constexpr int kPollSliceMs = 100;

std::string where(const config::ExecConfig& exec) {
  return fmt::format("{} in kubeconfig {}", exec.field, exec.kubeconfig);
}

[[noreturn]] void fail(const config::ExecConfig& exec, const std::string& what,
                       const std::string& hint, ErrorCode code = ErrorCode::kAuth) {
  std::string message =
      fmt::format("exec credential plugin {} ({}) {}", exec.command, where(exec), what);
  if (!hint.empty()) message += ". " + hint;
  throw Error(code, message, {.field = exec.field, .file = exec.kubeconfig, .hint = hint});
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool allows_terminal(const config::ExecConfig& exec) {
  return exec.interactive_mode != "Never" && isatty(STDIN_FILENO) == 1;
}

std::string exec_info(const config::ExecConfig& exec, const config::ConnectionConfig& cluster,
                      bool interactive) {
  nlohmann::json info = {{"apiVersion", exec.api_version},
                         {"kind", "ExecCredential"},
                         {"spec", {{"interactive", interactive}}}};
  if (exec.provide_cluster_info) {
    nlohmann::json c = {{"server", cluster.server}};
    if (!cluster.tls_server_name.empty()) c["tls-server-name"] = cluster.tls_server_name;
    if (cluster.insecure_skip_tls_verify) c["insecure-skip-tls-verify"] = true;
    if (!cluster.ca_pem.empty()) c["certificate-authority-data"] = base64(cluster.ca_pem);
    if (!cluster.proxy_url.empty()) c["proxy-url"] = cluster.proxy_url;
    if (!exec.cluster_config_json.empty()) {
      c["config"] = nlohmann::json::parse(exec.cluster_config_json, nullptr, false);
    }
    info["spec"]["cluster"] = std::move(c);
  }
  // The kubeconfig's strings are not checked for UTF-8: bytes that are not become U+FFFD, as
  // for kubectl (dump() would throw).
  return info.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Our environment, then the plugin's variables (they win), then KUBERNETES_EXEC_INFO.
std::vector<std::string> plugin_environment(const config::ExecConfig& exec,
                                            const std::string& info) {
  std::set<std::string> replaced{"KUBERNETES_EXEC_INFO"};
  for (const auto& var : exec.env) replaced.insert(var.name);
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (!replaced.contains(std::string(text.substr(0, text.find('='))))) env.emplace_back(text);
  }
  for (const auto& var : exec.env) env.push_back(var.name + "=" + var.value);
  env.push_back("KUBERNETES_EXEC_INFO=" + info);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (auto& s : strings) result.push_back(s.data());
  result.push_back(nullptr);
  return result;
}

// Owns the spawned plugin: whatever happens to the caller, the plugin is killed and reaped.
class Child {
 public:
  Child(pid_t pid, bool own_group) : pid_(pid), own_group_(own_group) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ <= 0) return;
    kill(own_group_ ? -pid_ : pid_, SIGKILL);
    int ignored = 0;
    waitpid(pid_, &ignored, 0);
  }
  // The exit status once the plugin ended, or nullopt while it still runs.
  std::optional<int> poll_exit() {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done != pid_) return std::nullopt;
    pid_ = 0;
    return status;
  }

 private:
  pid_t pid_;
  bool own_group_;
};

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

struct WipeOnExit {
  std::string& text;
  explicit WipeOnExit(std::string& wiped) : text(wiped) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit() { const SecretString wipe{std::move(text)}; }
};

bool stop_requested() { return ThreadCancelScope::cancelled() || shutting_down(); }

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,  // NOLINT
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  size_t at = static_cast<size_t>(consumed);
  if (at < text.size() && text[at] == '.') {
    ++at;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])) != 0) ++at;
  }
  long offset_seconds = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int hours = 0;
    int minutes = 0;
    if (std::sscanf(text.c_str() + at + 1, "%2d:%2d", &hours, &minutes) != 2) {  // NOLINT
      return std::nullopt;
    }
    offset_seconds = (text[at] == '-' ? -1L : 1L) * (hours * 3600L + minutes * 60L);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const time_t utc = timegm(&tm);
  if (utc == static_cast<time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(utc - offset_seconds);
}

ExecCredential parse_exec_credential(const std::string& text, const config::ExecConfig& exec) {
  const std::string hint =
      "Run the plugin's command by hand to see what it prints; it must print an ExecCredential "
      "JSON object";
  const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) fail(exec, "did not print a JSON object", hint);
  const auto text_at = [](const nlohmann::json& object, const char* key) -> std::string {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (text_at(doc, "kind") != "ExecCredential") fail(exec, "printed no ExecCredential", hint);
  if (const std::string version = text_at(doc, "apiVersion"); version != exec.api_version) {
    fail(exec,
         fmt::format("printed apiVersion \"{}\" but the kubeconfig asks for \"{}\"", version,
                     exec.api_version),
         "Set exec.apiVersion to the version the plugin speaks");
  }
  const auto status = doc.find("status");
  if (status == doc.end() || !status->is_object()) fail(exec, "printed no status", hint);
  ExecCredential credential;
  credential.token = SecretString{text_at(*status, "token")};
  credential.client_cert_pem = text_at(*status, "clientCertificateData");
  credential.client_key_pem = SecretString{text_at(*status, "clientKeyData")};
  if (credential.client_cert_pem.empty() != credential.client_key_pem.empty()) {
    fail(exec, "returned a client certificate without its key, or a key without its certificate",
         hint);
  }
  if (credential.token.empty() && credential.client_cert_pem.empty()) {
    fail(exec, "returned neither a token nor a client certificate", hint);
  }
  if (const std::string expiry = text_at(*status, "expirationTimestamp"); !expiry.empty()) {
    credential.expiry = parse_rfc3339(expiry);
    if (!credential.expiry) {
      fail(exec, "returned an expirationTimestamp that is not RFC 3339", hint);
    }
  }
  return credential;
}

ExecCredential run_exec_plugin(const config::ExecConfig& exec,
                               const config::ConnectionConfig& cluster,
                               std::chrono::milliseconds timeout) {
  const bool interactive = allows_terminal(exec);
  if (exec.interactive_mode == "Always" && !interactive) {
    fail(exec, "needs an interactive terminal (interactiveMode: Always), and stdin is none",
         "Log in once in a terminal so the plugin caches its credential, or use a plugin mode "
         "that does not prompt");
  }
  std::vector<std::string> env = plugin_environment(exec, exec_info(exec, cluster, interactive));
  std::vector<std::string> argv{exec.command};
  argv.insert(argv.end(), exec.args.begin(), exec.args.end());
  std::vector<char*> envp = pointers(env);
  std::vector<char*> args = pointers(argv);

  std::array<int, 2> pipe_fds{};
  if (pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    fail(exec, fmt::format("could not be started: pipe: {}", std::strerror(errno)), "");
  }
  Fd out(pipe_fds[0]);
  Fd out_write(pipe_fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
  if (!interactive) {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);  // Python ignores SIGPIPE; the plugin should not inherit that
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none);
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  // Its own process group, so a timeout kills what it started too; not when it may prompt,
  // since a background group cannot read the terminal.
  if (!interactive) flags |= POSIX_SPAWN_SETPGROUP;
  posix_spawnattr_setflags(&attr, flags);
  pid_t pid = 0;
  const int spawned =
      posix_spawnp(&pid, exec.command.c_str(), &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  out_write.reset();
  if (spawned != 0) {
    const bool missing = spawned == ENOENT;
    fail(exec,
         missing ? "was not found on PATH"
                 : fmt::format("could not be run: {}", std::strerror(spawned)),
         !exec.install_hint.empty() ? exec.install_hint
         : missing                  ? "Install the plugin, or fix exec.command in the kubeconfig"
                                    : "Check that the plugin is executable");
  }
  Child child(pid, !interactive);

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto time_left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
  };
  const auto give_up = [&](const char* why) {
    fail(exec, why, "Check the plugin by running its command in a terminal", ErrorCode::kTimeout);
  };
  std::string output;
  const WipeOnExit wipe_output{output};  // it holds the credential, on every path
  std::array<char, 8192> buffer{};
  for (bool eof = false; !eof;) {
    if (stop_requested()) fail(exec, "was stopped: the call was cancelled", "");
    if (time_left().count() <= 0) {
      give_up(fmt::format("did not finish within {} s", timeout.count() / 1000).c_str());
    }
    pollfd pfd{out.get(), POLLIN, 0};
    const int ready = poll(&pfd, 1, kPollSliceMs);
    if (ready < 0 && errno != EINTR) {
      fail(exec, fmt::format("could not be read: {}", std::strerror(errno)), "");
    }
    if (ready <= 0) continue;
    const ssize_t n = read(out.get(), buffer.data(), buffer.size());
    if (n < 0 && errno != EINTR && errno != EAGAIN) {
      fail(exec, fmt::format("could not be read: {}", std::strerror(errno)), "");
    }
    if (n == 0) eof = true;
    if (n > 0) output.append(buffer.data(), static_cast<size_t>(n));
    if (output.size() > kMaxOutput) fail(exec, "printed more than 4 MiB", "");
  }
  std::optional<int> status;
  while (!(status = child.poll_exit())) {
    if (stop_requested()) fail(exec, "was stopped: the call was cancelled", "");
    if (time_left().count() <= 0) give_up("closed its output but did not exit in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    fail(exec,
         WIFEXITED(*status) ? fmt::format("exited with code {}", WEXITSTATUS(*status))
                            : fmt::format("was killed by signal {}", WTERMSIG(*status)),
         "Its own messages are on stderr; run the command in a terminal to see them");
  }
  return parse_exec_credential(output, exec);
}

}  // namespace kubeflow::auth
