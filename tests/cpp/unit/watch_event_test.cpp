// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "k8s/watch_event.hpp"

using kubeflow::k8s::parse_watch_event;
using Kind = kubeflow::k8s::WatchEvent::Kind;

TEST_CASE("watch event: an object event carries its type, object and resourceVersion", "[watch]") {
  const auto event = parse_watch_event(
      R"({"type":"MODIFIED","object":{"kind":"TrainJob","metadata":{"name":"a","resourceVersion":"7"}}})");
  CHECK(event.kind == Kind::kObject);
  CHECK(event.type == "MODIFIED");
  CHECK(event.object["metadata"]["name"] == "a");
  CHECK(event.resource_version == std::optional<std::string>("7"));
}

TEST_CASE("watch event: a bookmark only moves the resourceVersion", "[watch]") {
  const auto event =
      parse_watch_event(R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}})");
  CHECK(event.kind == Kind::kBookmark);
  CHECK(event.resource_version == std::optional<std::string>("9"));
}

TEST_CASE("watch event: ERROR 410 means list again, another ERROR fails with its message",
          "[watch]") {
  CHECK(parse_watch_event(R"({"type":"ERROR","object":{"kind":"Status","code":410}})").kind ==
        Kind::kGone);
  const auto forbidden =
      parse_watch_event(R"({"type":"ERROR","object":{"code":403,"message":"forbidden"}})");
  CHECK(forbidden.kind == Kind::kError);
  CHECK(forbidden.error_message == R"("forbidden")");
  // Without a Status object the whole event is the message, so nothing is lost.
  const auto bare = parse_watch_event(R"({"type":"ERROR","object":"gone away"})");
  CHECK(bare.kind == Kind::kError);
  CHECK(bare.error_message == R"({"object":"gone away","type":"ERROR"})");
}

TEST_CASE("watch event: empty lines, non-JSON and non-objects are ignored", "[watch]") {
  for (const char* line : {"", "not json", "[1,2]", "\"text\"", "{\"type\":"}) {
    INFO(line);
    CHECK(parse_watch_event(line).kind == Kind::kIgnored);
  }
}

TEST_CASE("watch event: a resourceVersion that is not a string is not taken", "[watch]") {
  const auto event =
      parse_watch_event(R"({"type":"ADDED","object":{"metadata":{"resourceVersion":12}}})");
  CHECK(event.kind == Kind::kObject);
  CHECK_FALSE(event.resource_version.has_value());
}
