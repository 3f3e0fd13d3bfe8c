// SPDX-License-Identifier: Apache-2.0
#include "kubeflow/trainer/trainer_api.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "k8s/reconnect.hpp"
#include "k8s/rest_client.hpp"
#include "k8s/watch.hpp"
#include "trainer/job_status.hpp"
#include "trainer/log_follow.hpp"
#include "util/yaml_json.hpp"

namespace kubeflow::trainer {

namespace {

constexpr const char* kClusterKind = "ClusterTrainingRuntime";
constexpr const char* kNamespacedKind = "TrainingRuntime";

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

// `object[key]` when it is a string, else "" (the API server sends null for unset fields).
std::string text_member(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// Child Jobs of a TrainJob's JobSet are named <trainjob>-<replicatedJob>-<index>; matching the
// replicated job names the SDK knows keeps TrainJob "a" from claiming the Jobs of "a-b".
bool is_child_job_name(const std::string& job_name, const std::string& trainjob) {
  if (job_name.rfind(trainjob + "-", 0) != 0) return false;
  const std::string rest = job_name.substr(trainjob.size() + 1);
  for (const char* rjob : {"node", "launcher", "dataset-initializer", "model-initializer"}) {
    const std::string prefix = std::string(rjob) + "-";
    if (rest.size() > prefix.size() && rest.rfind(prefix, 0) == 0 &&
        std::all_of(rest.begin() + static_cast<long>(prefix.size()), rest.end(),
                    [](unsigned char c) { return std::isdigit(c) != 0; })) {
      return true;
    }
  }
  return false;
}

RuntimeInfo placeholder_runtime(const std::string& name, const std::string& kind) {
  RuntimeInfo info;
  info.name = name;
  info.kind = kind;
  info.trainer_type = "CustomTrainer";
  info.framework = "Unknown";
  info.image = "Unknown";
  return info;
}

}  // namespace

struct TrainerApi::Impl {
  std::shared_ptr<http::HttpClient> http;
  k8s::RestClient rest;
  std::string ns;
  std::string shown_server;  // the server URL without any user:password
  std::mutex mutex;          // guards the caches below
  // "<kind>/<name>" -> runtime and when it was read. Entries expire so that a long-lived client
  // (a notebook kernel) sees an administrator's edits to a runtime within a minute.
  struct CachedRuntime {
    RuntimeInfo info;
    std::chrono::steady_clock::time_point read_at;
  };
  static constexpr std::chrono::seconds kRuntimeCacheTtl{60};
  std::map<std::string, CachedRuntime> runtime_cache;
  bool version_read = false;
  std::optional<std::string> version;

  Impl(config::ConnectionConfig connection, std::string namespace_name, http::Timeouts timeouts)
      : http(std::make_shared<http::HttpClient>(connection)),
        rest(http, timeouts),
        ns(!namespace_name.empty()              ? std::move(namespace_name)
           : !connection.namespace_name.empty() ? connection.namespace_name
                                                : "default"),
        shown_server(http::redact_url(connection.server)) {}

  void remember(const RuntimeInfo& info) {
    std::lock_guard<std::mutex> lock(mutex);
    runtime_cache[info.kind + "/" + info.name] = {info, std::chrono::steady_clock::now()};
  }

  std::optional<RuntimeInfo> cached(const std::string& kind, const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = runtime_cache.find(kind + "/" + name);
    if (it == runtime_cache.end()) return std::nullopt;
    if (std::chrono::steady_clock::now() - it->second.read_at > kRuntimeCacheTtl) {
      runtime_cache.erase(it);
      return std::nullopt;
    }
    return it->second.info;
  }

  RuntimeInfo fetch_runtime(const std::string& kind, const std::string& name) {
    const bool cluster = kind == kClusterKind;
    auto object = rest.get(cluster ? k8s::kClusterTrainingRuntimes : k8s::kTrainingRuntimes,
                           cluster ? "" : ns, name);
    RuntimeInfo info = parse_runtime(object, kind);
    remember(info);
    return info;
  }

