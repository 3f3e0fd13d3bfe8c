// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace kubeflow::trainer {

/// A TrainJob manifest as YAML a human can read and kubectl can apply: keys sorted, multi-line
/// strings as literal blocks where yaml-cpp can write them exactly (one final newline, no
/// leading space: it writes no chomping or indentation indicators), others double-quoted, and
/// every string that YAML would read as another type (`"true"`, `"1"`, `""`) quoted, so
/// manifest_from_text gives back the same JSON.
[[nodiscard]] std::string manifest_to_yaml(const nlohmann::json& manifest);

/// One manifest from YAML or JSON text (`source` names it in errors). Throws
/// Error{kInvalidArgument} for malformed text, or text that is not one mapping.
[[nodiscard]] nlohmann::json manifest_from_text(const std::string& text, const std::string& source);

/// The manifest made ready to create in `ns`: it must be a trainer.kubeflow.org/v1alpha1
/// TrainJob with a metadata.name, and a metadata.namespace, if any, must be `ns`. What the
/// server set on an object read back (status, uid, resourceVersion, creationTimestamp,
/// generation, managedFields) is dropped, so `get -o yaml` output can be submitted again. Throws
/// Error{kInvalidArgument} naming the field.
[[nodiscard]] nlohmann::json manifest_for_create(nlohmann::json manifest, const std::string& ns);

}  // namespace kubeflow::trainer
