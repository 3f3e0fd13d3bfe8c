// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "failure.hpp"

#include "k8s/rest_client.hpp"

using kubeflow::ErrorCode;
using kubeflow::testing::Failure;
using kubeflow::testing::failure_of_call;

TEST_CASE("rest: an object path needs a name, so no call can address the whole collection",
          "[rest]") {
  const Failure f = failure_of_call(
      [] { static_cast<void>(kubeflow::k8s::object_path(kubeflow::k8s::kTrainJobs, "ns", "")); });
  CHECK(f.code == ErrorCode::kInvalidArgument);
  CHECK(f.field == "name");
  CHECK_THAT(f.message, Catch::Contains("TrainJob name is empty"));
}

TEST_CASE("rest: an object path is the collection path plus the encoded name", "[rest]") {
  CHECK(kubeflow::k8s::object_path(kubeflow::k8s::kTrainJobs, "ns", "a b") ==
        "/apis/trainer.kubeflow.org/v1alpha1/namespaces/ns/trainjobs/a%20b");
}
