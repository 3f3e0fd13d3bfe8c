"""Plays the missing Trainer, JobSet and kubelet controllers for the Kubernetes-backend tests.

The test control plane has no controllers: a TrainJob created through TrainerClient is never
reconciled. These helpers create what the controllers would (pods with the JobSet labels,
status conditions, events, the runtime snapshot ConfigMap) through the admin REST helper, and
read objects back so tests compare what reached the server, not what the client meant to send.
"""

from __future__ import annotations

import copy
import time
from datetime import datetime, timezone
from typing import Any

import yaml

from kubeflow.trainer import KubernetesBackendConfig, TrainerClient

TRAINER_API = "/apis/trainer.kubeflow.org/v1alpha1"
JOBSET_NAME = "jobset.sigs.k8s.io/jobset-name"
REPLICATED_JOB = "jobset.sigs.k8s.io/replicatedjob-name"
COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
SHIPPED_RUNTIMES = {
    "deepspeed-distributed",
    "jax-distributed",
    "mlx-distributed",
    "torch-distributed",
    "torchtune-llama3.2-1b",
    "torchtune-llama3.2-3b",
    "torchtune-qwen2.5-1.5b",
    "xgboost-distributed",
}


def client(cluster: Any, namespace: str, kubeconfig: str | None = None) -> TrainerClient:
    """A TrainerClient on the Kubernetes backend, bound to ``namespace``."""
    return TrainerClient(
        KubernetesBackendConfig(
            config_file=kubeconfig or cluster.admin_kubeconfig, namespace=namespace
        )
    )


def trainjobs_path(namespace: str, name: str = "") -> str:
    path = f"{TRAINER_API}/namespaces/{namespace}/trainjobs"
    return f"{path}/{name}" if name else path


def get_trainjob(cluster: Any, namespace: str, name: str) -> dict:
    """The TrainJob as the API server stores it."""
    return cluster.kube.get(trainjobs_path(namespace, name))


def trainjob_names(cluster: Any, namespace: str) -> list[str]:
    return sorted(i["metadata"]["name"] for i in cluster.kube.list(trainjobs_path(namespace)))


def create_trainjob(
    cluster: Any,
    namespace: str,
    name: str,
    runtime: str = "torch-distributed",
    kind: str = "ClusterTrainingRuntime",
    num_nodes: int | None = None,
) -> dict:
    """Creates a TrainJob directly through the API (as kubectl would)."""
    spec: dict[str, Any] = {"runtimeRef": {"name": runtime, "kind": kind}}
    if num_nodes is not None:
        spec["trainer"] = {"numNodes": num_nodes}
    body = {
        "apiVersion": "trainer.kubeflow.org/v1alpha1",
        "kind": "TrainJob",
        "metadata": {"name": name},
        "spec": spec,
    }
    return cluster.kube.create(trainjobs_path(namespace), body)


def create_pod(
    cluster: Any,
    namespace: str,
    job: str,
    role: str,
    index: int = 0,
    *,
    name: str | None = None,
    phase: str | None = None,
    limits: dict | None = None,
    env: list | None = None,
    container: str | None = None,
    node: str | None = None,
) -> dict:
    """A pod as JobSet would create it for replicated job ``role`` of TrainJob ``job``.

    The container is named like upstream's runtimes: ``node`` for node and launcher pods, the
    role for initializer pods. ``phase`` is set through the status subresource (no kubelet).
    ``node`` binds it to a Node (e.g. tests/support/log_kubelet's, which serves its log).
    """
    name = name or f"{job}-{role}-0-{index}-x{index}"
    labels = {JOBSET_NAME: job, REPLICATED_JOB: role}
    if role in ("node", "launcher"):
        labels[COMPLETION_INDEX] = str(index)
    main: dict[str, Any] = {
        "name": container or (role if "initializer" in role else "node"),
        "image": "example.com/trainer:test",
    }
    if limits:
        main["resources"] = {"limits": limits, "requests": limits}
    if env:
        main["env"] = env
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [main], "terminationGracePeriodSeconds": 0},
    }
    if node:
        pod["spec"]["nodeName"] = node
    created = cluster.kube.create(f"/api/v1/namespaces/{namespace}/pods", pod)
    if phase:
        created = set_pod_phase(cluster, namespace, name, phase)
    return created


