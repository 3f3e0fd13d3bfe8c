// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "http/line_splitter.hpp"

using kubeflow::http::LineSplitter;

namespace {

// Feeds `body` in chunks of `chunk` bytes and returns the lines delivered.
std::vector<std::string> split(const std::string& body, size_t chunk, LineSplitter& splitter) {
  std::vector<std::string> lines;
  for (size_t at = 0; at < body.size(); at += chunk) {
    REQUIRE(splitter.feed(std::string_view(body).substr(at, chunk), [&](std::string_view line) {
      lines.emplace_back(line);
      return true;
    }));
  }
  return lines;
}

}  // namespace

TEST_CASE("line splitter: the lines do not depend on where the chunks were cut", "[http]") {
  const std::string body = "first\nsecond\r\n\nfourth \r\nlast without end";
  const size_t chunk = GENERATE(1, 2, 3, 7, 100);
  LineSplitter splitter;
  CHECK(split(body, chunk, splitter) == std::vector<std::string>{"first", "second", "", "fourth "});
  CHECK(splitter.pending() == "last without end");
}

TEST_CASE("line splitter: only a '\\r' right before the '\\n' is dropped", "[http]") {
  LineSplitter splitter;
  CHECK(split("a\rb\r\r\n\rc\n", 1, splitter) == std::vector<std::string>{"a\rb\r", "\rc"});
  CHECK(splitter.pending().empty());
}

TEST_CASE("line splitter: a sink that returns false stops the chunk there", "[http]") {
  LineSplitter splitter;
  std::vector<std::string> seen;
  const bool go_on = splitter.feed("one\ntwo\nthree\n", [&](std::string_view line) {
    seen.emplace_back(line);
    return line != "two";
  });
  CHECK_FALSE(go_on);
  CHECK(seen == std::vector<std::string>{"one", "two"});
}

TEST_CASE("line splitter: a line over the limit keeps its start and says what was cut", "[http]") {
  const size_t chunk = GENERATE(1, 3, 5, 64);
  LineSplitter splitter(5);
  const std::string body = "short\n0123456789\r\nabcdef\nend";
  CHECK(split(body, chunk, splitter) == std::vector<std::string>{"short",
                                                                 "01234 [6 more bytes not shown]",
                                                                 "abcde [1 more bytes not shown]"});
  CHECK(splitter.pending() == "end");
}

TEST_CASE("line splitter: a line that never ends holds at most the limit", "[http]") {
  LineSplitter splitter(16);
  const std::string endless(1 << 20, 'x');
  for (int i = 0; i < 64; ++i) {
    REQUIRE(splitter.feed(endless, [](std::string_view) { return true; }));
    REQUIRE(splitter.pending().size() == 16);
  }
  CHECK(splitter.dropped() == 64 * endless.size() - 16);
  std::vector<std::string> seen;
  REQUIRE(splitter.feed("\nnext\n", [&](std::string_view line) {
    seen.emplace_back(line);
    return true;
  }));
  CHECK(seen == std::vector<std::string>{std::string(16, 'x') + " [" +
                                             std::to_string(64 * endless.size() - 16) +
                                             " more bytes not shown]",
                                         "next"});
}
