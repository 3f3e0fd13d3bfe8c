// SPDX-License-Identifier: Apache-2.0
#include <curl/curl.h>

#include <catch2/catch.hpp>

#include "k8s/retry.hpp"
#include "k8s/status.hpp"

using kubeflow::Error;
using kubeflow::ErrorCode;
using kubeflow::http::Response;
using kubeflow::k8s::RequestContext;
using kubeflow::k8s::throw_if_failed;

namespace {

const RequestContext kCreate{"create", "TrainJob", "team-a", "job-1", "https://127.0.0.1:6443"};

Error caught(const Response& r) {
  try {
    throw_if_failed(r, kCreate);
  } catch (const Error& e) {
    return e;
  }
  FAIL("no error thrown");
  return Error(ErrorCode::kInternal, "unreachable");
}

std::string status_body(int code, const std::string& reason, const std::string& message) {
  return R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":")" + message +
         R"(","reason":")" + reason + R"(","code":)" + std::to_string(code) + "}";
}

}  // namespace

TEST_CASE("status: 2xx is not an error", "[status]") {
  CHECK_NOTHROW(throw_if_failed(Response{.status = 201, .body = "{}"}, kCreate));
}

TEST_CASE("status: HTTP codes map to error codes", "[status]") {
  using Row = std::tuple<long, std::string, ErrorCode>;
  auto [status, reason, code] = GENERATE(
      Row{401, "Unauthorized", ErrorCode::kUnauthorized},
      Row{403, "Forbidden", ErrorCode::kForbidden}, Row{404, "NotFound", ErrorCode::kNotFound},
      Row{409, "AlreadyExists", ErrorCode::kAlreadyExists},
      Row{409, "Conflict", ErrorCode::kConflict}, Row{422, "Invalid", ErrorCode::kInvalid},
      Row{400, "BadRequest", ErrorCode::kInvalid},
      Row{429, "TooManyRequests", ErrorCode::kTooManyRequests},
      Row{500, "InternalError", ErrorCode::kServerError}, Row{504, "Timeout", ErrorCode::kTimeout},
      Row{418, "", ErrorCode::kApi});
  const Error e = caught(
      {.status = status, .body = status_body(static_cast<int>(status), reason, "server says no")});
  CHECK(e.code() == code);
  CHECK(e.details().http_status == status);
  CHECK(e.details().reason == reason);
  CHECK(e.details().server_message == "server says no");
  CHECK(std::string(e.what()).find("server says no") != std::string::npos);
  CHECK(std::string(e.what()).find("create TrainJob team-a/job-1 failed: HTTP " +
                                   std::to_string(status)) == 0);
}

TEST_CASE("status: forbidden names verb and namespace in the hint", "[status]") {
  const Error e = caught({.status = 403, .body = status_body(403, "Forbidden", "denied")});
  CHECK(e.details().hint ==
        "Ask a cluster administrator for RBAC permission to create this resource in namespace "
        "team-a");
}

TEST_CASE("status: an admission webhook's denial is an invalid object, not RBAC", "[status]") {
  // The wording the API server gives a webhook's denial; webhooks deny with 403 by default.
  const std::string denial =
      R"(admission webhook \"validate.trainjob.trainer.kubeflow.org\" denied the request: )"
      "spec.trainer.env: must not have reserved envs";
  const Error e = caught({.status = 403, .body = status_body(403, "", denial)});
  CHECK(e.code() == ErrorCode::kInvalid);
  CHECK(e.details().http_status == 403);
  CHECK(e.details().hint.find("admission webhook") != std::string::npos);
  CHECK(std::string(e.what()).find("must not have reserved envs") != std::string::npos);
  CHECK(std::string(e.what()).find("RBAC") == std::string::npos);

  // A 403 that merely mentions a webhook is still a permission problem.
  const Error rbac =
      caught({.status = 403,
              .body = status_body(403, "Forbidden", "user cannot create admission webhook")});
  CHECK(rbac.code() == ErrorCode::kForbidden);
}

