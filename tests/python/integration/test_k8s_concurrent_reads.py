"""Independent reads travel at the same time: list_jobs' two lists, get_job's TrainJob and pods.

A fault-injecting proxy (tests/support/fault_proxy.py) in front of the real API server holds
the TrainJob request before forwarding it, and records each request when its answer comes
back. Issued one after the other, the pod list would be sent only after the TrainJob answer,
so it would be recorded after it; sent beside it, the pod list is answered while the TrainJob
request is still held. The request counts stay those of the sequential calls.
"""

from __future__ import annotations

import pytest

from kubeflow.common.types import KubernetesBackendConfig
from kubeflow.trainer import TrainerClient
from kubeflow.trainer.errors import ForbiddenError, NotFoundError
from tests.python.integration.k8s_sim import create_pod, create_trainjob

HOLD_SECONDS = 1.0  # how long the proxy holds the TrainJob request before forwarding it


@pytest.fixture
def proxied(cluster, namespace, proxy, tmp_path) -> TrainerClient:
    kubeconfig = proxy.kubeconfig(cluster.token_kubeconfig, tmp_path / "proxied", namespace)
    return TrainerClient(KubernetesBackendConfig(config_file=kubeconfig))


@pytest.fixture
def job(cluster, namespace) -> str:
    create_trainjob(cluster, namespace, "concurrent", num_nodes=2)
    for index in range(2):
        create_pod(cluster, namespace, "concurrent", "node", index, phase="Running")
    return "concurrent"


def _answer_order(proxy, *resources: str) -> list[str]:
    """The resources of the GETs in the order their answers came back."""
    wanted = resources or ("pods", "trainjobs")
    return [
        next(r for r in wanted if f"/{r}" in path)
        for method, path, _ in proxy.log
        if method == "GET" and any(f"/{r}" in path for r in wanted)
    ]


def test_list_jobs_reads_trainjobs_and_pods_at_once(proxied, proxy, job):
    proxy.inject("GET", "/trainjobs", delay=HOLD_SECONDS)
    jobs = proxied.list_jobs()
    assert [j.name for j in jobs] == [job]
    assert len(jobs[0].steps) == 2
    assert _answer_order(proxy) == ["pods", "trainjobs"]
    # TrainJobs, pods and the runtime (first use of this client): no extra request.
    assert proxied.backend.request_count == 3


def test_get_job_reads_trainjob_and_pods_at_once(proxied, proxy, job):
    proxied.list_runtimes()  # the runtime is known: get_job needs two requests
    before = proxied.backend.request_count
    proxy.inject("GET", f"/trainjobs/{job}", delay=HOLD_SECONDS)
    got = proxied.get_job(job)
    assert [s.name for s in got.steps] == ["node-0", "node-1"]
    assert _answer_order(proxy) == ["pods", "trainjobs"]
    assert proxied.backend.request_count - before == 2


@pytest.mark.parametrize("call", ["get_job", "list_jobs"])
def test_a_fresh_client_reads_the_runtime_while_the_pods_still_come(proxied, proxy, job, call):
    # Read after the pod list, the runtime's answer would come back after it.
    proxy.inject("GET", "/pods", delay=HOLD_SECONDS)
    got = proxied.get_job(job) if call == "get_job" else proxied.list_jobs()[0]
    assert got.runtime.name == "torch-distributed"
    assert _answer_order(proxy, "pods", "clustertrainingruntimes") == [
        "clustertrainingruntimes",
        "pods",
    ]
    assert proxied.backend.request_count == 3


def test_get_job_of_a_missing_job_is_not_found_while_its_pods_are_read(proxied):
    # The pod list (empty) travels beside the 404: the TrainJob's error is the one raised.
    with pytest.raises(NotFoundError, match="no-such-job"):
        proxied.get_job("no-such-job")


def test_list_jobs_failure_of_the_pod_list_is_raised(proxied, proxy, job):
    proxy.inject("GET", "/pods", status=403)
    with pytest.raises(ForbiddenError):
        proxied.list_jobs()