  // The runtime a job runs with: the cache, the live object, then the job's snapshot, which the
  // controller (Trainer 2.3+) takes on first reconcile so a deleted runtime leaves jobs readable.
  // `missing` (optional) records runtimes whose live object could not be used, so a listing of
  // many jobs on one deleted runtime asks for it once instead of once per job.
  RuntimeInfo runtime_for_job(const std::string& kind, const std::string& name,
                              const std::string& job, std::set<std::string>* missing = nullptr) {
    if (auto hit = cached(kind, name)) return *hit;
    const std::string key = kind + "/" + name;
    if (missing == nullptr || missing->count(key) == 0) {
      try {
        return fetch_runtime(kind, name);
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kNotFound && e.code() != ErrorCode::kForbidden &&
            e.code() != ErrorCode::kInvalidArgument) {
          throw;
        }
        if (missing != nullptr) missing->insert(key);
      }
    }
    try {
      auto snapshot = rest.get(k8s::kConfigMaps, ns, job + "-runtime-snapshot");
      const auto& data = snapshot.at("data");
      const auto text = data.at("runtime").get<std::string>();
      return parse_runtime(util::yaml_to_json(text, "runtime snapshot of " + job), kind);
    } catch (const Error&) {
    } catch (const nlohmann::json::exception&) {
    }
    return placeholder_runtime(name, kind);
  }

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

  // State shared by the TrainJob watch (this thread) and the pod watch (a helper thread).
  struct JobWatchState {
    std::mutex mutex;
    nlohmann::json trainjob;
    std::map<std::string, nlohmann::json> pods;
    std::string last_signature;
    std::exception_ptr pod_error;
    bool deleted = false;
  };

  static std::string signature(const TrainJobInfo& info) {
    std::string s = info.status;
    for (const auto& step : info.steps) s += "|" + step.name + "=" + step.status.value_or("");
    return s;
  }

  void emit_if_changed(JobWatchState& state, const RuntimeInfo& runtime,
                       const Stream<TrainJobInfo>::Emit& emit) {
    std::lock_guard<std::mutex> lock(state.mutex);
    std::vector<const nlohmann::json*> pods;
    for (const auto& [_, pod] : state.pods) pods.push_back(&pod);
    TrainJobInfo info = job_from_objects(state.trainjob, pods, runtime);
    const std::string sig = signature(info);
    if (sig == state.last_signature) return;
    state.last_signature = sig;
    emit(std::move(info));
  }

  void watch_job(const std::string& name, const Stream<TrainJobInfo>::Emit& emit,
                 const Stream<TrainJobInfo>::Cancelled& cancelled) {
    JobWatchState state;
    const k8s::ListOptions pod_options{.label_selector = pod_selector(name)};
    auto relist_pods = [&] {
      auto list = rest.list(k8s::kPods, ns, pod_options);
      std::lock_guard<std::mutex> lock(state.mutex);
      state.pods.clear();
      for (auto& pod : list["items"]) state.pods[pod["metadata"].value("name", "")] = pod;
      return list["metadata"].value("resourceVersion", "");
    };
    auto relist_job = [&] {
      auto job = rest.get(k8s::kTrainJobs, ns, name);
      std::lock_guard<std::mutex> lock(state.mutex);
      state.trainjob = job;
      return job["metadata"].value("resourceVersion", "");
    };
    const std::string job_version = relist_job();
    const std::string pod_version = relist_pods();
    const auto& ref = state.trainjob["spec"]["runtimeRef"];
    const RuntimeInfo runtime =
        runtime_for_job(ref.value("kind", kClusterKind), ref.value("name", ""), name);
    emit_if_changed(state, runtime, emit);

    std::atomic<bool> stop{false};
    auto stopped = [&] { return stop.load() || cancelled(); };
    std::thread pod_watcher([&] {
      ThreadCancelScope scope(&stop);  // its relists abort too when the watch ends
      try {
        k8s::watch(
            rest, k8s::kPods, ns, pod_options, pod_version,
            [&](const std::string& type, const nlohmann::json& pod) {
              {
                std::lock_guard<std::mutex> lock(state.mutex);
                const std::string pod_name = pod["metadata"].value("name", "");
                if (type == "DELETED") state.pods.erase(pod_name);
                else state.pods[pod_name] = pod;
              }
              emit_if_changed(state, runtime, emit);
            },
            relist_pods, stopped);
      } catch (...) {
        std::lock_guard<std::mutex> lock(state.mutex);
        state.pod_error = std::current_exception();
        stop = true;
      }
    });
    try {
      k8s::watch(
          rest, k8s::kTrainJobs, ns, {.field_selector = "metadata.name=" + name}, job_version,
          [&](const std::string& type, const nlohmann::json& job) {
            if (type == "DELETED") {
              state.deleted = true;
              stop = true;
              return;
            }
            {
              std::lock_guard<std::mutex> lock(state.mutex);
              state.trainjob = job;
            }
            emit_if_changed(state, runtime, emit);
          },
          relist_job, stopped);
    } catch (...) {
      stop = true;
      pod_watcher.join();
      throw;
    }
    stop = true;
    pod_watcher.join();
    if (state.pod_error) std::rethrow_exception(state.pod_error);
    if (state.deleted) {
      throw Error(
          ErrorCode::kNotFound,
          fmt::format("TrainJob {}/{} was deleted while it was being watched", ns, name),
          {.http_status = 404, .reason = "NotFound", .kind = "TrainJob", .name = name, .ns = ns});
    }
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
    follow_container_log(rest, ns, pod, container_for_step(step), emit, cancelled);
  }

