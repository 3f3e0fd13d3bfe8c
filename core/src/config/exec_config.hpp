// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "config/yaml_fields.hpp"
#include "kubeflow/config/connection.hpp"

namespace kubeflow::config::detail {

/// The `exec` section of a kubeconfig user (`at` points at the user body). Checks what
/// client-go checks at load time: a known apiVersion, a command, string args, env entries with a
/// name, a known interactiveMode. Throws Error{kConfig} naming the field.
[[nodiscard]] ExecConfig read_exec(const NodeRef& at);

/// A cluster's `extensions` entry named client.authentication.k8s.io/exec, as JSON text for the
/// plugin's KUBERNETES_EXEC_INFO; "" when the cluster has none.
[[nodiscard]] std::string exec_cluster_extension(const NodeRef& cluster_at);

}  // namespace kubeflow::config::detail
