"""list_jobs(runtime) on the Kubernetes backend keeps the jobs of that runtime: same kind *and*
name (docs/differences.md, "Exact runtime lookup"); upstream compares the name only."""

from __future__ import annotations

import dataclasses

from kubeflow.trainer import RuntimeKind
from tests.python.integration.k8s_sim import client, create_training_runtime, create_trainjob


def test_list_jobs_filters_by_runtime_kind_and_name(cluster, namespace):
    # A namespaced TrainingRuntime with the name of the shipped ClusterTrainingRuntime.
    create_training_runtime(cluster, namespace, "torch-distributed", like="torch-distributed")
    create_trainjob(cluster, namespace, "on-cluster-runtime", kind="ClusterTrainingRuntime")
    create_trainjob(cluster, namespace, "on-namespaced-runtime", kind="TrainingRuntime")
    c = client(cluster, namespace)

    namespaced = c.get_runtime("torch-distributed")
    assert namespaced.kind is RuntimeKind.TRAINING_RUNTIME
    cluster_scoped = dataclasses.replace(namespaced, kind=RuntimeKind.CLUSTER_TRAINING_RUNTIME)

    assert [j.name for j in c.list_jobs(namespaced)] == ["on-namespaced-runtime"]
    assert [j.name for j in c.list_jobs(cluster_scoped)] == ["on-cluster-runtime"]
    assert sorted(j.name for j in c.list_jobs()) == ["on-cluster-runtime", "on-namespaced-runtime"]
