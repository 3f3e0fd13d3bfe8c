// SPDX-License-Identifier: Apache-2.0
#include "trainer/job_watch.hpp"

#include <atomic>
#include <exception>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "k8s/watch.hpp"
#include "kubeflow/error.hpp"
#include "kubeflow/lifecycle.hpp"
#include "trainer/job_status.hpp"

namespace kubeflow::trainer {

namespace {

// State shared by the TrainJob watch (the calling thread) and the pod watch (a helper thread).
struct JobWatchState {
  std::mutex mutex;
  nlohmann::json trainjob;
  std::map<std::string, nlohmann::json> pods;
  std::string last_signature;
  std::exception_ptr pod_error;
  bool deleted = false;
};

// What a waiting user sees: the status, each step's phase and what holds it back, the
// conditions and the trainer's reported progress. A change to any of them is emitted; pod
// heartbeats and the like are not.
std::string signature(const TrainJobInfo& info) {
  std::string s = info.status;
  auto out = std::back_inserter(s);
  for (const auto& step : info.steps) {
    fmt::format_to(out, "|{}={}:{}:{}", step.name, step.status.value_or(""), step.waiting_reason,
                   step.waiting_message);
  }
  for (const auto& c : info.conditions) {
    fmt::format_to(out, "|{}={}:{}:{}", c.type, c.status, c.reason, c.message);
  }
  if (info.trainer_status) {
    const auto& t = *info.trainer_status;
    fmt::format_to(out, "|trainer={}:{}", t.progress_percentage.value_or(-1),
                   t.estimated_remaining_seconds.value_or(-1));
    for (const auto& [metric, value] : t.metrics) fmt::format_to(out, "|{}={}", metric, value);
  }
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

}  // namespace

void watch_job(k8s::RestClient& rest, const std::string& ns, RuntimeResolver& runtimes,
               const std::string& name, const Stream<TrainJobInfo>::Emit& emit,
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
  auto get_job = [&] {
    auto job = rest.get(k8s::kTrainJobs, ns, name);
    std::lock_guard<std::mutex> lock(state.mutex);
    state.trainjob = job;
    return job["metadata"].value("resourceVersion", "");
  };
  const std::string job_version = get_job();  // NotFound for a missing job
  const std::string pod_version = relist_pods();
  const auto& ref = state.trainjob["spec"]["runtimeRef"];
  const RuntimeInfo runtime =
      runtimes.for_job(ref.value("kind", kClusterRuntimeKind), ref.value("name", ""), name);
  emit_if_changed(state, runtime, emit);

  std::atomic<bool> stop{false};
  auto stopped = [&] { return stop.load() || cancelled(); };
  const k8s::ListOptions job_options{.field_selector = "metadata.name=" + name};
  // After a 410 the watch starts again from a list: the list's resourceVersion is "now", where
  // the object's own is its last change, which an API server that restarted since may no
  // longer serve (410 again, forever). What the list shows is emitted at once: the changes
  // missed may have been the last ones.
  auto relist_job = [&] {
    auto list = rest.list(k8s::kTrainJobs, ns, job_options);
    {
      std::lock_guard<std::mutex> lock(state.mutex);
      if (list["items"].empty()) {
        state.deleted = true;  // deleted during the outage
        stop = true;
      } else {
        state.trainjob = list["items"][0];
      }
    }
    if (!stop) emit_if_changed(state, runtime, emit);
    return list["metadata"].value("resourceVersion", "");
  };
  auto relist_pods_and_emit = [&] {
    auto version = relist_pods();
    emit_if_changed(state, runtime, emit);
    return version;
  };
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
          relist_pods_and_emit, stopped);
    } catch (...) {
      std::lock_guard<std::mutex> lock(state.mutex);
      state.pod_error = std::current_exception();
      stop = true;
    }
  });
  try {
    k8s::watch(
        rest, k8s::kTrainJobs, ns, job_options, job_version,
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

}  // namespace kubeflow::trainer
