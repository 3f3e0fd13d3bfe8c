// SPDX-License-Identifier: Apache-2.0
// Turns the merged kubeconfig into a ConnectionConfig: picks the context, then reads its cluster
// and user, loading every referenced file now so that nothing is read lazily from disk later
// (except tokenFile, which must be re-read for rotation).
#include <fmt/format.h>

#include "config/base64.hpp"
#include "config/config_error.hpp"
#include "config/exec_config.hpp"
#include "config/files.hpp"
#include "config/kubeconfig_merge.hpp"
#include "config/yaml_fields.hpp"
#include "kubeflow/config/connection.hpp"

namespace kubeflow::config {

namespace {

using detail::fail;
using detail::NamedEntry;
using detail::NodeRef;

std::string names_of(const std::map<std::string, NamedEntry>& entries) {
  if (entries.empty()) return "(none)";
  std::vector<std::string> names;
  names.reserve(entries.size());
  for (const auto& [name, entry] : entries) names.push_back(name);
  return fmt::format("{}", fmt::join(names, ", "));
}

const NamedEntry& select_context(const LoadOptions& options, const detail::MergedKubeconfig& merged,
                                 std::string& name) {
  const bool explicit_context = options.context && !options.context->empty();
  name = explicit_context ? *options.context : merged.current_context;
  if (name.empty()) {
    fail(ErrorCode::kConfig,
         fmt::format("no context selected: kubeconfig {} sets no current-context; available "
                     "contexts: {}",
                     merged.source(), names_of(merged.contexts)),
         {.field = "current-context",
          .file = merged.source(),
          .hint = "Pass context to KubernetesBackendConfig or run "
                  "`kubectl config use-context <name>`"});
  }
  const auto found = merged.contexts.find(name);
  if (found != merged.contexts.end()) return found->second;
  if (explicit_context) {
    fail(ErrorCode::kConfig,
         fmt::format("context \"{}\" not found in kubeconfig {}; available contexts: {}", name,
                     merged.source(), names_of(merged.contexts)),
         {.field = "contexts",
          .file = merged.source(),
          .hint = "Pass one of the available contexts, or omit context to use current-context"});
  }
  fail(ErrorCode::kConfig,
       fmt::format("current-context \"{}\" set in kubeconfig {} is not defined in contexts; "
                   "available contexts: {}",
                   name, merged.current_context_file, names_of(merged.contexts)),
       {.field = "current-context",
        .file = merged.current_context_file,
        .hint = "Run `kubectl config use-context <name>` or pass context to "
                "KubernetesBackendConfig"});
}

const NamedEntry& referenced(const std::map<std::string, NamedEntry>& entries, const char* kind,
                             const std::string& name, const std::string& field,
                             const NamedEntry& context, const std::string& source) {
  const auto found = entries.find(name);
  if (found != entries.end()) return found->second;
  fail(ErrorCode::kConfig,
       fmt::format("kubeconfig {}: {} names {} \"{}\", which is not defined in {}; available "
                   "{}s: {}",
                   context.file, field, kind, name, source, kind, names_of(entries)),
       {.field = field,
        .file = context.file,
        .hint = fmt::format("Add the {} to the kubeconfig or fix the context", kind)});
}

// One credential or CA that may be given inline (`<key>-data`, base64) or as a file path; the
// inline form wins, as in client-go. `label` names it in messages ("client certificate").
struct PemSource {
  const char* data_key;
  const char* file_key;
  const char* label;
  ErrorCode unreadable_code;
};

std::string load_pem(const NamedEntry& entry, const std::string& path, const PemSource& pem) {
  const NodeRef at{entry.body, entry.file, path};
  SecretString data{detail::scalar_field(at, pem.data_key)};
  if (!data.empty()) {
    auto decoded = detail::decode_base64(data.reveal());
    if (!decoded) {
      const std::string field = path + "." + pem.data_key;
      fail(ErrorCode::kConfig,
           fmt::format("kubeconfig {}: {} is not valid base64", entry.file, field),
           {.field = field,
            .file = entry.file,
            .hint = fmt::format("Put the base64 of the PEM file there (`base64 -w0 <file>`), or "
                                "use {} with the file's path",
                                pem.file_key)});
    }
    return std::move(*decoded);
  }
  const std::string reference = detail::scalar_field(at, pem.file_key);
  if (reference.empty()) return {};
  const std::string resolved = detail::resolve_path(detail::directory_of(entry.file), reference);
  std::string why;
  auto content = detail::read_file(resolved, why);
  if (!content) {
    const std::string field = path + "." + pem.file_key;
    fail(pem.unreadable_code,
         fmt::format("cannot read {} {} ({} in kubeconfig {}): {}", pem.label, resolved, field,
                     entry.file, why),
         {.field = field,
          .file = resolved,
          .hint = "Fix the path; a relative path is resolved against the kubeconfig's directory"});
  }
  return std::move(*content);
}

// Returns the cluster's exec extension (JSON, "" when none) for a plugin that asks for it.
std::string apply_cluster(const NamedEntry& cluster, const std::string& name,
                          ConnectionConfig& config) {
  const std::string path = fmt::format("clusters[{}].cluster", name);
  const NodeRef at{cluster.body, cluster.file, path};
  config.server = detail::scalar_field(at, "server");
  while (!config.server.empty() && config.server.back() == '/') config.server.pop_back();
  if (config.server.empty()) {
    fail(ErrorCode::kConfig, fmt::format("kubeconfig {}: {}.server is missing", cluster.file, path),
         {.field = path + ".server",
          .file = cluster.file,
          .hint = "Set it to the API server URL, e.g. https://host:6443"});
  }
  config.ca_pem = load_pem(cluster, path,
                           {"certificate-authority-data", "certificate-authority",
                            "certificate authority", ErrorCode::kConfig});
  config.insecure_skip_tls_verify = detail::bool_field(at, "insecure-skip-tls-verify");
  config.tls_server_name = detail::scalar_field(at, "tls-server-name");
  config.proxy_url = detail::scalar_field(at, "proxy-url");
  return detail::exec_cluster_extension(at);
}

[[noreturn]] void unsupported_plugin(const NamedEntry& user, const std::string& name,
                                     const std::string& field, const char* what) {
  fail(ErrorCode::kAuth,
       fmt::format("kubeconfig {}: {}: {} are not supported yet (user \"{}\")", user.file, field,
                   what, name),
       {.field = field,
        .file = user.file,
        .hint = "Use the provider's exec credential plugin instead (kubectl removed "
                "auth-provider: e.g. gke-gcloud-auth-plugin, kubelogin), or a token, tokenFile "
                "or client certificate"});
}

void apply_user(const NamedEntry& user, const std::string& name, ConnectionConfig& config) {
  const std::string path = fmt::format("users[{}].user", name);
  const NodeRef at{user.body, user.file, path};
  if (detail::has_value(user.body, "exec")) config.exec = detail::read_exec(at);
  if (detail::has_value(user.body, "auth-provider")) {
    unsupported_plugin(user, name, path + ".auth-provider", "auth-provider plugins");
  }
  config.token = SecretString{detail::scalar_field(at, "token")};
  if (const std::string file = detail::scalar_field(at, "tokenFile"); !file.empty()) {
    // client-go lets the file override the inline token; dropping the inline one gives the
    // HTTP client a single source to read.
    config.token = SecretString{};
    config.token_file = detail::resolve_path(detail::directory_of(user.file), file);
    std::string why;
    if (!detail::is_readable_file(config.token_file, why)) {
      fail(ErrorCode::kAuth,
           fmt::format("cannot read token file {} ({}.tokenFile in kubeconfig {}): {}",
                       config.token_file, path, user.file, why),
           {.field = path + ".tokenFile",
            .file = config.token_file,
            .hint = "Fix the path; a relative path is resolved against the kubeconfig's "
                    "directory"});
    }
  }
  config.client_cert_pem = load_pem(
      user, path,
      {"client-certificate-data", "client-certificate", "client certificate", ErrorCode::kAuth});
  config.client_key_pem = SecretString{
      load_pem(user, path, {"client-key-data", "client-key", "client key", ErrorCode::kAuth})};
  if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
    const bool has_cert = !config.client_cert_pem.empty();
    const std::string field = path + (has_cert ? ".client-key" : ".client-certificate");
    fail(ErrorCode::kConfig,
         fmt::format("kubeconfig {}: {} has a client {} but no client {}", user.file, path,
                     has_cert ? "certificate" : "key", has_cert ? "key" : "certificate"),
         {.field = field,
          .file = user.file,
          .hint = "Set both the certificate and the key (either as a path or as -data)"});
  }
  config.username = detail::scalar_field(at, "username");
  config.password = SecretString{detail::scalar_field(at, "password")};
}

}  // namespace

