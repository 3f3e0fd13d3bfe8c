// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kubeflow/config/connection.hpp"
#include "kubeflow/http/http_client.hpp"
#include "kubeflow/stream.hpp"
#include "kubeflow/trainer/job_info.hpp"
#include "kubeflow/trainer/job_spec.hpp"
#include "kubeflow/trainer/runtime.hpp"
#include "kubeflow/trainer/v1_job.hpp"

namespace kubeflow::trainer {

/// What part of a log to read (the pod log API's options of the same names).
struct LogOptions {
  bool follow = false;                ///< keep reading until the container ends
  std::optional<long> tail_lines;     ///< only the last N lines (of what is there at the start)
  std::optional<long> since_seconds;  ///< only lines of the last N seconds
  bool previous = false;              ///< the container's previous instance (after a restart)
};

/// The Kubeflow Trainer operations on one cluster and namespace: the one class the bindings
/// wrap. Every method blocks on the network (bounded by the timeouts), throws kubeflow::Error
/// (codes per k8s/status) and is safe to call from several threads at once.
class TrainerApi {
 public:
  /// `namespace_name` empty: the connection's context namespace, else "default".
  TrainerApi(const config::ConnectionConfig& connection, std::string namespace_name,
             http::Timeouts timeouts = {});
  ~TrainerApi();
  TrainerApi(const TrainerApi&) = delete;
  TrainerApi& operator=(const TrainerApi&) = delete;

  [[nodiscard]] const std::string& namespace_name() const noexcept;
  [[nodiscard]] const std::string& server() const noexcept;
  /// Whether the server's certificate is not verified (insecure-skip-tls-verify, or
  /// verify_ssl=False); the Python layer warns about it.
  [[nodiscard]] bool skips_tls_verification() const noexcept;

  /// Namespaced TrainingRuntimes, then the ClusterTrainingRuntimes whose names they do not
  /// shadow. A 404 on the namespaced list (CRD missing) yields only cluster runtimes. Runtimes
  /// that cannot be parsed (no framework label, no trainer container) are skipped.
  [[nodiscard]] std::vector<RuntimeInfo> list_runtimes();

  /// The namespaced TrainingRuntime `name`, else the ClusterTrainingRuntime; kNotFound naming
  /// both scopes when neither exists.
  [[nodiscard]] RuntimeInfo get_runtime(const std::string& name);

  /// Validates and creates the TrainJob; returns its name (generated when `request.name` is
  /// empty). Nothing is created when validation fails.
  [[nodiscard]] std::string train(const JobRequest& request);

  /// The TrainJob `train` would create, with metadata.namespace set; no request is made.
  /// With `validate_on_server`, the server's answer to a dry-run create instead: validated by
  /// the schema and the admission webhooks, defaults applied, nothing stored.
  [[nodiscard]] nlohmann::json job_manifest(const JobRequest& request, bool validate_on_server);

  /// The TrainJob as the server stores it (metadata, spec, status): what `kubectl get -o json`
  /// shows. kNotFound when there is none.
  [[nodiscard]] nlohmann::json stored_job_manifest(const std::string& name);

  /// Creates the TrainJob of a manifest (see manifest_for_create); returns its name. The
  /// create is as safe as `train`'s: a lost answer is resolved by reading the name back.
  [[nodiscard]] std::string submit_job(const nlohmann::json& manifest);

  /// TrainJobs in the namespace, optionally only those whose runtimeRef name (and, when given,
  /// kind; a missing kind counts as ClusterTrainingRuntime) match. One list
  /// of TrainJobs and one list of pods, joined here; runtimes come from a per-client cache (60 s),
  /// then the live object (once per listing), then the job's runtime snapshot ConfigMap, then a
  /// placeholder, so a deleted runtime never fails the listing.
  [[nodiscard]] std::vector<TrainJobInfo> list_jobs(
      const std::optional<std::string>& runtime,
      const std::optional<std::string>& runtime_kind = std::nullopt);

