// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "k8s/rest_client.hpp"

namespace kubeflow::k8s {

/// Called for each ADDED / MODIFIED / DELETED event with the event type and the object.
using WatchHandler = std::function<void(const std::string& type, const nlohmann::json& object)>;

/// Re-lists after the server answered 410 Gone and returns the list's resourceVersion.
using Relist = std::function<std::string()>;

/// Watches a collection from `resource_version` until `cancelled` returns true, the way a
/// client-go reflector does: bookmarks move the resourceVersion forward, each server-side
/// timeout (every ~30 s) reconnects from the last version seen, and 410 Gone (history
/// compacted) calls `relist` and continues from the new version. A dropped connection, a
/// refused connect or a 429/5xx (an API server restarting) reconnects from the last version
/// seen with backoff (0.2 s doubling to 5 s) for up to a minute of continuous failure; so does
/// silence past the read deadline (RestClient::streams().watch_idle()). Throws
/// kubeflow::Error for any other failure, or when the outage lasts longer. Blocks.
void watch(RestClient& rest, const Resource& resource, const std::string& ns,
           const ListOptions& options, std::string resource_version, const WatchHandler& handler,
           const Relist& relist, const std::function<bool()>& cancelled);

}  // namespace kubeflow::k8s
