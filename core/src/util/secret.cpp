// SPDX-License-Identifier: Apache-2.0
#include "kubeflow/secret.hpp"

#include <openssl/crypto.h>

namespace kubeflow {

SecretString& SecretString::operator=(const SecretString& other) {
  if (this != &other) {
    wipe();
    value_ = other.value_;
  }
  return *this;
}

SecretString& SecretString::operator=(SecretString&& other) noexcept {
  if (this != &other) {
    wipe();
    value_ = std::move(other.value_);
    other.wipe();
  }
  return *this;
}

void SecretString::wipe() noexcept {
  // OPENSSL_cleanse cannot be optimized away, unlike a memset before free.
  if (!value_.empty()) OPENSSL_cleanse(value_.data(), value_.size());
  value_.clear();
}

}  // namespace kubeflow