def set_pod_phase(cluster: Any, namespace: str, pod: str, phase: str) -> dict:
    return cluster.kube.patch_status(f"/api/v1/namespaces/{namespace}/pods/{pod}", {"phase": phase})


def condition(type_: str, status: str = "True", reason: str = "", message: str = "") -> dict:
    return {
        "type": type_,
        "status": status,
        "reason": reason or type_,
        "message": message or f"{type_} is {status}",
        "lastTransitionTime": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def set_conditions(cluster: Any, namespace: str, job: str, *conditions: dict) -> dict:
    """Replaces the TrainJob's status conditions, as the Trainer controller would."""
    return cluster.kube.patch_status(
        trainjobs_path(namespace, job), {"conditions": list(conditions)}
    )


def create_event(
    cluster: Any,
    namespace: str,
    kind: str,
    name: str,
    reason: str,
    message: str,
    first_timestamp: str | None = None,
    event_time: str | None = None,
    event_name: str | None = None,
) -> dict:
    """A core/v1 Event about ``kind``/``name``; events.k8s.io style when only ``event_time``."""
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": event_name or f"{name}.{reason.lower()}.{time.monotonic_ns()}"},
        "involvedObject": {"kind": kind, "name": name, "namespace": namespace},
        "reason": reason,
        "message": message,
        "type": "Normal",
    }
    if first_timestamp:
        body["firstTimestamp"] = body["lastTimestamp"] = first_timestamp
    if event_time:
        body.update(
            eventTime=event_time,
            reportingComponent="test-controller",
            reportingInstance="test",
            action="Test",
        )
    return cluster.kube.create(f"/api/v1/namespaces/{namespace}/events", body)


def cluster_runtime(cluster: Any, name: str) -> dict:
    return cluster.kube.get(f"{TRAINER_API}/clustertrainingruntimes/{name}")


def create_training_runtime(
    cluster: Any,
    namespace: str,
    name: str,
    *,
    like: str,
    image: str | None = None,
    num_nodes: int | None = None,
    limits: dict | None = None,
    framework: str | None = "<same>",
) -> dict:
    """A namespaced TrainingRuntime copied from the shipped ClusterTrainingRuntime ``like``."""
    source = cluster_runtime(cluster, like)
    spec = copy.deepcopy(source["spec"])
    labels = dict(source["metadata"].get("labels") or {})
    if framework is None:
        labels.pop("trainer.kubeflow.org/framework", None)
    elif framework != "<same>":
        labels["trainer.kubeflow.org/framework"] = framework
    if num_nodes is not None:
        spec["mlPolicy"]["numNodes"] = num_nodes
    for rjob in spec["template"]["spec"]["replicatedJobs"]:
        for c in rjob["template"]["spec"]["template"]["spec"]["containers"]:
            if c["name"] == "node":
                if image:
                    c["image"] = image
                if limits:
                    c["resources"] = {"limits": limits}
    body = {
        "apiVersion": "trainer.kubeflow.org/v1alpha1",
        "kind": "TrainingRuntime",
        "metadata": {"name": name, "labels": labels},
        "spec": spec,
    }
    return cluster.kube.create(f"{TRAINER_API}/namespaces/{namespace}/trainingruntimes", body)


def create_runtime_snapshot(cluster: Any, namespace: str, job: str, runtime: dict) -> dict:
    """The ``<job>-runtime-snapshot`` ConfigMap Trainer 2.3 writes on first reconcile."""
    snapshot = {k: runtime[k] for k in ("apiVersion", "kind", "spec")}
    snapshot["metadata"] = {
        "name": runtime["metadata"]["name"],
        "labels": runtime["metadata"].get("labels") or {},
    }
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"{job}-runtime-snapshot"},
        "data": {"runtime": yaml.safe_dump(snapshot)},
    }
    return cluster.kube.create(f"/api/v1/namespaces/{namespace}/configmaps", body)


def wait_for_next_second() -> None:
    """Sleeps into the next wall-clock second: creationTimestamp has 1 s resolution, and the
    API server on loopback shares this clock."""
    now = time.time()
    time.sleep(1.05 - (now - int(now)))


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
