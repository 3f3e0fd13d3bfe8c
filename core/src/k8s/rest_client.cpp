// SPDX-License-Identifier: Apache-2.0
#include "k8s/rest_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "k8s/retry.hpp"

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
        // Compared as a string_view: `parsed == "managedFields"` would build a json (and
        // allocate) for every key of the body.
        return !(event == nlohmann::json::parse_event_t::key && depth >= 2 && parsed.is_string() &&
                 parsed.get_ref<const std::string&>() == std::string_view("managedFields"));
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

RestClient::RestClient(std::shared_ptr<http::HttpClient> http, http::Timeouts timeouts,
                       StreamDeadlines streams)
    : http_(std::move(http)), timeouts_(timeouts), streams_(streams) {}

http::Response RestClient::attempt(http::Request request, std::chrono::milliseconds total) {
  request.timeouts = {.connect = std::min(timeouts_.connect, total), .total = total};
  return http_->perform(request);
}

std::string RestClient::body_of(const http::Request& request, const RequestContext& context,
                                Retry retry) {
  RetryBackoff backoff(std::chrono::steady_clock::now() + timeouts_.total);
  for (bool retried = false;; retried = true) {
    http::Response response = attempt(request, backoff.remaining());
    if (response.curl_code == 0 && response.status >= 200 && response.status < 300) {
      return std::move(response.body);
    }
    // A DELETE whose answer was lost did its work: the retry finding nothing is success.
    if (retried && retry == Retry::kDelete && response.curl_code == 0 && response.status == 404) {
      return "{}";
    }
    Error error = error_from_response(response, context);
    if (retry == Retry::kNever || !RetryBackoff::retryable(error) || !backoff.wait_after(error)) {
      throw error;
    }
  }
}

nlohmann::json RestClient::call(const http::Request& request, const RequestContext& context,
                                Retry retry) {
  return parse_body(body_of(request, context, retry), context);
}

nlohmann::json RestClient::get(const Resource& r, const std::string& ns, const std::string& name) {
  return call({.method = "GET", .path_and_query = object_path(r, ns, name)},
              {"get", r.kind, ns, name, http_->connection().server}, Retry::kIdempotent);
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
              {"list", r.kind, ns, "", http_->connection().server}, Retry::kIdempotent);
}

nlohmann::json RestClient::create(const Resource& r, const std::string& ns,
                                  const nlohmann::json& body) {
  std::string name;
  if (auto m = body.find("metadata"); m != body.end() && m->is_object()) {
    name = m->value("name", "");
  }
  const RequestContext context{"create", r.kind, ns, name, http_->connection().server};
  const http::Request request{.method = "POST",
                              .path_and_query = collection_path(r, ns) + "?fieldValidation=Strict",
                              .body = body.dump()};
  RetryBackoff backoff(std::chrono::steady_clock::now() + timeouts_.total);
  bool outcome_unknown = false;  // a create was sent and its answer lost
  while (true) {
    if (outcome_unknown && !name.empty()) {
      // Did the lost create happen? Read the object back before creating again.
      const http::Response read = attempt(
          {.method = "GET", .path_and_query = object_path(r, ns, name)}, backoff.remaining());
      if (read.curl_code == 0 && read.status == 200) {
        nlohmann::json stored = parse_body(read.body, context);
        if (contains_all_of(stored, body)) return stored;
        outcome_unknown = false;  // someone else's object: the create below reports 409
      } else if (read.curl_code != 0 || read.status != 404) {
        Error error = error_from_response(read, {"get", r.kind, ns, name, context.server});
        if (!RetryBackoff::retryable(error) || !backoff.wait_after(error)) throw error;
        continue;
      }
    }
    const http::Response response = attempt(request, backoff.remaining());
    if (response.curl_code == 0 && response.status >= 200 && response.status < 300) {
      return parse_body(response.body, context);
    }
    if (outcome_unknown && response.curl_code == 0 && response.status == 409) {
      continue;  // created meanwhile (by our lost attempt?): read it back
    }
    Error error = error_from_response(response, context);
    if (!RetryBackoff::retryable(error) || !backoff.wait_after(error)) throw error;
    // A 429 is answered before anything is stored; after anything else the object may exist.
    outcome_unknown = !(response.curl_code == 0 && response.status == 429);
  }
}

nlohmann::json RestClient::create_dry_run(const Resource& r, const std::string& ns,
                                          const nlohmann::json& body) {
  std::string name;
  if (auto m = body.find("metadata"); m != body.end() && m->is_object()) {
    name = m->value("name", "");
  }
  return call({.method = "POST",
               .path_and_query = collection_path(r, ns) + "?fieldValidation=Strict&dryRun=All",
               .body = body.dump()},
              {"create (dry run)", r.kind, ns, name, http_->connection().server},
              Retry::kIdempotent);
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
              {"patch", r.kind, ns, name, http_->connection().server}, Retry::kNever);
}

void RestClient::remove(const Resource& r, const std::string& ns, const std::string& name) {
  // Foreground would block until children go; background matches kubectl's default.
  const nlohmann::json options = {
      {"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Background"}};
  (void)call(
      {.method = "DELETE", .path_and_query = object_path(r, ns, name), .body = options.dump()},
      {"delete", r.kind, ns, name, http_->connection().server}, Retry::kDelete);
}

std::string RestClient::get_text(const std::string& path_and_query, const RequestContext& context) {
  return body_of({.method = "GET", .path_and_query = path_and_query}, context, Retry::kIdempotent);
}

StreamEnd RestClient::stream(const std::string& path_and_query, const RequestContext& context,
                             const http::LineSink& sink, std::chrono::milliseconds total_timeout,
                             std::chrono::milliseconds idle_timeout,
                             const http::CancelCheck& cancel, std::size_t max_line_bytes) {
  http::Request request{
      .method = "GET", .path_and_query = path_and_query, .max_line_bytes = max_line_bytes};
  request.timeouts = {.connect = timeouts_.connect, .total = total_timeout, .idle = idle_timeout};
  const http::Response response = http_->stream_lines(request, sink, cancel);
  // A cancel is the caller's own decision, not a failure.
  if (response.curl_code == CURLE_ABORTED_BY_CALLBACK) return StreamEnd::kFinished;
  if (response.idle_expired && response.status >= 200 && response.status < 300) {
    return StreamEnd::kSilent;
  }
  throw_if_failed(response, context);
  return StreamEnd::kFinished;
}

}  // namespace kubeflow::k8s