ConnectionConfig load_kubeconfig(const LoadOptions& options, const EnvLookup& env) {
  const detail::MergedKubeconfig merged = detail::read_kubeconfigs(options, env);
  ConnectionConfig config;
  config.source = merged.source();
  const NamedEntry& context = select_context(options, merged, config.context_name);
  const std::string path = fmt::format("contexts[{}].context", config.context_name);
  const NodeRef at{context.body, context.file, path};
  config.namespace_name = detail::scalar_field(at, "namespace");

  const std::string cluster_name = detail::scalar_field(at, "cluster");
  if (cluster_name.empty()) {
    fail(ErrorCode::kConfig,
         fmt::format("kubeconfig {}: {}.cluster is missing", context.file, path),
         {.field = path + ".cluster",
          .file = context.file,
          .hint = "Name one of the clusters in the context"});
  }
  const std::string exec_extension =
      apply_cluster(referenced(merged.clusters, "cluster", cluster_name, path + ".cluster", context,
                               config.source),
                    cluster_name, config);

  // A context without a user is valid: the requests are then anonymous.
  if (const std::string user_name = detail::scalar_field(at, "user"); !user_name.empty()) {
    apply_user(referenced(merged.users, "user", user_name, path + ".user", context, config.source),
               user_name, config);
  }
  if (config.exec) config.exec->cluster_config_json = exec_extension;
  return config;
}

}  // namespace kubeflow::config
