// SPDX-License-Identifier: Apache-2.0
#include "kubeflow/trainer/trainer_api.hpp"

#include "kubeflow/trainer/manifest.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "k8s/reconnect.hpp"
#include "k8s/rest_client.hpp"
#include "trainer/job_events.hpp"
#include "trainer/job_status.hpp"
#include "trainer/job_watch.hpp"
#include "trainer/log_follow.hpp"
#include "trainer/runtime_resolver.hpp"
#include "trainer/v1_reader.hpp"
#include "util/concurrent.hpp"

namespace kubeflow::trainer {

namespace {

std::string container_for_step(const std::string& step) {
  // "node-3" -> "node"; initializer steps are named after their container.
  const auto dash = step.rfind('-');
  if (dash != std::string::npos && dash + 1 < step.size() &&
      std::all_of(step.begin() + static_cast<long>(dash) + 1, step.end(),
                  [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return step.substr(0, dash);
  }
  return step;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace

// Every public call runs in this guard: an exception from a library (nlohmann on an API object of
// an unexpected shape, a number that does not parse) becomes a ServerError naming the call, so
// callers only ever see kubeflow::Error.
template <typename Body>
auto guarded(const char* verb, const char* kind, const std::string& ns, const std::string& name,
             Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kServerError,
                fmt::format("{} {}{}: the API server's answer has an unexpected shape ({})", verb,
                            kind, name.empty() ? "" : " " + name, e.what()),
                {.hint = "Check that the cluster runs a Kubeflow Trainer version this SDK supports",
                 .kind = kind,
                 .name = name,
                 .ns = ns});
  }
}

struct TrainerApi::Impl {
  std::shared_ptr<http::HttpClient> http;
  k8s::RestClient rest;
  std::string ns;
  std::string shown_server;  // the server URL without any user:password
  RuntimeResolver runtimes{rest, ns};
  std::mutex mutex;  // guards the trainer version below
  bool version_read = false;
  std::optional<std::string> version;

  Impl(const config::ConnectionConfig& connection, std::string namespace_name,
       http::Timeouts timeouts)
      : http(std::make_shared<http::HttpClient>(connection)),
        rest(http, timeouts, k8s::stream_deadlines_from(config::process_env())),
        ns(!namespace_name.empty()              ? std::move(namespace_name)
           : !connection.namespace_name.empty() ? connection.namespace_name
                                                : "default"),
        shown_server(http::redact_url(connection.server)) {}

  // The pod of `step`. With `started`, a pod that is still Pending (or has no phase) is an error
  // too: its container has no log yet, and upstream's silent empty result hides that (#317).
  std::string pod_for_step(const std::string& job, const std::string& step, bool started = false) {
    TrainJobInfo info = get_job(job);
    for (const auto& s : info.steps) {
      if (s.name != step) continue;
      if (!started || (s.status && *s.status != "Pending")) return s.pod_name;
      throw Error(ErrorCode::kNotFound,
                  fmt::format("TrainJob {}/{} step {:?} has not started yet: its pod {} is {}", ns,
                              job, step, s.pod_name, s.status.value_or("without a phase")),
                  {.field = "step",
                   .hint = "Pass follow=True to wait for the step to start, or wait with "
                           "wait_for_job_status(name, {\"Running\"})",
                   .http_status = 404,
                   .reason = "NotFound",
                   .kind = "Pod",
                   .name = s.pod_name,
                   .ns = ns});
    }
    std::vector<std::string> names;
    for (const auto& s : info.steps) names.push_back(s.name);
    throw Error(ErrorCode::kNotFound,
                fmt::format("TrainJob {}/{} has no step {:?} yet: its steps are [{}]", ns, job,
                            step, fmt::join(names, ", ")),
                {.field = "step",
                 .hint = names.empty() ? "The job's pods have not been created yet; wait for "
                                         "the job to start"
                                       : "Pass one of the listed step names",
                 .http_status = 404,
                 .reason = "NotFound",
                 .kind = "TrainJob",
                 .name = job,
                 .ns = ns});
  }

  // The pod of a started `step`, waiting while it is Pending; throws kNotFound once the job
  // finished without the step ever starting (nothing will ever be logged).
  std::string wait_for_started_pod(const std::string& name, const std::string& step,
                                   const Stream<std::string>::Cancelled& cancelled) {
    k8s::Reconnect reconnect;
    while (!cancelled()) {
      try {
        const TrainJobInfo info = get_job(name);
        reconnect.succeeded();
        auto it = std::find_if(info.steps.begin(), info.steps.end(),
                               [&](const StepInfo& s) { return s.name == step; });
        if (it != info.steps.end() && it->status && *it->status != "Pending") return it->pod_name;
        if (info.status == "Complete" || info.status == "Failed") {
          (void)pod_for_step(name, step, /*started=*/true);  // throws kNotFound
        }
      } catch (const Error& e) {
        if (!k8s::Reconnect::retryable(e) || !reconnect.wait(cancelled)) throw;
        continue;
      }
      for (int i = 0; i < 10 && !cancelled(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    return {};
  }

  void follow_logs(const std::string& name, const std::string& step,
                   const Stream<std::string>::Emit& emit,
                   const Stream<std::string>::Cancelled& cancelled) {
    const std::string pod = wait_for_started_pod(name, step, cancelled);
    if (cancelled()) return;
    follow_container_log(rest, ns, pod, container_for_step(step), {.follow = true}, emit,
                         cancelled);
  }

  // One step's log, each line after `prefix`.
  void step_log(const std::string& name, const std::string& step, const LogOptions& options,
                const std::string& prefix, const Stream<std::string>::Emit& emit,
                const Stream<std::string>::Cancelled& cancelled) {
    const std::string pod = options.follow ? wait_for_started_pod(name, step, cancelled)
                                           : pod_for_step(name, step, /*started=*/true);
    if (cancelled()) return;
    const Stream<std::string>::Emit prefixed = prefix.empty() ? emit : [&](std::string line) {
      line.insert(0, prefix);
      return emit(std::move(line));
    };
    follow_container_log(rest, ns, pod, container_for_step(step), options, prefixed, cancelled);
  }

  // The logs of several steps into one stream (TrainerApi::stream_job_logs). Following, each step
  // runs on a thread of its own and pushes its lines as they come (Stream::push is thread-safe
  // and waits while the consumer is behind); the first error stops the others and is rethrown.
  void merge_step_logs(const std::string& name, const std::vector<std::string>& steps,
                       const LogOptions& options, const Stream<std::string>::Emit& emit,
                       const Stream<std::string>::Cancelled& cancelled) {
    const bool prefixed = steps.size() > 1;
    auto prefix_of = [&](const std::string& step) {
      return prefixed ? fmt::format("[{}] ", step) : std::string();
    };
    if (!options.follow || steps.size() <= 1) {
      for (const auto& step : steps) {
        if (cancelled()) return;
        step_log(name, step, options, prefix_of(step), emit, cancelled);
      }
      return;
    }
    std::atomic<bool> stop{false};
    std::mutex error_mutex;
    std::exception_ptr first_error;
    const Stream<std::string>::Cancelled stopped = [&] { return stop.load() || cancelled(); };
    const Stream<std::string>::Emit pushed = [&](std::string line) {
      if (emit(std::move(line))) return true;
      stop = true;  // the consumer closed the stream
      return false;
    };
    std::vector<std::thread> followers;
    followers.reserve(steps.size());
    for (const auto& step : steps) {
      followers.emplace_back([&, step] {
        try {
          step_log(name, step, options, prefix_of(step), pushed, stopped);
        } catch (...) {
          const std::lock_guard<std::mutex> lock(error_mutex);
          if (!first_error) first_error = std::current_exception();
          stop = true;
        }
      });
    }
    for (auto& follower : followers) follower.join();
    if (first_error) std::rethrow_exception(first_error);
  }

  TrainJobInfo get_job(const std::string& name) {
    // The pod list needs only the name: it travels beside the TrainJob's GET.
    auto pods_read = util::start_beside(
        [&] { return rest.list(k8s::kPods, ns, {.label_selector = pod_selector(name)}); });
    auto trainjob = rest.get(k8s::kTrainJobs, ns, name);
    // A runtime not yet cached is read while the pod list (the larger answer) is still coming:
    // a fresh client waits for one round trip plus one, not for the pods and then the runtime.
    const auto& ref = trainjob["spec"]["runtimeRef"];
    const std::string kind = ref.value("kind", kClusterRuntimeKind);
    const RuntimeInfo runtime = runtimes.for_job(kind, ref.value("name", ""), name);
    auto pods = pods_read.get();
    std::vector<const nlohmann::json*> pod_ptrs;
    for (const auto& p : pods.at("items")) pod_ptrs.push_back(&p);
    return job_from_objects(trainjob, pod_ptrs, runtime);
  }
};

TrainerApi::TrainerApi(const config::ConnectionConfig& connection, std::string namespace_name,
                       http::Timeouts timeouts)
    : impl_(std::make_shared<Impl>(connection, std::move(namespace_name), timeouts)) {}

TrainerApi::~TrainerApi() = default;

const std::string& TrainerApi::namespace_name() const noexcept { return impl_->ns; }

const std::string& TrainerApi::server() const noexcept { return impl_->shown_server; }

bool TrainerApi::skips_tls_verification() const noexcept {
  return impl_->http->connection().insecure_skip_tls_verify;
}

std::vector<RuntimeInfo> TrainerApi::list_runtimes() {
  return guarded("list", "runtimes", impl_->ns, std::string(), [&] {
    std::vector<RuntimeInfo> result;
    std::set<std::string> names;
    auto add_all = [&](const nlohmann::json& list, const char* kind) {
      for (const auto& item : list.at("items")) {
        try {
          RuntimeInfo info = parse_runtime(item, kind);
          if (!names.insert(info.name).second) continue;
          impl_->runtimes.remember(info);
          result.push_back(std::move(info));
        } catch (const Error& e) {
          if (e.code() != ErrorCode::kInvalidArgument) throw;
        }
      }
    };
    try {
      add_all(impl_->rest.list(k8s::kTrainingRuntimes, impl_->ns), kNamespacedRuntimeKind);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kNotFound) throw;
    }
    add_all(impl_->rest.list(k8s::kClusterTrainingRuntimes, ""), kClusterRuntimeKind);
    return result;
  });
}

RuntimeInfo TrainerApi::get_runtime(const std::string& name) {
  return guarded("get", "runtime", impl_->ns, name, [&] {
    try {
      return impl_->runtimes.fetch(kNamespacedRuntimeKind, name);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kNotFound) throw;
    }
    try {
      return impl_->runtimes.fetch(kClusterRuntimeKind, name);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kNotFound) throw;
      auto details = e.details();
      details.hint = "List the available runtimes with TrainerClient().list_runtimes()";
      throw Error(ErrorCode::kNotFound,
                  fmt::format("runtime {:?} not found: neither a TrainingRuntime in namespace {} "
                              "nor a ClusterTrainingRuntime has that name. {}",
                              name, impl_->ns, details.hint),
                  details);
    }
  });
}

std::string TrainerApi::train(const JobRequest& request) {
  return guarded("create", "TrainJob", impl_->ns, request.name, [&] {
    const nlohmann::json body = build_trainjob(request);
    (void)impl_->rest.create(k8s::kTrainJobs, impl_->ns, body);
    return request.name;
  });
}

nlohmann::json TrainerApi::job_manifest(const JobRequest& request, bool validate_on_server) {
  nlohmann::json body = build_trainjob(request);
  body["metadata"]["namespace"] = impl_->ns;
  if (!validate_on_server) return body;
  return guarded("create (dry run)", "TrainJob", impl_->ns, request.name,
                 [&] { return impl_->rest.create_dry_run(k8s::kTrainJobs, impl_->ns, body); });
}

nlohmann::json TrainerApi::stored_job_manifest(const std::string& name) {
  return guarded("get", "TrainJob", impl_->ns, name,
                 [&] { return impl_->rest.get(k8s::kTrainJobs, impl_->ns, name); });
}

std::string TrainerApi::submit_job(const nlohmann::json& manifest) {
  const nlohmann::json body = manifest_for_create(manifest, impl_->ns);
  const auto& name = body["metadata"]["name"].get_ref<const std::string&>();
  return guarded("create", "TrainJob", impl_->ns, name, [&] {
    (void)impl_->rest.create(k8s::kTrainJobs, impl_->ns, body);
    return name;
  });
}

std::vector<TrainJobInfo> TrainerApi::list_jobs(const std::optional<std::string>& runtime,
                                                const std::optional<std::string>& runtime_kind) {
  return guarded("list", "TrainJobs", impl_->ns, std::string(), [&] {
    // The two lists are independent: the pods are read, parsed and grouped by job on a thread
    // of their own while the TrainJobs are read and parsed here.
    nlohmann::json pods;
    std::map<std::string, std::vector<const nlohmann::json*>> pods_by_job;
    auto pods_read = util::start_beside([&] {
      pods = impl_->rest.list(k8s::kPods, impl_->ns, {.label_selector = pod_selector("")});
      for (const auto& pod : pods.at("items")) {
        const auto& labels = pod["metadata"]["labels"];
        if (!labels.is_object()) continue;
        auto it = labels.find("jobset.sigs.k8s.io/jobset-name");
        if (it != labels.end() && it->is_string())
          pods_by_job[it->get<std::string>()].push_back(&pod);
      }
    });
    auto jobs = impl_->rest.list(k8s::kTrainJobs, impl_->ns);
    // The runtimes the jobs name are resolved (read when not cached) while the pods still come.
    std::vector<std::pair<const nlohmann::json*, RuntimeInfo>> selected;
    std::set<std::string> missing_runtimes;
    for (const auto& job : jobs.at("items")) {
      const auto& ref = job["spec"]["runtimeRef"];
      const std::string runtime_name = ref.value("name", "");
      const std::string kind = ref.value("kind", kClusterRuntimeKind);
      // A runtime is its kind and name: a TrainingRuntime and a ClusterTrainingRuntime may share
      // one.
      if ((runtime && runtime_name != *runtime) || (runtime_kind && kind != *runtime_kind))
        continue;
      const std::string name = job["metadata"].value("name", "");
      selected.emplace_back(&job,
                            impl_->runtimes.for_job(kind, runtime_name, name, &missing_runtimes));
    }
    pods_read.get();
    std::vector<TrainJobInfo> result;
    result.reserve(selected.size());
    for (const auto& [job, rt] : selected) {
      result.push_back(
          job_from_objects(*job, pods_by_job[(*job)["metadata"].value("name", "")], rt));
    }
    return result;
  });
}

TrainJobInfo TrainerApi::get_job(const std::string& name) {
  return guarded("get", "TrainJob", impl_->ns, name, [&] { return impl_->get_job(name); });
}

void TrainerApi::delete_job(const std::string& name) {
  guarded("delete", "TrainJob", impl_->ns, name,
          [&] { impl_->rest.remove(k8s::kTrainJobs, impl_->ns, name); });
}

std::vector<std::string> TrainerApi::get_job_logs(const std::string& name,
                                                  const std::string& step) {
  return guarded("read logs of", "TrainJob", impl_->ns, name, [&] {
    const std::string pod = impl_->pod_for_step(name, step, /*started=*/true);
    const std::string path =
        fmt::format("{}/log?container={}", k8s::object_path(k8s::kPods, impl_->ns, pod),
                    k8s::url_encode(container_for_step(step)));
    return split_lines(
        impl_->rest.get_text(path, {"read logs of", "Pod", impl_->ns, pod, server()}));
  });
}

std::shared_ptr<Stream<std::string>> TrainerApi::follow_job_logs(const std::string& name,
                                                                 const std::string& step) {
  auto impl = impl_;
  return std::make_shared<Stream<std::string>>(
      [impl, name, step](const Stream<std::string>::Emit& emit,
                         const Stream<std::string>::Cancelled& cancelled) {
        guarded("follow logs of", "TrainJob", impl->ns, name,
                [&] { impl->follow_logs(name, step, emit, cancelled); });
      });
}

std::shared_ptr<Stream<std::string>> TrainerApi::stream_job_logs(
    const std::string& name, const std::vector<std::string>& steps, const LogOptions& options) {
  auto impl = impl_;
  return std::make_shared<Stream<std::string>>(
      [impl, name, steps, options](const Stream<std::string>::Emit& emit,
                                   const Stream<std::string>::Cancelled& cancelled) {
        guarded(options.follow ? "follow logs of" : "read logs of", "TrainJob", impl->ns, name,
                [&] { impl->merge_step_logs(name, steps, options, emit, cancelled); });
      });
}

std::shared_ptr<Stream<TrainJobInfo>> TrainerApi::watch_job(const std::string& name) {
  auto impl = impl_;
  return std::make_shared<Stream<TrainJobInfo>>(
      [impl, name](const Stream<TrainJobInfo>::Emit& emit,
                   const Stream<TrainJobInfo>::Cancelled& cancelled) {
        guarded("watch", "TrainJob", impl->ns, name, [&] {
          trainer::watch_job(impl->rest, impl->ns, impl->runtimes, name, emit, cancelled);
        });
      });
}

std::vector<EventInfo> TrainerApi::get_job_events(const std::string& name) {
  return guarded("list events of", "TrainJob", impl_->ns, name,
                 [&] { return trainer::get_job_events(impl_->rest, impl_->ns, name); });
}

std::optional<std::string> TrainerApi::trainer_version(const std::string& system_namespace) {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->version_read) return impl_->version;
  }
  std::optional<std::string> version;
  try {
    auto cm = impl_->rest.get(k8s::kConfigMaps, system_namespace, "kubeflow-trainer-public");
    const auto& data = cm["data"];
    if (data.is_object() && data.contains("kubeflow_trainer_version")) {
      version = data["kubeflow_trainer_version"].get<std::string>();
    }
  } catch (const Error&) {
    // Missing or forbidden: the client works without it, assuming the newest API.
  } catch (const nlohmann::json::exception&) {
    // A version that is not a string: as good as none.
  }
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->version_read = true;
  impl_->version = version;
  return version;
}

std::vector<V1JobInfo> TrainerApi::list_v1_jobs(const std::optional<std::string>& kind) {
  return guarded("list", "v1 jobs", impl_->ns, std::string(),
                 [&] { return trainer::list_v1_jobs(impl_->rest, impl_->ns, kind); });
}

V1JobInfo TrainerApi::get_v1_job(const std::string& kind, const std::string& name) {
  return guarded("get", "v1 job", impl_->ns, name,
                 [&] { return trainer::get_v1_job(impl_->rest, impl_->ns, kind, name); });
}

nlohmann::json TrainerApi::stored_v1_job_manifest(const std::string& kind, const std::string& name,
                                                  bool allow_mxjob) {
  return guarded("get", "v1 job", impl_->ns, name, [&] {
    return trainer::stored_v1_job(impl_->rest, impl_->ns, kind, name, allow_mxjob);
  });
}

std::vector<std::string> TrainerApi::get_v1_job_logs(const std::string& kind,
                                                     const std::string& name,
                                                     const std::string& step) {
  return guarded("read logs of", "v1 job", impl_->ns, name, [&] {
    const V1JobInfo job = trainer::get_v1_job(impl_->rest, impl_->ns, kind, name);
    for (const auto& s : job.steps) {
      if (s.name != step) continue;
      const std::string path =
          fmt::format("{}/log?container={}", k8s::object_path(k8s::kPods, impl_->ns, s.pod_name),
                      k8s::url_encode(v1_kind(kind).container));
      return split_lines(
          impl_->rest.get_text(path, {"read logs of", "Pod", impl_->ns, s.pod_name, server()}));
    }
    std::vector<std::string> names;
    for (const auto& s : job.steps) names.push_back(s.name);
    throw Error(ErrorCode::kNotFound,
                fmt::format("{} {}/{} has no step {:?}: its steps are [{}]", job.kind, impl_->ns,
                            name, step, fmt::join(names, ", ")),
                {.field = "step",
                 .hint = "Pass one of the listed steps (<replica type>-<index>)",
                 .http_status = 404,
                 .reason = "NotFound",
                 .kind = job.kind,
                 .name = name,
                 .ns = impl_->ns});
  });
}

nlohmann::json TrainerApi::create_migrated(const nlohmann::json& manifest, bool dry_run) {
  const std::string name =
      manifest.is_object() && manifest.contains("metadata") && manifest["metadata"].is_object()
          ? manifest["metadata"].value("name", "")
          : std::string();
  return guarded(dry_run ? "create (dry run)" : "create", "migrated object", impl_->ns, name, [&] {
    return trainer::create_migrated(impl_->rest, impl_->ns, manifest, dry_run);
  });
}

long TrainerApi::request_count() const noexcept { return impl_->http->request_count(); }

}  // namespace kubeflow::trainer