  TrainJobInfo get_job(const std::string& name) {
    auto trainjob = rest.get(k8s::kTrainJobs, ns, name);
    auto pods = rest.list(k8s::kPods, ns, {.label_selector = pod_selector(name)});
    std::vector<const nlohmann::json*> pod_ptrs;
    for (const auto& p : pods.at("items")) pod_ptrs.push_back(&p);
    const auto& ref = trainjob["spec"]["runtimeRef"];
    const std::string kind = ref.value("kind", kClusterKind);
    const RuntimeInfo runtime = runtime_for_job(kind, ref.value("name", ""), name);
    return job_from_objects(trainjob, pod_ptrs, runtime);
  }
};

TrainerApi::TrainerApi(config::ConnectionConfig connection, std::string namespace_name,
                       http::Timeouts timeouts)
    : impl_(std::make_shared<Impl>(std::move(connection), std::move(namespace_name), timeouts)) {}

TrainerApi::~TrainerApi() = default;

const std::string& TrainerApi::namespace_name() const noexcept { return impl_->ns; }

const std::string& TrainerApi::server() const noexcept { return impl_->shown_server; }

std::vector<RuntimeInfo> TrainerApi::list_runtimes() {
  std::vector<RuntimeInfo> result;
  std::set<std::string> names;
  auto add_all = [&](const nlohmann::json& list, const char* kind) {
    for (const auto& item : list.at("items")) {
      try {
        RuntimeInfo info = parse_runtime(item, kind);
        if (!names.insert(info.name).second) continue;
        impl_->remember(info);
        result.push_back(std::move(info));
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kInvalidArgument) throw;
      }
    }
  };
  try {
    add_all(impl_->rest.list(k8s::kTrainingRuntimes, impl_->ns), kNamespacedKind);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound) throw;
  }
  add_all(impl_->rest.list(k8s::kClusterTrainingRuntimes, ""), kClusterKind);
  return result;
}

RuntimeInfo TrainerApi::get_runtime(const std::string& name) {
  try {
    return impl_->fetch_runtime(kNamespacedKind, name);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound) throw;
  }
  try {
    return impl_->fetch_runtime(kClusterKind, name);
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
}

std::string TrainerApi::train(JobRequest request) {
  const nlohmann::json body = build_trainjob(request);
  (void)impl_->rest.create(k8s::kTrainJobs, impl_->ns, body);
  return request.name;
}

std::vector<TrainJobInfo> TrainerApi::list_jobs(const std::optional<std::string>& runtime) {
  auto jobs = impl_->rest.list(k8s::kTrainJobs, impl_->ns);
  auto pods = impl_->rest.list(k8s::kPods, impl_->ns, {.label_selector = pod_selector("")});
  std::map<std::string, std::vector<const nlohmann::json*>> pods_by_job;
  for (const auto& pod : pods.at("items")) {
    const auto& labels = pod["metadata"]["labels"];
    if (!labels.is_object()) continue;
    auto it = labels.find("jobset.sigs.k8s.io/jobset-name");
    if (it != labels.end() && it->is_string()) pods_by_job[it->get<std::string>()].push_back(&pod);
  }
  std::vector<TrainJobInfo> result;
  std::set<std::string> missing_runtimes;
  for (const auto& job : jobs.at("items")) {
    const auto& ref = job["spec"]["runtimeRef"];
    const std::string runtime_name = ref.value("name", "");
    if (runtime && runtime_name != *runtime) continue;
    const std::string name = job["metadata"].value("name", "");
    const RuntimeInfo rt = impl_->runtime_for_job(ref.value("kind", kClusterKind), runtime_name,
                                                  name, &missing_runtimes);
    result.push_back(job_from_objects(job, pods_by_job[name], rt));
  }
  return result;
}

