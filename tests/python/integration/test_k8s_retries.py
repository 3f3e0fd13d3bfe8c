"""Retries against the real API server behind a fault-injecting proxy (tests/support/fault_proxy).

Reads retry on 429 and 5xx (honouring Retry-After) and on lost answers, inside one deadline per
call; train() never creates two TrainJobs, even when the answer to its create is lost; writes
that must not be repeated are not.
"""

from __future__ import annotations

import pytest

from kubeflow.common.types import KubernetesBackendConfig
from kubeflow.trainer import CustomTrainerContainer, TrainerClient
from kubeflow.trainer.errors import AlreadyExistsError, ServerError, TooManyRequestsError
from kubeflow.trainer.options import Name

TRAINJOBS = "/trainjobs"


@pytest.fixture
def client(cluster, namespace, proxy, tmp_path) -> TrainerClient:
    kubeconfig = proxy.kubeconfig(cluster.token_kubeconfig, tmp_path / "proxied", namespace)
    return TrainerClient(KubernetesBackendConfig(config_file=kubeconfig))


def _trainjobs(cluster, namespace: str) -> list[str]:
    items = cluster.kube.list(
        f"/apis/trainer.kubeflow.org/v1alpha1/namespaces/{namespace}/trainjobs"
    )
    return sorted(i["metadata"]["name"] for i in items)


def _trainer() -> CustomTrainerContainer:
    return CustomTrainerContainer(image="example.com/trainer:1")


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_a_read_retries_a_transient_answer(client, proxy, status):
    proxy.inject("GET", TRAINJOBS, status=status, times=2, retry_after="0")
    assert client.list_jobs() == []
    assert proxy.requests("GET", TRAINJOBS) == [f"answered {status}"] * 2 + ["forwarded 200"]


def test_a_read_honours_retry_after(client, proxy):
    proxy.inject("GET", TRAINJOBS, status=429, retry_after="1")
    assert client.list_jobs() == []
    assert proxy.requests("GET", TRAINJOBS) == ["answered 429", "forwarded 200"]


def test_a_read_whose_answer_is_lost_is_repeated(client, proxy):
    proxy.inject("GET", TRAINJOBS, lose_response=True)
    assert client.list_jobs() == []
    assert proxy.requests("GET", TRAINJOBS) == ["lost 200", "forwarded 200"]


def test_a_read_that_keeps_failing_gives_up_with_the_typed_error(client, proxy):
    proxy.inject("GET", TRAINJOBS, status=429, times=100, retry_after="0")
    with pytest.raises(TooManyRequestsError):
        client.list_jobs()
    seen = proxy.requests("GET", TRAINJOBS)
    assert 1 < len(seen) <= 6 and set(seen) == {"answered 429"}


def test_a_permanent_error_is_not_retried(client, proxy):
    proxy.inject("GET", TRAINJOBS, status=501)
    with pytest.raises(Exception) as raised:
        client.list_jobs()
    assert getattr(raised.value, "status", None) == 501
    assert proxy.requests("GET", TRAINJOBS) == ["answered 501"]


def test_train_whose_create_answer_is_lost_creates_exactly_one_job(
    client, proxy, cluster, namespace
):
    proxy.inject("POST", TRAINJOBS, lose_response=True)
    name = client.train(trainer=_trainer(), options=[Name("lost-answer")])
    assert name == "lost-answer"
    assert _trainjobs(cluster, namespace) == ["lost-answer"]
    # The lost create happened; the SDK read the job back instead of creating it again.
    assert proxy.requests("POST", TRAINJOBS) == ["lost 201"]
    assert proxy.requests("GET", f"{TRAINJOBS}/lost-answer") == ["forwarded 200"]


def test_train_after_a_throttled_create_creates_exactly_one_job(client, proxy, cluster, namespace):
    proxy.inject("POST", TRAINJOBS, status=429, retry_after="0")
    name = client.train(trainer=_trainer())
    assert _trainjobs(cluster, namespace) == [name]
    assert proxy.requests("POST", TRAINJOBS) == ["answered 429", "forwarded 201"]


def test_train_after_a_502_reads_back_then_creates_once(client, proxy, cluster, namespace):
    proxy.inject("POST", TRAINJOBS, status=502)
    name = client.train(trainer=_trainer(), options=[Name("after-502")])
    assert _trainjobs(cluster, namespace) == [name]
    # Not stored by the failed attempt: read back (404), then created once.
    assert proxy.requests("GET", f"{TRAINJOBS}/after-502") == ["forwarded 404"]
    assert proxy.requests("POST", TRAINJOBS) == ["answered 502", "forwarded 201"]


def test_a_lost_create_never_claims_someone_elses_job(client, proxy, cluster, namespace):
    other = TrainerClient(
        KubernetesBackendConfig(config_file=cluster.admin_kubeconfig, namespace=namespace)
    )
    other.train(
        trainer=CustomTrainerContainer(image="example.com/other:2"), options=[Name("taken")]
    )
    proxy.inject("POST", TRAINJOBS, status=502)
    with pytest.raises(AlreadyExistsError):
        client.train(trainer=_trainer(), options=[Name("taken")])
    assert _trainjobs(cluster, namespace) == ["taken"]


def test_delete_whose_answer_is_lost_succeeds(client, proxy, cluster, namespace):
    name = client.train(trainer=_trainer())
    proxy.inject("DELETE", f"{TRAINJOBS}/{name}", lose_response=True)
    client.delete_job(name)
    assert _trainjobs(cluster, namespace) == []
    assert proxy.requests("DELETE", f"{TRAINJOBS}/{name}") == ["lost 200", "forwarded 404"]


def test_a_server_error_on_create_that_persists_is_reported(client, proxy, cluster, namespace):
    proxy.inject("POST", TRAINJOBS, status=500, times=100)
    with pytest.raises(ServerError):
        client.train(trainer=_trainer(), options=[Name("never")])
    assert _trainjobs(cluster, namespace) == []


def test_an_answer_of_unexpected_shape_is_a_server_error_naming_the_call(client, proxy):
    odd = b'{"kind":"TrainJobList","items":[{"metadata":{"name":5},"spec":{"runtimeRef":"x"}}]}'
    proxy.inject("GET", TRAINJOBS, status=200, body=odd)
    with pytest.raises(ServerError) as raised:
        client.list_jobs()
    assert "list TrainJobs" in str(raised.value)
    assert "unexpected shape" in str(raised.value)


def test_an_unreachable_runtime_snapshot_is_an_error_not_an_unknown_runtime(
    client, proxy, cluster, namespace
):
    # A job whose runtime is gone: its runtime is read from the snapshot ConfigMap instead.
    cluster.kube.create(
        f"/apis/trainer.kubeflow.org/v1alpha1/namespaces/{namespace}/trainjobs",
        {
            "apiVersion": "trainer.kubeflow.org/v1alpha1",
            "kind": "TrainJob",
            "metadata": {"name": "orphan"},
            "spec": {"runtimeRef": {"name": "deleted-runtime", "kind": "ClusterTrainingRuntime"}},
        },
    )
    proxy.inject("GET", "/configmaps/orphan-runtime-snapshot", status=503, times=100)
    with pytest.raises(ServerError):
        client.get_job("orphan")
    # Without the fault the snapshot is simply missing: the job shows an unknown runtime.
    proxy.clear()
    assert client.get_job("orphan").runtime.name == "deleted-runtime"
