"""A small Kubernetes REST client for tests (standard library + PyYAML).

It reads a kubeconfig (client certificate or bearer token, data embedded or in files) and
talks to the API server with urllib. Tests use it to arrange and inspect cluster state that
the SDK does not manage itself, for example creating pods and patching their status: the test
control plane has no kubelet or scheduler, so pods stay Pending unless a test patches
``/status``.

    kube = KubeAdmin("build/cluster/admin.kubeconfig")
    kube.create_namespace("demo")
    kube.create("/api/v1/namespaces/demo/pods", pod)
    kube.patch("/api/v1/namespaces/demo/pods/p0", {"status": {"phase": "Running"}},
               subresource="status")
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

# libyaml's loader parses the multi-megabyte CRDs about ten times faster than the pure-Python one.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


class KubeError(Exception):
    """A non-2xx answer from the API server (or a transport failure, with status 0)."""

    def __init__(self, method: str, url: str, status: int, body: bytes | str, reason: str = ""):
        self.method = method
        self.url = url
        self.status = status
        self.body = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            self.status_object: dict | None = json.loads(self.body)
        except ValueError:
            self.status_object = None
        self.reason = (self.status_object or {}).get("reason", reason)
        self.message = (self.status_object or {}).get("message", self.body[:2000])
        super().__init__(f"{method} {url}: HTTP {status} {self.reason}: {self.message}")


def _read_kubeconfig(path: str | os.PathLike) -> dict:
    with open(path, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    if not isinstance(config, dict):
        raise ValueError(f"{path}: not a kubeconfig")
    return config


def _named(entries: Iterable[dict], name: str, what: str) -> dict:
    for entry in entries or ():
        if entry.get("name") == name:
            return entry.get(what) or {}
    raise ValueError(f"kubeconfig has no {what} named {name!r}")


def _data_or_file(section: dict, key: str, base: Path) -> bytes | None:
    """Returns the bytes of `<key>-data` (base64) or of the file named by `<key>`."""
    data = section.get(f"{key}-data")
    if data:
        return base64.b64decode(data)
    file_name = section.get(key)
    if file_name:
        p = Path(file_name)
        if not p.is_absolute():
            p = base / p
        return p.read_bytes()
    return None


class KubeAdmin:
    """REST access to the cluster of a kubeconfig's current context.

    Paths are API paths such as ``/api/v1/namespaces/ns/pods`` or
    ``/apis/trainer.kubeflow.org/v1alpha1/namespaces/ns/trainjobs/name``.
    Errors raise :class:`KubeError`, whose ``status`` is the HTTP status code.
    """

    def __init__(
        self, kubeconfig_path: str | os.PathLike, context: str | None = None, timeout: float = 30.0
    ):
        self.kubeconfig_path = Path(kubeconfig_path)
        self.timeout = timeout
        config = _read_kubeconfig(self.kubeconfig_path)
        base = self.kubeconfig_path.resolve().parent
        context_name = context or config.get("current-context")
        ctx = _named(config.get("contexts"), context_name, "context")
        cluster = _named(config.get("clusters"), ctx["cluster"], "cluster")
        user = _named(config.get("users"), ctx["user"], "user")
        self.server: str = cluster["server"].rstrip("/")
        self.namespace: str = ctx.get("namespace") or "default"
        self.user_name: str = ctx["user"]

        self._ssl = ssl.create_default_context()
        ca = _data_or_file(cluster, "certificate-authority", base)
        if cluster.get("insecure-skip-tls-verify"):
            self._ssl.check_hostname = False
            self._ssl.verify_mode = ssl.CERT_NONE
        elif ca:
            self._ssl = ssl.create_default_context(cadata=ca.decode("ascii"))
        cert = _data_or_file(user, "client-certificate", base)
        key = _data_or_file(user, "client-key", base)
        if cert and key:
            # ssl loads the pair only from files; they are read at once and removed again.
            with tempfile.TemporaryDirectory(prefix="kubeadmin-") as tmp:
                cert_file, key_file = Path(tmp, "client.crt"), Path(tmp, "client.key")
                cert_file.write_bytes(cert)
                key_file.touch(mode=0o600)
                key_file.write_bytes(key)
                self._ssl.load_cert_chain(cert_file, key_file)
        self._token: str | None = user.get("token")
        if not self._token and user.get("tokenFile"):
            self._token = Path(base, user["tokenFile"]).read_text().strip()
        self._opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=self._ssl))
        self._discovery: dict[str, list[dict]] = {}

    # ---- raw requests -------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict | None = None,
        content_type: str = "application/json",
        accept: str = "application/json",
        raw: bool = False,
    ) -> Any:
        """Sends one request. Returns the decoded JSON body (or text/bytes for non-JSON
        answers, or bytes when ``raw``). Raises KubeError for non-2xx answers."""
        url = self.server + path
        query = {k: v for k, v in (query or {}).items() if v is not None}
        if query:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", accept)
        if data is not None:
            req.add_header("Content-Type", content_type)
        if self._token:
            req.add_header("Authorization", f"Bearer {self._token}")
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                payload = resp.read()
                ctype = resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            raise KubeError(method, url, e.code, e.read(), e.reason) from None
        except (urllib.error.URLError, OSError) as e:
            raise KubeError(method, url, 0, str(e), "TransportError") from None
        if raw:
            return payload
        if "json" in ctype:
            return json.loads(payload) if payload else None
        return payload.decode("utf-8", "replace")

    # ---- verbs --------------------------------------------------------------------------

    def get(self, path: str, **query: Any) -> Any:
        return self.request("GET", path, query=query or None)

    def get_or_none(self, path: str, **query: Any) -> Any:
        """Like get, but returns None on 404."""
        try:
            return self.get(path, **query)
        except KubeError as e:
            if e.status == 404:
                return None
            raise

    def list(
        self, path: str, label_selector: str | None = None, field_selector: str | None = None
    ) -> list[dict]:
        """Returns the ``items`` of a list path."""
        answer = self.request(
            "GET", path, query={"labelSelector": label_selector, "fieldSelector": field_selector}
        )
        return answer.get("items") or []

    def create(self, path: str, body: dict, **query: Any) -> dict:
        """POSTs ``body`` to a collection path."""
        return self.request("POST", path, body, query=query or None)

    def replace(self, path: str, body: dict) -> dict:
        return self.request("PUT", path, body)

    def patch(
        self,
        path: str,
        body: Any,
        *,
        subresource: str | None = None,
        patch_type: str = MERGE_PATCH,
        **query: Any,
    ) -> dict:
        """Patches an object (JSON merge patch by default). ``subresource="status"``
        patches ``<path>/status``, which is how tests play the missing controllers."""
        if subresource:
            path = f"{path.rstrip('/')}/{subresource}"
        return self.request("PATCH", path, body, content_type=patch_type, query=query or None)

    def patch_status(self, path: str, status: dict) -> dict:
        """Merge-patches ``{"status": status}`` into ``<path>/status``."""
        return self.patch(path, {"status": status}, subresource="status")

    def delete(self, path: str, *, missing_ok: bool = False, **query: Any) -> Any:
        try:
            return self.request("DELETE", path, query=query or None)
        except KubeError as e:
            if missing_ok and e.status == 404:
                return None
            raise

    def create_namespace(
        self, name: str, labels: dict | None = None, exist_ok: bool = False
    ) -> dict:
        body = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": labels or {}},
        }
        try:
            return self.create("/api/v1/namespaces", body)
        except KubeError as e:
            if exist_ok and e.status == 409:
                return self.get(f"/api/v1/namespaces/{name}")
            raise

    def wait_for(
        self,
        path: str,
        predicate: Callable[[dict], bool],
        timeout: float = 30.0,
        interval: float = 0.2,
    ) -> dict:
        """Polls GET ``path`` until ``predicate(object)`` is true; returns the object."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while True:
            last = self.get_or_none(path)
            if last is not None and predicate(last):
                return last
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{path}: condition not met within {timeout} s; last: {json.dumps(last)[:1000]}"
                )
            time.sleep(interval)

    # ---- objects by kind ----------------------------------------------------------------

    def _resources(self, api_version: str) -> list[dict]:
        if api_version not in self._discovery:
            prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            self._discovery[api_version] = self.get(prefix)["resources"]
        return self._discovery[api_version]

    def path_for(self, obj: dict, *, collection: bool = False) -> str:
        """The API path of an object (``apiVersion``, ``kind``, ``metadata``), found by
        discovery. ``collection=True`` gives the path to POST it to."""
        api_version, kind = obj["apiVersion"], obj["kind"]
        meta = obj.get("metadata") or {}
        for attempt in range(2):
            matches = [
                r
                for r in self._resources(api_version)
                if r.get("kind") == kind and "/" not in r["name"]
            ]
            if matches:
                break
            self._discovery.pop(api_version, None)  # freshly installed CRD: look again
            if attempt:
                raise KeyError(f"the server does not serve {kind} in {api_version}")
        res = matches[0]
        prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        if res.get("namespaced"):
            prefix += f"/namespaces/{meta.get('namespace') or self.namespace}"
        path = f"{prefix}/{res['name']}"
        return path if collection else f"{path}/{meta['name']}"

    def apply(self, obj: dict, collection_path: str | None = None) -> dict:
        """Creates ``obj``, or replaces it if it exists (keeping its resourceVersion).
        Without ``collection_path`` the path comes from discovery."""
        collection = collection_path or self.path_for(obj, collection=True)
        try:
            return self.create(collection, obj)
        except KubeError as e:
            if e.status != 409:
                raise
        path = f"{collection}/{obj['metadata']['name']}"
        current = self.get(path)
        body = json.loads(json.dumps(obj))
        body.setdefault("metadata", {})["resourceVersion"] = current["metadata"]["resourceVersion"]
        return self.replace(path, body)


def load_yaml_documents(path: str | os.PathLike) -> list[dict]:
    """All non-empty documents of a (multi-document) YAML file."""
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.load_all(f, Loader=_SAFE_LOADER) if d]
