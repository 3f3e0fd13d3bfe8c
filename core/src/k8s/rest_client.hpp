// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "k8s/status.hpp"
#include "k8s/stream_deadlines.hpp"
#include "kubeflow/http/http_client.hpp"

namespace kubeflow::k8s {

/// An API resource: where its REST collection lives and what its objects are called.
struct Resource {
  std::string group;    ///< "" for the core group
  std::string version;  ///< "v1", "v1alpha1"
  std::string plural;   ///< "trainjobs"
  std::string kind;     ///< "TrainJob", used in error messages
  bool namespaced = true;
};

extern const Resource kTrainJobs;
extern const Resource kTrainingRuntimes;
extern const Resource kClusterTrainingRuntimes;
extern const Resource kPods;
extern const Resource kEvents;
extern const Resource kConfigMaps;

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
};

enum class PatchType { kMerge, kJson, kStrategicMerge };

/// How a stream ended without an error.
enum class StreamEnd {
  kFinished,  ///< the server ended it, the sink stopped it, or the caller cancelled it
  kSilent,    ///< the server answered, then sent nothing for the read deadline
};

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
[[nodiscard]] std::string url_encode(std::string_view value);

/// "/apis/<group>/<version>[/namespaces/<ns>]/<plural>" (or "/api/v1/..." for the core group).
[[nodiscard]] std::string collection_path(const Resource& resource, const std::string& ns);

/// collection_path + "/<name>". Throws Error{kInvalidArgument} (field "name") for an empty name,
/// so no caller can address the whole collection by accident.
[[nodiscard]] std::string object_path(const Resource& resource, const std::string& ns,
                                      const std::string& name);

/// JSON verbs on Kubernetes resources. Every call blocks, has the client's timeouts as one
/// overall deadline, and throws kubeflow::Error (via k8s/status) for any non-2xx answer.
/// GET, LIST and DELETE are retried inside that deadline on failures RetryBackoff calls
/// retryable (a DELETE whose retry finds the object gone succeeded); PATCH is never retried.
/// Thread-safe.
class RestClient {
 public:
  RestClient(std::shared_ptr<http::HttpClient> http, http::Timeouts timeouts,
             StreamDeadlines streams = {});

  [[nodiscard]] nlohmann::json get(const Resource& r, const std::string& ns,
                                   const std::string& name);
  [[nodiscard]] nlohmann::json list(const Resource& r, const std::string& ns,
                                    const ListOptions& options = {});
  /// Creates with fieldValidation=Strict, so a field the server does not know is an error
  /// instead of being dropped silently. Never creates twice: the body names the object, so when
  /// the answer is lost (connection dropped, 5xx, timeout) the object is read back by name; if
  /// it holds everything sent, it is ours and is returned, if it is absent the create is
  /// repeated (429 means not processed, so it is repeated at once after the backoff).
  [[nodiscard]] nlohmann::json create(const Resource& r, const std::string& ns,
                                      const nlohmann::json& body);
  /// The object as the server would create it (defaults applied, admission webhooks run) with
  /// dryRun=All and fieldValidation=Strict; nothing is stored, so it is retried like a read.
  [[nodiscard]] nlohmann::json create_dry_run(const Resource& r, const std::string& ns,
                                              const nlohmann::json& body);
  [[nodiscard]] nlohmann::json patch(const Resource& r, const std::string& ns,
                                     const std::string& name, const nlohmann::json& patch,
                                     PatchType type = PatchType::kMerge,
                                     const std::string& subresource = "");
  void remove(const Resource& r, const std::string& ns, const std::string& name);

  /// GET of a non-JSON body (pod logs). `context` names the object for errors.
  [[nodiscard]] std::string get_text(const std::string& path_and_query,
                                     const RequestContext& context);

  /// Streams a GET line by line (watch, follow logs). Returns kFinished when the server ends
  /// the stream, `sink` returns false, or `cancel` returns true; kSilent when the server
  /// answered and then sent nothing for `idle_timeout` (0: no read deadline), which only the
  /// caller can judge. Throws for a failed request, Error{kTimeout} also when the read deadline
  /// passed before any answer. `max_line_bytes` > 0 cuts longer lines (http::Request).
  [[nodiscard]] StreamEnd stream(const std::string& path_and_query, const RequestContext& context,
                                 const http::LineSink& sink,
                                 std::chrono::milliseconds total_timeout,
                                 std::chrono::milliseconds idle_timeout,
                                 const http::CancelCheck& cancel = {},
                                 std::size_t max_line_bytes = 0);

  [[nodiscard]] http::HttpClient& http() noexcept { return *http_; }
  [[nodiscard]] const http::Timeouts& timeouts() const noexcept { return timeouts_; }
  [[nodiscard]] const StreamDeadlines& streams() const noexcept { return streams_; }

 private:
  enum class Retry { kNever, kIdempotent, kDelete };
  // The body of the first successful answer, retrying as `retry` allows inside the client's
  // deadline; throws the error of the last attempt.
  [[nodiscard]] std::string body_of(const http::Request& request, const RequestContext& context,
                                    Retry retry);
  [[nodiscard]] nlohmann::json call(const http::Request& request, const RequestContext& context,
                                    Retry retry);
  // One attempt with what is left of the deadline as its timeout.
  [[nodiscard]] http::Response attempt(http::Request request, std::chrono::milliseconds total);

  std::shared_ptr<http::HttpClient> http_;
  http::Timeouts timeouts_;
  StreamDeadlines streams_;
};

/// Parses a JSON body, dropping `metadata.managedFields`, which is large and never used.
[[nodiscard]] nlohmann::json parse_body(const std::string& body, const RequestContext& context);

}  // namespace kubeflow::k8s