TEST_CASE("status: causes and retry-after are kept", "[status]") {
  const std::string body =
      R"({"kind":"Status","status":"Failure","message":"bad","reason":"Invalid","code":422,
          "details":{"causes":[{"reason":"FieldValueInvalid","message":"must be lowercase",
          "field":"metadata.name"}],"retryAfterSeconds":3}})";
  const Error e = caught({.status = 422, .body = body});
  REQUIRE(e.details().causes.size() == 1);
  CHECK(e.details().causes[0].field == "metadata.name");
  CHECK(e.details().causes[0].message == "must be lowercase");
  CHECK(e.details().retry_after_seconds == Approx(3));

  const Error throttled = caught({.status = 429, .body = "slow down", .retry_after = "7"});
  CHECK(throttled.details().retry_after_seconds == Approx(7));
  CHECK(throttled.details().server_message == "slow down");
}

TEST_CASE("status: curl failures are transport or timeout errors", "[status]") {
  const Error refused =
      caught({.curl_code = CURLE_COULDNT_CONNECT, .curl_error = "Couldn't connect to server"});
  CHECK(refused.code() == ErrorCode::kTransport);
  CHECK(std::string(refused.what()).find("https://127.0.0.1:6443") != std::string::npos);
  const Error slow = caught({.curl_code = CURLE_OPERATION_TIMEDOUT, .curl_error = "timeout"});
  CHECK(slow.code() == ErrorCode::kTimeout);
}

TEST_CASE("status: an error status with a broken connection is the status (413)", "[status]") {
  Response r;
  r.status = 413;
  r.curl_code = CURLE_PARTIAL_FILE;
  r.curl_error = "Transferred a partial file";
  const Error e = caught(r);
  CHECK(e.code() == ErrorCode::kApi);
  CHECK(e.details().http_status == 413);
  CHECK(std::string(e.what()).find("partial file") == std::string::npos);
}

TEST_CASE("status: http:// to an HTTPS port and a bad client key are config errors", "[status]") {
  Response plain;
  plain.status = 400;
  plain.body = "Client sent an HTTP request to an HTTPS server.\n";
  CHECK(caught(plain).code() == ErrorCode::kConfig);
  Response key;
  key.curl_code = CURLE_SSL_CERTPROBLEM;
  key.curl_error = "Problem with the local SSL certificate";
  CHECK(caught(key).code() == ErrorCode::kConfig);
}

TEST_CASE("status: a server certificate that fails verification is a config error, not retried",
          "[status]") {
  const Error e = caught({.curl_code = CURLE_PEER_FAILED_VERIFICATION,
                          .curl_error = "SSL: no alternative certificate subject name matches "
                                        "target host name '127.0.0.2'"});
  CHECK(e.code() == ErrorCode::kConfig);
  CHECK(e.details().field == "certificate-authority-data");
  const std::string message = e.what();
  CHECK(message.find("'127.0.0.2'") != std::string::npos);
  CHECK(message.find("tls-server-name") != std::string::npos);
  CHECK_FALSE(kubeflow::k8s::RetryBackoff::retryable(e));
}

TEST_CASE("status: a password in the server URL never reaches a message", "[status]") {
  const RequestContext context{"get", "TrainJob", "ns", "a", "https://bob:pw-42@10.0.0.1:6443/x"};
  Response r;
  r.curl_code = CURLE_COULDNT_CONNECT;
  r.curl_error = "Couldn't connect to server";
  const std::string message = kubeflow::k8s::error_from_response(r, context).what();
  CHECK(message.find("pw-42") == std::string::npos);
  CHECK(message.find("https://***@10.0.0.1:6443/x") != std::string::npos);
  CHECK(kubeflow::http::redact_url("https://h:1/p@q") == "https://h:1/p@q");
}

TEST_CASE("status: a Status with fields of unexpected types still maps", "[status]") {
  Response r;
  r.status = 422;
  r.body = R"({"kind":"Status","message":7,"reason":null,"details":{"causes":["x",{"field":1}]}})";
  CHECK(caught(r).code() == ErrorCode::kInvalid);
}
