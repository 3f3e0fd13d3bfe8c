"""The floor: the least work that gets the same answers from the API server as the SDKs.

One ``http.client.HTTPSConnection`` kept alive (TLS with the kubeconfig's client certificate),
the same requests our SDK makes, and ``json.loads`` of each response body: no models, no
conversion, no validation. Standard library only, plus PyYAML to read the kubeconfig once (not
timed). Not thread-safe: one ``FloorClient`` per thread. The benchmark also uses it to create
objects quickly and to read the API server's request counter (``apiserver_request_total``).
"""

from __future__ import annotations

import atexit
import base64
import http.client
import json
import os
import re
import shutil
import ssl
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TRAINER = "/apis/trainer.kubeflow.org/v1alpha1"
JOBSET_NAME = "jobset.sigs.k8s.io/jobset-name"
REPLICATED_JOB = "jobset.sigs.k8s.io/replicatedjob-name"
COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
# What our SDK asks for (core/src/trainer/job_status.cpp, pod_selector).
ROLES = "in (dataset-initializer,model-initializer,launcher,node)"
# What an SDK call may touch; the API server's own periodic requests (leases, endpoints) and
# non-resource paths such as /metrics are not counted.
SDK_RESOURCES = {
    "trainjobs",
    "pods",
    "clustertrainingruntimes",
    "trainingruntimes",
    "configmaps",
    "events",
    "jobsets",
}
# apiserver_request_total{...,resource="pods",...} 12: one series per verb, resource and code.
_COUNTER = re.compile(r"^apiserver_request_total\{([^}]*)\} ([0-9.e+]+)$", re.M)


def _tls_context(kubeconfig: str) -> tuple[str, ssl.SSLContext]:
    """The server URL and a TLS context with the kubeconfig's CA and client certificate."""
    import yaml  # only here: reading the kubeconfig is set-up, not part of any timed call

    base = Path(kubeconfig).parent
    config = yaml.safe_load(Path(kubeconfig).read_text())
    context = next(
        c["context"] for c in config["contexts"] if c["name"] == config["current-context"]
    )
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
    scratch = tempfile.mkdtemp(prefix="bench-floor-")
    atexit.register(shutil.rmtree, scratch, True)

    def material(section: dict, key: str) -> str:
        if section.get(f"{key}-data"):
            path = os.path.join(scratch, key)
            Path(path).write_bytes(base64.b64decode(section[f"{key}-data"]))
            return path
        return str(base / section[key])

    tls = ssl.create_default_context(cafile=material(cluster, "certificate-authority"))
    tls.load_cert_chain(material(user, "client-certificate"), material(user, "client-key"))
    return cluster["server"], tls


class FloorClient:
    """A keep-alive HTTPS connection to the API server and ``json.loads`` of what it answers."""

    def __init__(self, kubeconfig: str, timeout: float = 120.0) -> None:
        server, self._tls = _tls_context(kubeconfig)
        url = urllib.parse.urlsplit(server)
        self._host, self._port, self._timeout = url.hostname, url.port or 443, timeout
        self._conn = self._connect()

    def _connect(self) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(
            self._host, self._port, context=self._tls, timeout=self._timeout
        )

    def request(self, method: str, path: str, body: Any = None, content_type: str = "") -> Any:
        """One request on the kept-alive connection; the decoded JSON answer."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type or "application/json"
        status, raw = self._exchange(method, path, data, headers)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {status}: {raw[:300]!r}")
        return json.loads(raw)

    def _exchange(
        self, method: str, path: str, data: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        """Status and body; once more on a new connection when the server had closed the kept
        one while it sat idle (between scenarios)."""
        for attempt in (1, 2):
            try:
                self._conn.request(method, path, body=data, headers=headers)
                response = self._conn.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException):
                self._conn.close()
                self._conn = self._connect()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def request_status(self, method: str, path: str) -> int:
        """Only the HTTP status of a request (e.g. 404 for an absent object)."""
        return self._exchange(method, path, None, {"Accept": "application/json"})[0]

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def create(self, path: str, body: dict) -> Any:
        return self.request("POST", path, body)

    def patch_status(self, path: str, status: dict) -> Any:
        return self.request(
            "PATCH", path + "/status", {"status": status}, "application/merge-patch+json"
        )

    def stream(self, path: str) -> Iterator[bytes]:
        """The body of a long GET (a watch, a followed log) as it arrives, on a new connection."""
        conn = self._connect()
        try:
            conn.request("GET", path, headers={"Accept": "application/json"})
            response = conn.getresponse()
            while True:
                chunk = response.read1(1 << 16)
                if not chunk:
                    return
                yield chunk
        finally:
            conn.close()

    # The calls the SDKs make, done the least costly way.

    def list_jobs(self, namespace: str) -> tuple[Any, Any]:
        """Our SDK's two requests: every TrainJob, then every pod of every TrainJob."""
        selector = urllib.parse.quote(f"{JOBSET_NAME},{REPLICATED_JOB} {ROLES}")
        jobs = self.get(f"{TRAINER}/namespaces/{namespace}/trainjobs")
        pods = self.get(f"/api/v1/namespaces/{namespace}/pods?labelSelector={selector}")
        return jobs, pods

    def get_job(self, namespace: str, name: str) -> tuple[Any, Any]:
        """Our SDK's two requests for a known runtime: the TrainJob, then its pods."""
        selector = urllib.parse.quote(f"{JOBSET_NAME}={name},{REPLICATED_JOB} {ROLES}")
        job = self.get(f"{TRAINER}/namespaces/{namespace}/trainjobs/{name}")
        pods = self.get(f"/api/v1/namespaces/{namespace}/pods?labelSelector={selector}")
        return job, pods

    def request_count(self) -> int:
        """Requests the API server has answered on the resources in SDK_RESOURCES."""
        text = self._exchange("GET", "/metrics", None, {})[1].decode()
        total = 0.0
        for labels, value in _COUNTER.findall(text):
            resource = next((x[10:-1] for x in labels.split(",") if x.startswith("resource=")), "")
            if resource in SDK_RESOURCES:
                total += float(value)
        return int(total)


def trainjob(name: str, nodes: int, command: list[str] | None = None) -> dict:
    """A TrainJob on the shipped torch runtime, as ``kubectl create`` would send it."""
    trainer: dict[str, Any] = {"numNodes": nodes}
    if command:
        trainer["command"] = command
    return {
        "apiVersion": "trainer.kubeflow.org/v1alpha1",
        "kind": "TrainJob",
        "metadata": {"name": name},
        "spec": {
            "runtimeRef": {"name": "torch-distributed", "kind": "ClusterTrainingRuntime"},
            "trainer": trainer,
        },
    }


def node_pod(job: str, index: int, node: str = "") -> dict:
    """Node pod ``index`` of TrainJob ``job`` as JobSet names and labels it."""
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{job}-node-0-{index}",
            "labels": {
                JOBSET_NAME: job,
                REPLICATED_JOB: "node",
                COMPLETION_INDEX: str(index),
            },
        },
        "spec": {"containers": [{"name": "node", "image": "example.com/train:1"}]},
    }
    if node:
        pod["spec"]["nodeName"] = node
    return pod
