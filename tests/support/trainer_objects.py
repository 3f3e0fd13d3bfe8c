"""What a test cluster serves of Kubeflow Trainer: the vendored CRDs (Trainer and JobSet), the
shipped ClusterTrainingRuntimes and the public ConfigMap, read from tools/manifests and installed
over the REST API together with the users' RBAC."""

from __future__ import annotations

import concurrent.futures
import time
from pathlib import Path

from .harness import REPO_ROOT, ControlPlaneError, log
from .kube import KubeAdmin, KubeError, load_yaml_documents
from .kubeconfigs import LIMITED_NAMESPACE, rbac_objects

# Vendored with provenance: tools/manifests/kubeflow-trainer/README.md.
TRAINER_MANIFESTS = REPO_ROOT / "tools" / "manifests" / "kubeflow-trainer"
TRAINER_VERSION = "v2.3.0"
EXPECTED_RUNTIME_COUNT = 8
TRAINER_SYSTEM_NAMESPACE = "kubeflow-system"
TRAINER_PUBLIC_CONFIGMAP = "kubeflow-trainer-public"


def crd_files(manifests: Path = TRAINER_MANIFESTS) -> list[Path]:
    """The CRD files: Trainer's, JobSet's, then Training Operator v1's (v1.9, and MXJob of
    v1.8, so that migration from v1 is tested against the real schemas)."""
    files = (
        sorted((manifests / "crds").glob("*.yaml"))
        + sorted((manifests / "jobset").glob("*.yaml"))
        + sorted((manifests / "v1-crds").glob("*.yaml"))
    )
    if not files:
        raise ControlPlaneError(
            f"no CRD files under {manifests}/crds and {manifests}/jobset "
            "(the vendored manifests are missing from the checkout)"
        )
    return files


def runtimes_file(manifests: Path = TRAINER_MANIFESTS) -> Path:
    """The rendered ClusterTrainingRuntimes of TRAINER_VERSION."""
    return manifests / "runtimes" / "rendered" / f"clustertrainingruntimes-{TRAINER_VERSION}.yaml"


def shipped_runtimes(manifests: Path = TRAINER_MANIFESTS) -> list[dict]:
    """The ClusterTrainingRuntimes of the release (exactly EXPECTED_RUNTIME_COUNT)."""
    docs = load_yaml_documents(runtimes_file(manifests))
    runtimes = [d for d in docs if d.get("kind") == "ClusterTrainingRuntime"]
    if len(runtimes) != EXPECTED_RUNTIME_COUNT or len(docs) != len(runtimes):
        raise ControlPlaneError(
            f"{runtimes_file(manifests)}: expected {EXPECTED_RUNTIME_COUNT} "
            f"ClusterTrainingRuntimes, found {len(runtimes)} of {len(docs)} objects"
        )
    return runtimes


def _established(crd: dict) -> bool:
    conditions = (crd.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def bootstrap(kube: KubeAdmin, manifests: Path, timings: dict[str, float], deadline: float) -> None:
    """Installs CRDs, RBAC for the token users, the shipped runtimes and the public ConfigMap."""
    t = time.monotonic()
    crds = [
        d
        for f in crd_files(manifests)
        for d in load_yaml_documents(f)
        if d.get("kind") == "CustomResourceDefinition"
    ]
    crd_path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    # In parallel: the server spends seconds of CPU on each large schema.
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(crds)) as pool:
        for future in [pool.submit(kube.apply, crd) for crd in crds]:
            future.result()
    timings["crds_posted"] = time.monotonic() - t
    log(f"applied {len(crds)} CRDs: {', '.join(c['metadata']['name'] for c in crds)}")

    for name in ("kubeflow-system", LIMITED_NAMESPACE):
        kube.create_namespace(name, exist_ok=True)
    for obj in rbac_objects():
        kube.apply(obj)

    for crd in crds:
        name = crd["metadata"]["name"]
        try:
            kube.wait_for(
                f"{crd_path}/{name}", _established, timeout=max(1.0, deadline - time.monotonic())
            )
        except TimeoutError as e:
            raise ControlPlaneError(f"CRD {name} was not Established in time: {e}") from None
    timings["crds_established"] = time.monotonic() - t
    for crd in crds:  # Established can come before the storage (watch cache) serves lists
        spec = crd["spec"]
        version = next(v["name"] for v in spec["versions"] if v.get("storage"))
        path = f"/apis/{spec['group']}/{version}/{spec['names']['plural']}"
        while True:
            try:
                kube.request("GET", path, query={"limit": 1})
                break
            except KubeError as e:
                if e.status not in (404, 429, 503) or time.monotonic() > deadline:
                    raise ControlPlaneError(f"{path} is not served: {e}") from None
                time.sleep(0.1)
    timings["crds"] = time.monotonic() - t

    runtimes = shipped_runtimes(manifests)
    crt_path = "/apis/trainer.kubeflow.org/v1alpha1/clustertrainingruntimes"
    for runtime in runtimes:
        while True:  # a just-Established CRD can take a moment to be served
            try:
                kube.apply(runtime, crt_path)
                break
            except (KubeError, KeyError) as e:
                status = getattr(e, "status", 404)
                if status not in (404, 503) or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    names = sorted(r["metadata"]["name"] for r in kube.list(crt_path))
    expected = sorted(r["metadata"]["name"] for r in runtimes)
    if names != expected:
        raise ControlPlaneError(
            f"ClusterTrainingRuntimes on the server {names} != shipped {expected}"
        )
    log(f"applied {len(names)} ClusterTrainingRuntimes: {', '.join(names)}")

    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": TRAINER_PUBLIC_CONFIGMAP, "namespace": TRAINER_SYSTEM_NAMESPACE},
            "data": {"kubeflow_trainer_version": TRAINER_VERSION},
        }
    )