TrainJobInfo TrainerApi::get_job(const std::string& name) { return impl_->get_job(name); }

void TrainerApi::delete_job(const std::string& name) {
  impl_->rest.remove(k8s::kTrainJobs, impl_->ns, name);
}

std::vector<std::string> TrainerApi::get_job_logs(const std::string& name,
                                                  const std::string& step) {
  const std::string pod = impl_->pod_for_step(name, step, /*started=*/true);
  const std::string path =
      fmt::format("{}/log?container={}", k8s::object_path(k8s::kPods, impl_->ns, pod),
                  k8s::url_encode(container_for_step(step)));
  return split_lines(impl_->rest.get_text(path, {"read logs of", "Pod", impl_->ns, pod, server()}));
}

std::shared_ptr<Stream<std::string>> TrainerApi::follow_job_logs(const std::string& name,
                                                                 const std::string& step) {
  auto impl = impl_;
  return std::make_shared<Stream<std::string>>(
      [impl, name, step](const Stream<std::string>::Emit& emit,
                         const Stream<std::string>::Cancelled& cancelled) {
        impl->follow_logs(name, step, emit, cancelled);
      });
}

std::shared_ptr<Stream<TrainJobInfo>> TrainerApi::watch_job(const std::string& name) {
  auto impl = impl_;
  return std::make_shared<Stream<TrainJobInfo>>(
      [impl, name](const Stream<TrainJobInfo>::Emit& emit,
                   const Stream<TrainJobInfo>::Cancelled& cancelled) {
        impl->watch_job(name, emit, cancelled);
      });
}

std::vector<EventInfo> TrainerApi::get_job_events(const std::string& name) {
  // The TrainJob GET reports a missing job as NotFound; the runtime is not needed here.
  (void)impl_->rest.get(k8s::kTrainJobs, impl_->ns, name);
  // Every pod of the job, restarted ones included: their events explain the restarts.
  auto pods = impl_->rest.list(k8s::kPods, impl_->ns, {.label_selector = pod_selector(name)});
  std::set<std::string> pod_names;
  for (const auto& pod : pods.at("items")) pod_names.insert(pod["metadata"].value("name", ""));
  auto events = impl_->rest.list(k8s::kEvents, impl_->ns);
  std::vector<EventInfo> result;
  for (const auto& e : events.at("items")) {
    const auto& obj = e["involvedObject"];
    if (!obj.is_object()) continue;
    const std::string kind = text_member(obj, "kind");
    const std::string obj_name = text_member(obj, "name");
    bool ours = false;
    if (kind == "TrainJob" || kind == "JobSet") ours = obj_name == name;
    if (kind == "Job") ours = is_child_job_name(obj_name, name);
    if (kind == "Pod") ours = pod_names.count(obj_name) > 0;
    if (!ours) continue;
    // events.k8s.io-style events carry only eventTime (firstTimestamp is null).
    std::string time = text_member(e, "firstTimestamp");
    if (time.empty()) time = text_member(e, "eventTime");
    if (time.empty()) time = text_member(e["metadata"], "creationTimestamp");
    result.push_back({kind, obj_name, text_member(e, "message"), text_member(e, "reason"), time});
  }
  std::stable_sort(result.begin(), result.end(), [](const auto& a, const auto& b) {
    return time_sort_key(a.event_time) < time_sort_key(b.event_time);
  });
  return result;
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
  }
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->version_read = true;
  impl_->version = version;
  return version;
}

long TrainerApi::request_count() const noexcept { return impl_->http->request_count(); }

}  // namespace kubeflow::trainer
