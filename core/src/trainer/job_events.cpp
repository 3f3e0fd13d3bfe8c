// SPDX-License-Identifier: Apache-2.0
#include "trainer/job_events.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include <nlohmann/json.hpp>

#include "trainer/job_status.hpp"
#include "trainer/log_follow.hpp"

namespace kubeflow::trainer {

namespace {

const nlohmann::json& member(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

// A list's "items", or an empty array when the list has none.
const nlohmann::json& items_of(const nlohmann::json& list) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  const auto& items = member(list, "items");
  return items.is_array() ? items : kEmpty;
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

}  // namespace

std::vector<EventInfo> events_of_job(const nlohmann::json& pod_list,
                                     const nlohmann::json& event_list, const std::string& name) {
  std::set<std::string> pod_names;
  for (const auto& pod : items_of(pod_list))
    pod_names.insert(text_member(member(pod, "metadata"), "name"));
  std::vector<EventInfo> result;
  for (const auto& e : items_of(event_list)) {
    const auto& obj = member(e, "involvedObject");
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
    if (time.empty()) time = text_member(member(e, "metadata"), "creationTimestamp");
    result.push_back({kind, obj_name, text_member(e, "message"), text_member(e, "reason"), time});
  }
  std::stable_sort(result.begin(), result.end(), [](const auto& a, const auto& b) {
    return time_sort_key(a.event_time) < time_sort_key(b.event_time);
  });
  return result;
}

std::vector<EventInfo> get_job_events(k8s::RestClient& rest, const std::string& ns,
                                      const std::string& name) {
  // The TrainJob GET reports a missing job as NotFound; the runtime is not needed here.
  (void)rest.get(k8s::kTrainJobs, ns, name);
  // Every pod of the job, restarted ones included: their events explain the restarts.
  const auto pods = rest.list(k8s::kPods, ns, {.label_selector = pod_selector(name)});
  return events_of_job(pods, rest.list(k8s::kEvents, ns), name);
}

}  // namespace kubeflow::trainer
