// SPDX-License-Identifier: Apache-2.0
// Training Operator v1: the jobs the core reads back, and the converter to v2 manifests.
// Registered before TrainerApi so that its signatures name these classes.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11_json/pybind11_json.hpp>

#include "bind.hpp"
#include "kubeflow/trainer/v1_job.hpp"
#include "kubeflow/trainer/v1_migrate.hpp"

namespace py = pybind11;

namespace kubeflow::bindings {

void bind_v1(py::module_& m) {
  using trainer::V1JobInfo;
  using trainer::V1ReplicaInfo;
  py::class_<V1ReplicaInfo>(m, "V1ReplicaInfo")
      .def_readonly("type", &V1ReplicaInfo::type)
      .def_readonly("replicas", &V1ReplicaInfo::replicas)
      .def_readonly("restart_policy", &V1ReplicaInfo::restart_policy)
      .def_readonly("image", &V1ReplicaInfo::image)
      .def_readonly("active", &V1ReplicaInfo::active)
      .def_readonly("succeeded", &V1ReplicaInfo::succeeded)
      .def_readonly("failed", &V1ReplicaInfo::failed);

  py::class_<V1JobInfo>(m, "V1JobInfo")
      .def_readonly("kind", &V1JobInfo::kind)
      .def_readonly("name", &V1JobInfo::name)
      .def_readonly("namespace", &V1JobInfo::namespace_name)
      .def_readonly("creation_timestamp", &V1JobInfo::creation_timestamp)
      .def_readonly("replicas", &V1JobInfo::replicas)
      .def_readonly("status", &V1JobInfo::status)
      .def_readonly("message", &V1JobInfo::message)
      .def_readonly("conditions", &V1JobInfo::conditions)
      .def_readonly("steps", &V1JobInfo::steps)
      .def_readonly("start_time", &V1JobInfo::start_time)
      .def_readonly("completion_time", &V1JobInfo::completion_time);

  py::class_<trainer::MigrationNote>(m, "MigrationNote")
      .def_readonly("job", &trainer::MigrationNote::job)
      .def_readonly("field", &trainer::MigrationNote::field)
      .def_readonly("reason", &trainer::MigrationNote::reason);

  py::class_<trainer::Migration>(m, "Migration")
      .def_readonly("manifests", &trainer::Migration::manifests)
      .def_readonly("report", &trainer::Migration::report);

  m.def(
      "migrate_v1_jobs",
      [](const std::vector<nlohmann::json>& jobs, bool allow_mxjob) {
        return trainer::migrate_v1_jobs(jobs, {.allow_mxjob = allow_mxjob});
      },
      py::arg("jobs"), py::arg("allow_mxjob"),
      "v2 manifests and a report from v1 job objects; raises ValidationError.");
  m.def("v1_jobs_from_text", &trainer::v1_jobs_from_text, py::arg("text"), py::arg("source"),
        "The v1 job objects of YAML/JSON text (documents, Lists); raises ValidationError.");
  m.def(
      "v1_kind_names",
      [] {
        std::vector<std::string> names;
        for (const auto& k : trainer::v1_kinds()) names.push_back(k.kind);
        return names;
      },
      "The v1.9 job kinds.");
}

}  // namespace kubeflow::bindings
