"""Training Operator v1 jobs against the real API server with the vendored v1 CRDs (v1.9, and
MXJob of v1.8): each kind is created as kubectl would, read through the SDK, converted, and the
converted TrainJobs and TrainingRuntimes are created with strict field validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kubeflow.trainer import Migration, TrainJob, V1Job, migrate_v1_jobs
from kubeflow.trainer.errors import InvalidError, NotFoundError, ValidationError
from tests.python.integration.k8s_sim import client, condition, trainjobs_path
from tests.support.log_kubelet import LogKubelet

FIXTURES = Path(__file__).resolve().parents[2] / "cpp" / "fixtures" / "v1"
V1_API = "/apis/kubeflow.org/v1"
TRAINER_API = "/apis/trainer.kubeflow.org/v1alpha1"
KINDS = {  # kind: (fixture, plural, the step its pod makes, framework container)
    "PyTorchJob": ("pytorchjob.yaml", "pytorchjobs", "master-0", "pytorch"),
    "TFJob": ("tfjob.yaml", "tfjobs", "worker-0", "tensorflow"),
    "XGBoostJob": ("xgboostjob.yaml", "xgboostjobs", "master-0", "xgboost"),
    "JAXJob": ("jaxjob.yaml", "jaxjobs", "worker-0", "jax"),
    "PaddleJob": ("paddlejob.yaml", "paddlejobs", "master-0", "paddle"),
    "MPIJob": ("mpijob.yaml", "mpijobs", "launcher-0", "mpi"),
}


def within(sent: Any, stored: Any) -> bool:
    """Whether everything of ``sent`` is in ``stored`` unchanged (lists item by item)."""
    if isinstance(sent, dict):
        return isinstance(stored, dict) and all(
            k in stored and within(v, stored[k]) for k, v in sent.items()
        )
    if isinstance(sent, list):
        return (
            isinstance(stored, list)
            and len(sent) == len(stored)
            and all(within(a, b) for a, b in zip(sent, stored, strict=True))
        )
    return bool(sent == stored)


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((FIXTURES / name).read_text())
    return loaded


def create_v1_job(cluster, namespace: str, kind: str) -> dict[str, Any]:
    """The fixture job of ``kind``, created as kubectl would, Running, with one pod."""
    file, plural, step, container = KINDS[kind]
    job = fixture(file)
    path = f"{V1_API}/namespaces/{namespace}/{plural}"
    created: dict[str, Any] = cluster.kube.create(path, job)
    name = job["metadata"]["name"]
    cluster.kube.patch_status(
        f"{path}/{name}", {"conditions": [condition("Created"), condition("Running")]}
    )
    replica_type, index = step.rsplit("-", 1)
    v1_pod(cluster, namespace, name, kind, replica_type, int(index), container)
    return created


def v1_pod(
    cluster,
    namespace: str,
    job: str,
    kind: str,
    replica_type: str,
    index: int,
    container: str,
    node: str | None = None,
) -> dict[str, Any]:
    """A pod labelled as Training Operator v1.9 labels its pods, Running."""
    name = f"{job}-{replica_type}-{index}"
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "labels": {
                "training.kubeflow.org/job-name": job,
                "training.kubeflow.org/replica-type": replica_type,
                "training.kubeflow.org/replica-index": str(index),
                "training.kubeflow.org/operator-name": f"{kind.lower()}-controller",
            },
        },
        "spec": {
            "containers": [{"name": container, "image": "example.com/x:1"}],
            "terminationGracePeriodSeconds": 0,
        },
    }
    if node:
        pod["spec"]["nodeName"] = node
    cluster.kube.create(f"/api/v1/namespaces/{namespace}/pods", pod)
    return cluster.kube.patch_status(
        f"/api/v1/namespaces/{namespace}/pods/{name}", {"phase": "Running"}
    )


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_v1_kind_is_read_converted_and_created_strictly(cluster, namespace, kind):
    created = create_v1_job(cluster, namespace, kind)
    name = created["metadata"]["name"]
    sdk = client(cluster, namespace)

    listed = sdk.list_v1_jobs(kind)
    assert [(j.kind, j.name) for j in listed] == [(kind, name)]
    job = sdk.get_v1_job(name, kind)
    assert isinstance(job, V1Job)
    assert job.status == "Running"
    assert [c.type for c in job.conditions] == ["Created", "Running"]
    spec = created["spec"][next(k for k in created["spec"] if k.endswith("ReplicaSpecs"))]
    assert {r.type: r.replicas for r in job.replica_specs} == {
        t: s.get("replicas", 1) for t, s in spec.items()
    }
    assert [s.name for s in job.steps] == [KINDS[kind][2]]
    assert job.steps[0].status == "Running"
    assert job.creation_timestamp.isoformat().startswith(
        created["metadata"]["creationTimestamp"][:10]
    )

    migration = sdk.migrate_v1_job(name, kind)
    # Read back from the server, the job converts like the file, plus what the v1 CRD
    # defaulted (runPolicy.suspend: false) and the namespace.
    from_file = migrate_v1_jobs(fixture(KINDS[kind][0]))
    assert within(
        [m["spec"] for m in from_file.manifests], [m["spec"] for m in migration.manifests]
    )
    assert set(from_file.report) <= set(migration.report)
    assert migration.report, "every fixture has something that does not carry over"

    answers = sdk.create_migration(migration)
    assert [a["kind"] for a in answers] == [m["kind"] for m in migration.manifests]
    trainjob = cluster.kube.get(trainjobs_path(namespace, name))
    expected = migration.manifests[-1]
    # The server may add defaults, never drop or change what was sent.
    assert within(expected["spec"], trainjob["spec"])
    if len(migration.manifests) == 2:  # a generated runtime: stored as sent, plus defaults
        runtime = migration.manifests[0]
        stored = cluster.kube.get(
            f"{TRAINER_API}/namespaces/{namespace}/trainingruntimes/{runtime['metadata']['name']}"
        )
        assert within(runtime["spec"], stored["spec"])
        # The SDK reads the generated runtime like any other.
        assert (
            sdk.get_runtime(runtime["metadata"]["name"]).trainer.framework
            == (runtime["metadata"]["labels"]["trainer.kubeflow.org/framework"])
        )
        assert isinstance(sdk.get_job(name), TrainJob)


def test_strict_field_validation_refuses_a_field_the_schema_does_not_know(cluster, namespace):
    migration = migrate_v1_jobs(fixture("jaxjob.yaml"))
    migration.manifests[0]["spec"]["trainer"]["numNodez"] = 2
    sdk = client(cluster, namespace)
    with pytest.raises(InvalidError, match="numNodez"):
        sdk.create_migration(migration)
    assert cluster.kube.list(trainjobs_path(namespace)) == []


def test_server_dry_run_validates_and_stores_nothing(cluster, namespace):
    migration = migrate_v1_jobs((FIXTURES / "tfjob.yaml").read_text())
    answers = client(cluster, namespace).create_migration(migration, dry_run=True)
    assert [a["kind"] for a in answers] == ["TrainingRuntime", "TrainJob"]
    assert cluster.kube.list(trainjobs_path(namespace)) == []
    assert cluster.kube.list(f"{TRAINER_API}/namespaces/{namespace}/trainingruntimes") == []


def test_list_jobs_asks_for_v1_only_when_told(cluster, namespace):
    create_v1_job(cluster, namespace, "PyTorchJob")
    create_v1_job(cluster, namespace, "JAXJob")
    sdk = client(cluster, namespace)
    backend: Any = sdk.backend
    before = backend.request_count
    assert sdk.list_jobs() == []
    default_cost = backend.request_count - before
    assert default_cost == 2  # TrainJobs and pods, as before v1 support
    before = backend.request_count
    mixed = sdk.list_jobs(include_v1=True)
    assert sorted((j.kind, j.name) for j in mixed if isinstance(j, V1Job)) == [
        ("JAXJob", "jax-mnist"),
        ("PyTorchJob", "mnist-ddp"),
    ]
    assert backend.request_count - before == default_cost + 6 + 1  # six kinds, their pods


def test_v1_logs_come_from_the_framework_container(cluster, namespace):
    job = fixture("pytorchjob.yaml")
    cluster.kube.create(f"{V1_API}/namespaces/{namespace}/pytorchjobs", job)
    with LogKubelet(cluster) as kubelet:
        pod = v1_pod(
            cluster, namespace, "mnist-ddp", "PyTorchJob", "worker", 1, "pytorch", kubelet.node_name
        )
        kubelet.add_log(namespace, pod["metadata"]["name"], "pytorch", lines=3, interval=0.0)
        sdk = client(cluster, namespace)
        lines = list(sdk.get_v1_job_logs("mnist-ddp", "PyTorchJob", step="worker-1"))
        assert lines == kubelet.expected(namespace, pod["metadata"]["name"], "pytorch")
        assert list(sdk.get_v1_job_logs("mnist-ddp", "PyTorchJob")) == lines  # its first step
        with pytest.raises(NotFoundError, match=r'no step "worker-7".*\[worker-1\]'):
            list(sdk.get_v1_job_logs("mnist-ddp", "PyTorchJob", step="worker-7"))


def test_a_missing_job_and_a_missing_crd_are_told_apart(cluster, namespace, proxy, tmp_path):
    sdk = client(cluster, namespace)
    with pytest.raises(NotFoundError, match=r"PyTorchJob .*/absent not found"):
        sdk.get_v1_job("absent", "PyTorchJob")
    # A cluster without Training Operator v1: every kubeflow.org/v1 path answers 404.
    proxy.inject("GET", f"{V1_API}/", status=404, times=100)
    without_v1 = client(
        cluster, namespace, proxy.kubeconfig(cluster.token_kubeconfig, tmp_path / "k")
    )
    with pytest.raises(NotFoundError, match=r"not installed.*CRD pytorchjobs\.kubeflow\.org"):
        without_v1.get_v1_job("absent", "PyTorchJob")
    with pytest.raises(NotFoundError, match=r"tfjobs\.kubeflow\.org.*mpijobs\.kubeflow\.org"):
        without_v1.list_v1_jobs()
    assert without_v1.list_jobs(include_v1=True) == []  # the TrainJobs alone


MX_WORDS = ("deprecated", "v1.8", "removed in v1.9", "Apache MXNet was retired", "PyTorch")


def test_mxjob_on_the_v1_8_crd_is_refused_then_converted_when_asked(cluster, namespace):
    cluster.kube.create(f"{V1_API}/namespaces/{namespace}/mxjobs", fixture("mxjob.yaml"))
    sdk = client(cluster, namespace)
    for call in (
        lambda: sdk.get_v1_job("mxnet-mnist", "MXJob"),
        lambda: sdk.list_v1_jobs("mxjobs"),
        lambda: sdk.migrate_v1_job("mxnet-mnist", "MXJob"),
    ):
        with pytest.raises(ValidationError) as raised:
            call()
        for word in MX_WORDS:
            assert word in str(raised.value)
    assert all(j.kind != "MXJob" for j in sdk.list_v1_jobs())

    migration = sdk.migrate_v1_job("mxnet-mnist", "MXJob", allow_mxjob=True)
    assert isinstance(migration, Migration)
    assert any(n.reason.startswith("cannot guarantee") for n in migration.report)
    sdk.create_migration(migration)
    stored = cluster.kube.get(trainjobs_path(namespace, "mxnet-mnist"))
    assert stored["spec"]["runtimeRef"]["name"] == "mxnet-mnist-mxjob"
