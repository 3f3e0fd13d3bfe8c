// SPDX-License-Identifier: Apache-2.0
#include "config/base64.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <climits>
#include <memory>

namespace kubeflow::config::detail {

namespace {

struct EncodeCtxFree {
  void operator()(EVP_ENCODE_CTX* ctx) const noexcept { EVP_ENCODE_CTX_free(ctx); }
};

// The input may be a private key, so the scratch copies are wiped whatever the outcome.
struct Wiped {
  std::string value;
  ~Wiped() {
    if (!value.empty()) OPENSSL_cleanse(value.data(), value.size());
  }
};

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
  Wiped compact;
  compact.value.reserve(text.size());
  for (char c : text) {
    if (!is_space(c)) compact.value.push_back(c);
  }
  if (compact.value.empty()) return std::string{};
  // Go's StdEncoding, which kubectl uses, insists on padding; so do we.
  if (compact.value.size() % 4 != 0 || compact.value.size() > INT_MAX / 2) return std::nullopt;

  std::unique_ptr<EVP_ENCODE_CTX, EncodeCtxFree> ctx{EVP_ENCODE_CTX_new()};
  if (!ctx) return std::nullopt;
  EVP_DecodeInit(ctx.get());
  // EVP_DecodeUpdate buffers up to one 64-byte block, hence the slack.
  Wiped out;
  out.value.resize(compact.value.size() / 4 * 3 + 80);
  auto* dst = reinterpret_cast<unsigned char*>(out.value.data());
  int produced = 0;
  if (EVP_DecodeUpdate(ctx.get(), dst, &produced,
                       reinterpret_cast<const unsigned char*>(compact.value.data()),
                       static_cast<int>(compact.value.size())) < 0) {
    return std::nullopt;
  }
  int tail = 0;
  if (EVP_DecodeFinal(ctx.get(), dst + produced, &tail) < 0) return std::nullopt;
  out.value.resize(static_cast<std::size_t>(produced) + static_cast<std::size_t>(tail));
  std::string result = std::move(out.value);
  out.value.clear();
  return result;
}

}  // namespace kubeflow::config::detail