  /// One TrainJob with its steps and status: the TrainJob, its pods, and its runtime (cached).
  [[nodiscard]] TrainJobInfo get_job(const std::string& name);

  void delete_job(const std::string& name);

  /// Log lines of one step (a pod's container), whole (no follow). Throws kNotFound naming the
  /// job's steps when the step has no pod, or when its pod is still Pending.
  [[nodiscard]] std::vector<std::string> get_job_logs(const std::string& name,
                                                      const std::string& step);

  /// Follows the log of one step: waits (polling every second) while its pod does not exist
  /// or is Pending, then streams the container's log until it ends. Throws kNotFound through
  /// the stream when the job finished, or was deleted, without that step ever starting.
  [[nodiscard]] std::shared_ptr<Stream<std::string>> follow_job_logs(const std::string& name,
                                                                     const std::string& step);

  /// Lines of the logs of `steps`, as a stream, so an endless log needs bounded memory. One
  /// step: its lines as they are. Several: every line starts with "[<step>] "; with
  /// `options.follow` the steps are followed at once (a thread each) and their lines merged as
  /// they arrive, otherwise the steps are read one after the other, whole. Following waits for
  /// a step's pod to start like follow_job_logs; without follow a step that has not started is
  /// kNotFound (see get_job_logs). The first error of any step ends the stream with it.
  [[nodiscard]] std::shared_ptr<Stream<std::string>> stream_job_logs(
      const std::string& name, const std::vector<std::string>& steps, const LogOptions& options);

  /// Watches a TrainJob and its pods (two watches, resumed and re-listed as needed) and yields
  /// the TrainJobInfo first as it is now and then each time its status or steps change. Ends
  /// with kNotFound when the TrainJob is deleted.
  [[nodiscard]] std::shared_ptr<Stream<TrainJobInfo>> watch_job(const std::string& name);

  /// The events of the TrainJob, its JobSet, its Jobs (<job>-<replicatedJob>-<n>) and Pods
  /// (restarted pods' predecessors included), oldest first. Three requests.
  [[nodiscard]] std::vector<EventInfo> get_job_events(const std::string& name);

  /// `kubeflow_trainer_version` of ConfigMap `<system_ns>/kubeflow-trainer-public`, read once;
  /// nullopt when it cannot be read (missing, or forbidden by RBAC).
  [[nodiscard]] std::optional<std::string> trainer_version(const std::string& system_namespace);

  /// Training Operator v1 jobs (kubeflow.org/v1) in the namespace, of `kind` (see v1_kind) or,
  /// with nullopt, of every v1.9 kind whose CRD is served: one list per kind and one of pods.
  /// kNotFound naming the CRD(s) when none is served; MXJob: mxjob_removed_error().
  [[nodiscard]] std::vector<V1JobInfo> list_v1_jobs(const std::optional<std::string>& kind);

  /// One v1 job with its steps; kNotFound naming the CRD when it is not served, else the job.
  [[nodiscard]] V1JobInfo get_v1_job(const std::string& kind, const std::string& name);

  /// The v1 job as the server stores it, with apiVersion and kind (what the converter reads).
  /// An MXJob only with `allow_mxjob`.
  [[nodiscard]] nlohmann::json stored_v1_job_manifest(const std::string& kind,
                                                      const std::string& name, bool allow_mxjob);

  /// Log lines of one step ("worker-0") of a v1 job: its pod's framework container, whole.
  [[nodiscard]] std::vector<std::string> get_v1_job_logs(const std::string& kind,
                                                         const std::string& name,
                                                         const std::string& step);

  /// Creates one manifest of a v1 migration (TrainingRuntime or TrainJob) with strict field
  /// validation, or with `dry_run` only validates it on the server; returns the server's object.
  [[nodiscard]] nlohmann::json create_migrated(const nlohmann::json& manifest, bool dry_run);

  /// HTTP requests made by this client so far (tests and benchmarks count them).
  [[nodiscard]] long request_count() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with running streams, which may outlive a call
};

}  // namespace kubeflow::trainer
