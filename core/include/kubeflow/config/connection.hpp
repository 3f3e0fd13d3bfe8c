// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kubeflow/secret.hpp"

namespace kubeflow::config {

/// One environment variable an exec credential plugin gets on top of ours.
struct ExecEnvVar {
  std::string name;
  std::string value;
};

/// A kubeconfig user's `exec` credential plugin (client.authentication.k8s.io v1 or v1beta1), the
/// way EKS, GKE, AKS and OIDC logins work. Run by auth/exec_plugin; never run at load time.
struct ExecConfig {
  std::string api_version;  ///< "client.authentication.k8s.io/v1" or ".../v1beta1"
  std::string command;      ///< looked up on PATH; a relative path with a '/' is resolved
                            ///< against the kubeconfig's directory, as client-go does
  std::vector<std::string> args;
  std::vector<ExecEnvVar> env;
  std::string install_hint;  ///< shown when the command is not found
  bool provide_cluster_info = false;
  std::string interactive_mode = "IfAvailable";  ///< "Never", "IfAvailable" or "Always"
  std::string cluster_config_json;  ///< the cluster's client.authentication.k8s.io/exec
                                    ///< extension as JSON, given to the plugin; "" when none
  std::string field;                ///< "users[name].user.exec", for messages
  std::string kubeconfig;           ///< the file that defined it, for messages
};

/// Everything needed to reach and authenticate to one API server. Certificates and keys are held
/// in memory as PEM (never written to disk); file references are resolved at load time, except
/// `token_file`, which is re-read on every request so that rotated tokens are picked up.
struct ConnectionConfig {
  std::string server;  ///< base URL, e.g. "https://127.0.0.1:6443" (no trailing '/')
  std::string ca_pem;  ///< PEM bundle to verify the server; empty: system store
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;     ///< SNI / verification name override; empty: from `server`
  SecretString token;              ///< bearer token; empty when none or when token_file is set
  std::string token_file;          ///< path of a bearer-token file (re-read per request); it
                                   ///< overrides an inline token, as in client-go
  std::string client_cert_pem;     ///< client certificate chain (PEM); empty when none
  SecretString client_key_pem;     ///< client private key (PEM); empty when none
  std::optional<ExecConfig> exec;  ///< a credential plugin, run before the first request and
                                   ///< again before its credential expires or after a 401
  std::string proxy_url;           ///< the cluster's proxy-url; empty: HTTPS_PROXY/NO_PROXY
  std::string username;            ///< basic auth user; empty when none
  SecretString password;           ///< basic auth password
  std::string namespace_name;      ///< namespace from the context; empty when the context has none
  std::string context_name;        ///< the context used; "" for in-cluster
  std::string source;              ///< where this came from: a kubeconfig path list or "in-cluster"
};

/// Reads environment variables; replaced in tests.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// The process environment.
[[nodiscard]] EnvLookup process_env();

/// Where to look for a configuration. Mirrors KubernetesBackendConfig's config_file and context.
struct LoadOptions {
  std::optional<std::string> config_file;  ///< explicit kubeconfig; disables KUBECONFIG/in-cluster
  std::optional<std::string> context;      ///< context name; default: current-context
  std::string in_cluster_root = "/var/run/secrets/kubernetes.io/serviceaccount";
};

/// Loads a kubeconfig from `options.config_file`, else the `KUBECONFIG` list (merged the way
/// kubectl merges: first file to set a map key or current-context wins), else `~/.kube/config`.
/// Relative paths inside a file resolve against that file's directory.
/// Referenced files (certificate-authority, client-certificate, client-key) are read now;
/// tokenFile is only checked for readability. `~` at the start of a kubeconfig path means HOME.
/// Throws Error{kConfig} naming the file and the field (missing file, malformed YAML, unknown
/// context, cluster or user, unreadable CA, bad base64) and Error{kAuth} for unreadable
/// credential files and for auth-provider users (removed from kubectl; exec plugins replace
/// them). An exec plugin is read and checked here but only run by the HTTP client. Messages never
/// contain a credential. Blocks on file I/O; thread-safe if `env` is.
[[nodiscard]] ConnectionConfig load_kubeconfig(const LoadOptions& options, const EnvLookup& env);

/// Loads the in-cluster configuration: KUBERNETES_SERVICE_HOST/PORT, the service-account token
/// file (kept as a path, so rotation is seen), CA and namespace under `options.in_cluster_root`.
/// An IPv6 host is bracketed. Throws Error{kConfig} naming the variable or file that is missing.
[[nodiscard]] ConnectionConfig load_in_cluster(const LoadOptions& options, const EnvLookup& env);

/// True when running inside a pod: the service-account directory exists and
/// KUBERNETES_SERVICE_HOST is set.
[[nodiscard]] bool in_cluster_available(const LoadOptions& options, const EnvLookup& env);

/// Upstream's selection rule: an explicit config_file, or no in-cluster environment, means
/// kubeconfig; otherwise in-cluster.
[[nodiscard]] ConnectionConfig load_connection(const LoadOptions& options, const EnvLookup& env);

}  // namespace kubeflow::config
