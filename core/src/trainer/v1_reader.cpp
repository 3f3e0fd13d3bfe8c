// SPDX-License-Identifier: Apache-2.0
#include "trainer/v1_reader.hpp"

#include <fmt/format.h>

#include "kubeflow/error.hpp"
#include "kubeflow/trainer/manifest.hpp"

namespace kubeflow::trainer {

namespace {

using nlohmann::json;

std::string crd_name(const V1Kind& kind) { return kind.plural + ".kubeflow.org"; }

Error crd_missing(const std::vector<const V1Kind*>& kinds, const std::string& ns) {
  std::vector<std::string> crds;
  crds.reserve(kinds.size());
  for (const auto* k : kinds) crds.push_back(crd_name(*k));
  return Error(
      ErrorCode::kNotFound,
      fmt::format("Training Operator v1 is not installed: the API server does not serve "
                  "{} (CRD {})",
                  kinds.size() == 1 ? kinds.front()->kind + "s" : "v1 jobs", fmt::join(crds, ", ")),
      {.hint = "Install Training Operator v1.9 (kubeflow.org/v1 CRDs) or use the "
               "cluster that runs your v1 jobs",
       .http_status = 404,
       .reason = "NotFound",
       .kind = kinds.size() == 1 ? kinds.front()->kind : std::string("CustomResource"),
       .ns = ns});
}

// The jobs of one kind; nullopt when its CRD is not served (a namespaced list of a served
// resource never answers 404, even in a namespace that does not exist).
std::optional<json> list_kind(k8s::RestClient& rest, const std::string& ns, const V1Kind& kind,
                              const k8s::ListOptions& options = {}) {
  try {
    return rest.list(v1_resource(kind), ns, options);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kNotFound) return std::nullopt;
    throw;
  }
}

}  // namespace

k8s::Resource v1_resource(const V1Kind& kind) {
  return {"kubeflow.org", "v1", kind.plural, kind.kind, true};
}

std::vector<V1JobInfo> list_v1_jobs(k8s::RestClient& rest, const std::string& ns,
                                    const std::optional<std::string>& kind) {
  std::vector<const V1Kind*> kinds;
  if (kind) {
    kinds.push_back(&v1_kind(*kind));
  } else {
    for (const auto& k : v1_kinds()) kinds.push_back(&k);
  }
  std::vector<std::pair<const V1Kind*, json>> lists;
  for (const auto* k : kinds) {
    if (auto list = list_kind(rest, ns, *k)) lists.emplace_back(k, std::move(*list));
  }
  if (lists.empty()) throw crd_missing(kinds, ns);
  const json pods = rest.list(k8s::kPods, ns, {.label_selector = v1_pod_selector("")});
  std::vector<V1JobInfo> result;
  for (const auto& [k, list] : lists) {
    for (const auto& job : list.at("items")) {
      const std::string name = job["metadata"].value("name", "");
      std::vector<const json*> own;
      for (const auto& pod : pods.at("items")) {
        if (v1_pod_of(*k, name, pod)) own.push_back(&pod);
      }
      result.push_back(v1_job_from_objects(*k, job, own));
    }
  }
  return result;
}

json stored_v1_job(k8s::RestClient& rest, const std::string& ns, const std::string& kind,
                   const std::string& name, bool allow_mxjob) {
  if (is_mxjob(kind) && !allow_mxjob) throw mxjob_removed_error(fmt::format("read MXJob/{}", name));
  const V1Kind& k = is_mxjob(kind) ? mxjob_kind() : v1_kind(kind);
  if (name.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "the v1 job name is empty", {.field = "name"});
  }
  // A list by name, not a GET: its 404 can only mean the CRD, so the two cases get their own
  // messages in one request.
  auto list = list_kind(rest, ns, k, {.field_selector = "metadata.name=" + name});
  if (!list) throw crd_missing({&k}, ns);
  const auto& items = list->at("items");
  if (items.empty()) {
    throw Error(
        ErrorCode::kNotFound, fmt::format("{} {}/{} not found", k.kind, ns, name),
        {.hint = fmt::format("List them with TrainerClient().list_v1_jobs(kind={:?})", k.kind),
         .http_status = 404,
         .reason = "NotFound",
         .kind = k.kind,
         .name = name,
         .ns = ns});
  }
  json job = items.front();
  // A list's items carry no apiVersion and kind; the converter needs them.
  job["apiVersion"] = "kubeflow.org/v1";
  job["kind"] = k.kind;
  return job;
}

V1JobInfo get_v1_job(k8s::RestClient& rest, const std::string& ns, const std::string& kind,
                     const std::string& name) {
  const json job = stored_v1_job(rest, ns, kind, name, false);
  const V1Kind& k = v1_kind(kind);
  const json pods = rest.list(k8s::kPods, ns, {.label_selector = v1_pod_selector(name)});
  std::vector<const json*> own;
  for (const auto& pod : pods.at("items")) {
    if (v1_pod_of(k, name, pod)) own.push_back(&pod);
  }
  return v1_job_from_objects(k, job, own);
}

json create_migrated(k8s::RestClient& rest, const std::string& ns, const json& manifest,
                     bool dry_run) {
  const std::string kind = manifest.is_object() ? manifest.value("kind", "") : std::string();
  if (kind != "TrainJob" && kind != "TrainingRuntime") {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("a migration creates TrainJobs and TrainingRuntimes only, got kind "
                            "{:?}",
                            kind),
                {.field = "kind", .hint = "Pass the manifests of migrate_v1_jobs()"});
  }
  json body;
  const k8s::Resource* resource = &k8s::kTrainJobs;
  if (kind == "TrainingRuntime") {
    // The TrainJob rules apply to a runtime too, with its own kind.
    json as_job = manifest;
    as_job["kind"] = "TrainJob";
    body = manifest_for_create(std::move(as_job), ns);
    body["kind"] = "TrainingRuntime";
    resource = &k8s::kTrainingRuntimes;
  } else {
    body = manifest_for_create(manifest, ns);
  }
  body["metadata"]["namespace"] = ns;
  return dry_run ? rest.create_dry_run(*resource, ns, body) : rest.create(*resource, ns, body);
}

}  // namespace kubeflow::trainer
