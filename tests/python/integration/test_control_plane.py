"""The test control plane itself: versions, installed objects, RBAC, CEL validation, loopback."""

from __future__ import annotations

import secrets

import pytest

from tests.support.kube import KubeAdmin, KubeError
from tests.support.kubeconfigs import LIMITED_NAMESPACE
from tests.support.sockets import decode_address, is_loopback, listening_sockets
from tests.support.trainer_objects import TRAINER_VERSION, shipped_runtimes

TRAINER_API = "/apis/trainer.kubeflow.org/v1alpha1"
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


def _trainjob(name: str) -> dict:
    return {
        "apiVersion": "trainer.kubeflow.org/v1alpha1",
        "kind": "TrainJob",
        "metadata": {"name": name},
        "spec": {"runtimeRef": {"name": "torch-distributed"}},
    }


def test_shipped_runtimes_file_matches_expected_names():
    assert {r["metadata"]["name"] for r in shipped_runtimes()} == SHIPPED_RUNTIMES


def test_admin_lists_exactly_the_shipped_cluster_training_runtimes(cluster):
    admin = KubeAdmin(cluster.admin_kubeconfig)
    items = admin.list(f"{TRAINER_API}/clustertrainingruntimes")
    names = sorted(i["metadata"]["name"] for i in items)
    assert names == sorted(SHIPPED_RUNTIMES)
    torch = next(i for i in items if i["metadata"]["name"] == "torch-distributed")
    assert torch["metadata"]["labels"]["trainer.kubeflow.org/framework"] == "torch"
    assert torch["spec"]["mlPolicy"]["numNodes"] == 1


def test_server_version_is_1_36_4(cluster):
    version = cluster.kube.get("/version")
    assert version["gitVersion"] == "v1.36.4"
    assert (version["major"], version["minor"]) == ("1", "36")


def test_crds_are_established_and_trainer_public_configmap_exists(cluster):
    for name in (
        "trainjobs.trainer.kubeflow.org",
        "trainingruntimes.trainer.kubeflow.org",
        "clustertrainingruntimes.trainer.kubeflow.org",
        "jobsets.jobset.x-k8s.io",
        # Training Operator v1.9, and MXJob of v1.8 (docs/migrating-from-v1.md)
        *(
            f"{plural}.kubeflow.org"
            for plural in ("pytorchjobs", "tfjobs", "xgboostjobs", "jaxjobs", "paddlejobs")
        ),
        "mpijobs.kubeflow.org",
        "mxjobs.kubeflow.org",
    ):
        crd = cluster.kube.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
        conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
        assert conditions.get("Established") == "True", name
    cm = cluster.kube.get("/api/v1/namespaces/kubeflow-system/configmaps/kubeflow-trainer-public")
    assert cm["data"] == {"kubeflow_trainer_version": TRAINER_VERSION}


def test_token_kubeconfig_is_cluster_admin(cluster, namespace):
    token = KubeAdmin(cluster.token_kubeconfig)
    created = token.create(f"{TRAINER_API}/namespaces/{namespace}/trainjobs", _trainjob("by-token"))
    assert created["metadata"]["namespace"] == namespace
    assert len(token.list(f"{TRAINER_API}/clustertrainingruntimes")) >= len(SHIPPED_RUNTIMES)


def test_limited_user_can_list_but_not_create_or_delete_trainjobs(cluster):
    assert cluster.limited_namespace == LIMITED_NAMESPACE == "limited"
    limited = KubeAdmin(cluster.limited_kubeconfig)
    assert limited.namespace == "limited"
    collection = f"{TRAINER_API}/namespaces/limited/trainjobs"
    assert isinstance(limited.list(collection), list)
    assert isinstance(limited.list("/api/v1/namespaces/limited/pods"), list)
    assert {
        i["metadata"]["name"] for i in limited.list(f"{TRAINER_API}/clustertrainingruntimes")
    } == SHIPPED_RUNTIMES

    with pytest.raises(KubeError) as denied:
        limited.create(collection, _trainjob("limited-create"))
    assert denied.value.status == 403
    assert denied.value.reason == "Forbidden"

    name = f"admin-made-{secrets.token_hex(3)}"
    cluster.kube.create(collection, _trainjob(name))
    assert limited.get(f"{collection}/{name}")["metadata"]["name"] == name
    with pytest.raises(KubeError) as denied_delete:
        limited.delete(f"{collection}/{name}")
    assert denied_delete.value.status == 403
    # Outside its namespace the limited user sees nothing.
    with pytest.raises(KubeError) as other_ns:
        limited.list(f"{TRAINER_API}/namespaces/default/trainjobs")
    assert other_ns.value.status == 403


def test_upper_case_trainjob_name_is_rejected_with_422(cluster, namespace):
    collection = f"{TRAINER_API}/namespaces/{namespace}/trainjobs"
    with pytest.raises(KubeError) as upper:
        cluster.kube.create(collection, _trainjob("MyJob"))
    assert upper.value.status == 422
    assert upper.value.reason == "Invalid"
    assert "RFC 1035 DNS label" in upper.value.message
    # "a.b" is a valid object name in general; only the CRD's CEL rule rejects it.
    with pytest.raises(KubeError) as dotted:
        cluster.kube.create(collection, _trainjob("a.b"))
    assert dotted.value.status == 422
    assert "metadata.name must match RFC 1035 DNS label format" in dotted.value.message
    assert cluster.kube.list(collection) == []


def test_pod_status_can_be_patched_by_tests(cluster, namespace):
    kube = cluster.kube
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p0"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    }
    kube.create(f"/api/v1/namespaces/{namespace}/pods", pod)
    path = f"/api/v1/namespaces/{namespace}/pods/p0"
    assert kube.get(path)["status"]["phase"] == "Pending"
    kube.patch_status(path, {"phase": "Running"})
    assert kube.get(path)["status"]["phase"] == "Running"
    kube.patch(path, {"metadata": {"labels": {"patched": "yes"}}})
    assert kube.get(path)["metadata"]["labels"] == {"patched": "yes"}
    kube.delete(path)  # an unscheduled pod goes at once, without a kubelet
    assert kube.get_or_none(path) is None


def test_every_listening_socket_is_loopback(cluster):
    sockets = listening_sockets(list(cluster.pids.values()))
    ports = {s["port"] for s in sockets}
    # The check is only meaningful if it sees the servers it is about.
    assert {cluster.ports["apiserver"], cluster.ports["etcd"], cluster.ports["etcd_peer"]} <= ports
    assert {s["pid"] for s in sockets} == set(cluster.pids.values())
    not_loopback = [s for s in sockets if not is_loopback(s["address"])]
    assert not_loopback == []
    # And nothing else listens on the chosen ports on another address.
    on_ports = [s for s in listening_sockets() if s["port"] in ports]
    assert all(is_loopback(s["address"]) for s in on_ports), on_ports


def test_proc_net_addresses_are_decoded():
    assert decode_address("0100007F") == "127.0.0.1"
    assert decode_address("00000000") == "0.0.0.0"
    assert decode_address("00000000000000000000000001000000") == "::1"
    assert is_loopback(decode_address("0000000000000000FFFF00000100007F"))


def test_loopback_check_recognises_non_loopback_addresses():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("10.0.0.1")
