// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "kubeflow/error.hpp"
#include "kubeflow/secret.hpp"

TEST_CASE("secret: moved-from secret is empty", "[util]") {
  kubeflow::SecretString a{"token-value"};
  kubeflow::SecretString b{std::move(a)};
  CHECK(b.reveal() == "token-value");
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the wipe is what is tested
}

TEST_CASE("error: codes have stable names", "[util]") {
  CHECK(std::string{kubeflow::error_code_name(kubeflow::ErrorCode::kNotFound)} == "not_found");
  kubeflow::Error e{kubeflow::ErrorCode::kForbidden, "denied", {.http_status = 403}};
  CHECK(e.code() == kubeflow::ErrorCode::kForbidden);
  CHECK(e.details().http_status == 403);
}
