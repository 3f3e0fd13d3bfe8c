// SPDX-License-Identifier: Apache-2.0
#include "k8s/rest_client.hpp"

#include <curl/curl.h>

#include <cctype>

#include <fmt/format.h>

namespace kubeflow::k8s {

const Resource kTrainJobs{"trainer.kubeflow.org", "v1alpha1", "trainjobs", "TrainJob", true};
const Resource kTrainingRuntimes{"trainer.kubeflow.org", "v1alpha1", "trainingruntimes",
                                 "TrainingRuntime", true};
const Resource kClusterTrainingRuntimes{"trainer.kubeflow.org", "v1alpha1",
                                        "clustertrainingruntimes", "ClusterTrainingRuntime", false};
const Resource kPods{"", "v1", "pods", "Pod", true};
const Resource kEvents{"", "v1", "events", "Event", true};
const Resource kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};

std::string url_encode(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (unsigned char ch : value) {
    if (std::isalnum(ch) != 0 || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      out += fmt::format("%{:02X}", ch);
    }
  }
  return out;
}

std::string collection_path(const Resource& r, const std::string& ns) {
  std::string path = r.group.empty() ? fmt::format("/api/{}", r.version)
                                     : fmt::format("/apis/{}/{}", r.group, r.version);
  if (r.namespaced) path += "/namespaces/" + url_encode(ns);
  return path + "/" + r.plural;
}

std::string object_path(const Resource& r, const std::string& ns, const std::string& name) {
  // An empty name would make this the collection's path, turning a get or a delete of one
  // object into a list or a delete of every object in the namespace.
  if (name.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} name is empty: a request on one {} needs its name", r.kind, r.kind),
                {.field = "name", .kind = r.kind, .ns = ns});
  }
  return collection_path(r, ns) + "/" + url_encode(name);
}

nlohmann::json parse_body(const std::string& body, const RequestContext& context) {
  const nlohmann::json::parser_callback_t drop_managed_fields =
      [](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        return !(event == nlohmann::json::parse_event_t::key && depth >= 2 &&
                 parsed == "managedFields");
      };
  auto parsed = nlohmann::json::parse(body, drop_managed_fields, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    throw Error(ErrorCode::kServerError,
                fmt::format("{} {}: the API server sent a body that is not JSON ({} bytes)",
                            context.verb, context.kind, body.size()),
                {.kind = context.kind, .name = context.name, .ns = context.ns});
  }
  return parsed;
}

RestClient::RestClient(std::shared_ptr<http::HttpClient> http, http::Timeouts timeouts)
    : http_(std::move(http)), timeouts_(timeouts) {}

nlohmann::json RestClient::call(http::Request request, const RequestContext& context) {
  request.timeouts = timeouts_;
  const http::Response response = http_->perform(request);
  throw_if_failed(response, context);
  return parse_body(response.body, context);
}

nlohmann::json RestClient::get(const Resource& r, const std::string& ns, const std::string& name) {
  return call({.method = "GET", .path_and_query = object_path(r, ns, name)},
              {"get", r.kind, ns, name, http_->connection().server});
}

nlohmann::json RestClient::list(const Resource& r, const std::string& ns,
                                const ListOptions& options) {
  std::string path = collection_path(r, ns);
  char sep = '?';
  if (!options.label_selector.empty()) {
    path += fmt::format("{}labelSelector={}", sep, url_encode(options.label_selector));
    sep = '&';
  }
  if (!options.field_selector.empty()) {
    path += fmt::format("{}fieldSelector={}", sep, url_encode(options.field_selector));
  }
  return call({.method = "GET", .path_and_query = path},
              {"list", r.kind, ns, "", http_->connection().server});
}

nlohmann::json RestClient::create(const Resource& r, const std::string& ns,
                                  const nlohmann::json& body) {
  std::string name;
  if (auto m = body.find("metadata"); m != body.end() && m->is_object()) {
    name = m->value("name", "");
  }
  return call({.method = "POST",
               .path_and_query = collection_path(r, ns) + "?fieldValidation=Strict",
               .body = body.dump()},
              {"create", r.kind, ns, name, http_->connection().server});
}

nlohmann::json RestClient::patch(const Resource& r, const std::string& ns, const std::string& name,
                                 const nlohmann::json& patch, PatchType type,
                                 const std::string& subresource) {
  std::string content_type = "application/merge-patch+json";
  if (type == PatchType::kJson) content_type = "application/json-patch+json";
  if (type == PatchType::kStrategicMerge) {
    content_type = "application/strategic-merge-patch+json";
  }
  std::string path = object_path(r, ns, name);
  if (!subresource.empty()) path += "/" + subresource;
  return call({.method = "PATCH",
               .path_and_query = path,
               .body = patch.dump(),
               .content_type = content_type},
              {"patch", r.kind, ns, name, http_->connection().server});
}

void RestClient::remove(const Resource& r, const std::string& ns, const std::string& name) {
  // Foreground would block until children go; background matches kubectl's default.
  const nlohmann::json options = {
      {"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Background"}};
  (void)call(
      {.method = "DELETE", .path_and_query = object_path(r, ns, name), .body = options.dump()},
      {"delete", r.kind, ns, name, http_->connection().server});
}

std::string RestClient::get_text(const std::string& path_and_query, const RequestContext& context) {
  http::Request request{.method = "GET", .path_and_query = path_and_query};
  request.timeouts = timeouts_;
  http::Response response = http_->perform(request);
  throw_if_failed(response, context);
  return std::move(response.body);
}

void RestClient::stream(const std::string& path_and_query, const RequestContext& context,
                        const http::LineSink& sink, std::chrono::milliseconds total_timeout,
                        const http::CancelCheck& cancel) {
  http::Request request{.method = "GET", .path_and_query = path_and_query};
  request.timeouts = {.connect = timeouts_.connect, .total = total_timeout};
  const http::Response response = http_->stream_lines(request, sink, cancel);
  // A cancel is the caller's own decision, not a failure.
  if (response.curl_code == CURLE_ABORTED_BY_CALLBACK) return;
  throw_if_failed(response, context);
}

}  // namespace kubeflow::k8s
