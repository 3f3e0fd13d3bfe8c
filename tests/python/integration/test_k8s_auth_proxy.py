"""Exec credential plugins against the real API server, the way EKS, GKE and AKS users log in;
and proxies (kubeconfig proxy-url, HTTPS_PROXY/NO_PROXY) in front of it.

The plugin is a small Python script of ours. Each run takes the next credential of a plan (a JSON
list: a token or a client certificate, optionally expiring), appends a line to a run log, and
records the KUBERNETES_EXEC_INFO it got. The API server accepts the tokens of its token file and
the client certificates of its CA, so whatever the SDK does with the credential is checked by
the server itself.
"""

from __future__ import annotations

import base64
import json
import stat
import sys
import threading
import time
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from kubeflow.common.types import KubernetesBackendConfig
from kubeflow.trainer import CustomTrainerContainer, TrainerClient
from kubeflow.trainer.errors import (
    AuthError,
    ConfigError,
    ForbiddenError,
    InsecureConnectionWarning,
)
from tests.support.tcp_proxy import TcpProxy

API_VERSION = "client.authentication.k8s.io/v1"

PLUGIN = """\
import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
name = sys.argv[1]
with open(os.path.join(here, name + ".runs"), "a") as runs:
    runs.write("run\\n")
count = sum(1 for _ in open(os.path.join(here, name + ".runs")))
plan = json.load(open(os.path.join(here, name + ".plan.json")))
with open(os.path.join(here, name + ".info.json"), "w") as info:
    info.write(os.environ.get("KUBERNETES_EXEC_INFO", ""))
status = dict(plan[min(count, len(plan)) - 1])
if "expires_in" in status:
    from datetime import datetime, timedelta, timezone
    at = datetime.now(timezone.utc) + timedelta(seconds=status.pop("expires_in"))
    status["expirationTimestamp"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
print(json.dumps({"apiVersion": sys.argv[2], "kind": "ExecCredential", "status": status}))
"""


def _user(kubeconfig: str) -> dict:
    config = yaml.safe_load(Path(kubeconfig).read_text())
    return config["users"][0]["user"]


class Plugin:
    """One plugin identity (``name``) in ``directory``: its plan, runs and last exec info."""

    def __init__(self, directory: Path, name: str, plan: list[dict]) -> None:
        self.directory, self.name = directory, name
        script = directory / "exec-plugin.py"
        if not script.exists():
            script.write_text(f"#!{sys.executable}\n{PLUGIN}")
            script.chmod(script.stat().st_mode | stat.S_IXUSR)
        (directory / f"{name}.plan.json").write_text(json.dumps(plan))

    @property
    def runs(self) -> int:
        path = self.directory / f"{self.name}.runs"
        return len(path.read_text().splitlines()) if path.exists() else 0

    @property
    def exec_info(self) -> dict:
        return json.loads((self.directory / f"{self.name}.info.json").read_text())

    def kubeconfig(self, base: str, namespace: str, **exec_fields) -> str:
        """``base`` (a kubeconfig of the test cluster) with its user replaced by this plugin."""
        config = yaml.safe_load(Path(base).read_text())
        config["users"][0]["user"] = {
            "exec": {
                "apiVersion": API_VERSION,
                "command": "./exec-plugin.py",  # relative to the kubeconfig, as in client-go
                "args": [self.name, API_VERSION],
                "interactiveMode": "Never",
                **exec_fields,
            }
        }
        config["contexts"][0]["context"]["namespace"] = namespace
        path = self.directory / f"{self.name}.kubeconfig"
        path.write_text(yaml.safe_dump(config))
        return str(path)


def _client(kubeconfig: str) -> TrainerClient:
    return TrainerClient(KubernetesBackendConfig(config_file=kubeconfig))


def test_a_token_from_the_plugin_is_cached_across_calls(cluster, namespace, tmp_path):
    token = _user(cluster.token_kubeconfig)["token"]
    plugin = Plugin(tmp_path, "admin", [{"token": token}])
    client = _client(
        plugin.kubeconfig(cluster.token_kubeconfig, namespace, provideClusterInfo=True)
    )
    assert plugin.runs == 0  # not run when the client is made
    assert {r.name for r in client.list_runtimes()} >= {"torch-distributed"}
    assert client.list_jobs() == []
    client.get_runtime("torch-distributed")
    assert plugin.runs == 1
    info = plugin.exec_info
    assert info["kind"] == "ExecCredential" and info["spec"]["interactive"] is False
    cluster_info = info["spec"]["cluster"]
    assert cluster_info["server"] == cluster.server
    ca = base64.b64decode(cluster_info["certificate-authority-data"])
    assert ca.startswith(b"-----BEGIN CERTIFICATE-----")


def test_a_client_certificate_from_the_plugin(cluster, namespace, tmp_path):
    user = _user(cluster.admin_kubeconfig)
    plan = [
        {
            "clientCertificateData": base64.b64decode(user["client-certificate-data"]).decode(),
            "clientKeyData": base64.b64decode(user["client-key-data"]).decode(),
        }
    ]
    plugin = Plugin(tmp_path, "cert", plan)
    client = _client(plugin.kubeconfig(cluster.admin_kubeconfig, namespace))
    assert client.list_jobs() == []
    assert plugin.runs == 1


def test_an_expiring_credential_is_refreshed_mid_session(cluster, namespace, tmp_path):
    token = _user(cluster.token_kubeconfig)["token"]
    plugin = Plugin(tmp_path, "expiring", [{"token": token, "expires_in": 3}])
    client = _client(plugin.kubeconfig(cluster.token_kubeconfig, namespace))
    client.list_jobs()
    client.list_jobs()
    assert plugin.runs == 1
    # Past its expiry (the SDK refreshes before it, at the latest halfway through a short life).
    expiry = datetime.now(timezone.utc) + timedelta(seconds=3)
    while datetime.now(timezone.utc) < expiry:
        time.sleep(0.2)
    client.list_jobs()
    assert plugin.runs == 2


def test_a_refused_credential_runs_the_plugin_once_more(cluster, namespace, tmp_path):
    token = _user(cluster.token_kubeconfig)["token"]
    # The first credential is unknown to the server (revoked, say); the second is good.
    plugin = Plugin(tmp_path, "revoked", [{"token": "revoked-token"}, {"token": token}])
    client = _client(plugin.kubeconfig(cluster.token_kubeconfig, namespace))
    assert client.list_jobs() == []
    assert plugin.runs == 2
    client.list_jobs()
    assert plugin.runs == 2


def test_a_credential_refused_twice_is_an_unauthorized_error(cluster, namespace, tmp_path):
    plugin = Plugin(tmp_path, "bad", [{"token": "never-valid-c2VjcmV0"}])
    client = _client(plugin.kubeconfig(cluster.token_kubeconfig, namespace))
    with pytest.raises(RuntimeError) as raised:
        client.list_jobs()
    assert getattr(raised.value, "status", None) == 401
    assert plugin.runs == 2  # one refresh, not a loop
    assert "c2VjcmV0" not in str(raised.value) and "c2VjcmV0" not in repr(raised.value)


def test_two_clients_on_two_users_side_by_side_across_threads(cluster, tmp_path):
    admin = Plugin(tmp_path, "admin", [{"token": _user(cluster.token_kubeconfig)["token"]}])
    limited = Plugin(tmp_path, "limited", [{"token": _user(cluster.limited_kubeconfig)["token"]}])
    ns = cluster.limited_namespace
    admin_client = _client(admin.kubeconfig(cluster.token_kubeconfig, ns))
    limited_client = _client(limited.kubeconfig(cluster.limited_kubeconfig, ns))
    outcomes: dict[str, list] = {"admin": [], "limited": []}

    def as_admin() -> None:
        for _ in range(5):
            outcomes["admin"].append(len(admin_client.list_runtimes()))

    def as_limited() -> None:
        for _ in range(5):
            try:
                limited_client.train(trainer=CustomTrainerContainer(image="example.com/img"))
                outcomes["limited"].append("created")
            except ForbiddenError as error:
                outcomes["limited"].append(error.status)

    threads = [threading.Thread(target=as_admin), threading.Thread(target=as_limited)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes["admin"]) == 5 and min(outcomes["admin"]) >= 1
    assert outcomes["limited"] == [403] * 5
    assert (admin.runs, limited.runs) == (1, 1)


def test_a_missing_plugin_shows_its_install_hint(cluster, namespace, tmp_path):
    plugin = Plugin(tmp_path, "missing", [])
    kubeconfig = plugin.kubeconfig(
        cluster.token_kubeconfig,
        namespace,
        command="kubeflow-test-no-such-plugin",
        installHint="Install it with: pip install no-such-plugin",
    )
    with pytest.raises(AuthError) as raised:
        _client(kubeconfig).list_jobs()
    message = str(raised.value)
    assert "kubeflow-test-no-such-plugin" in message and "not found" in message
    assert "pip install no-such-plugin" in message
    assert raised.value.field == "users[kubeflow-test-token-admin].user.exec"


def _with_proxy_url(base: str, path: Path, proxy_url: str) -> str:
    config = yaml.safe_load(Path(base).read_text())
    config["clusters"][0]["cluster"]["proxy-url"] = proxy_url
    path.write_text(yaml.safe_dump(config))
    return str(path)


def _apiserver_address(cluster) -> tuple[str, int]:
    host_port = cluster.server.split("://", 1)[1]
    host, port = host_port.rsplit(":", 1)
    return host, int(port)


def test_proxy_url_in_the_kubeconfig_tunnels_every_request(cluster, namespace, tmp_path):
    with TcpProxy(_apiserver_address(cluster), http_connect=True) as proxy:
        kubeconfig = _with_proxy_url(
            cluster.admin_kubeconfig, tmp_path / "proxied", f"http://127.0.0.1:{proxy.port}"
        )
        client = TrainerClient(KubernetesBackendConfig(config_file=kubeconfig, namespace=namespace))
        assert client.list_jobs() == []
        target = cluster.server.split("://", 1)[1]
        assert proxy.connect_targets and set(proxy.connect_targets) == {target}


def test_https_proxy_and_no_proxy_from_the_environment(cluster, namespace, monkeypatch):
    with TcpProxy(_apiserver_address(cluster), http_connect=True) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        config = KubernetesBackendConfig(config_file=cluster.admin_kubeconfig, namespace=namespace)
        assert TrainerClient(config).list_jobs() == []
        assert len(proxy.connect_targets) >= 1

        seen = len(proxy.connect_targets)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        config = KubernetesBackendConfig(config_file=cluster.admin_kubeconfig, namespace=namespace)
        assert TrainerClient(config).list_jobs() == []
        assert len(proxy.connect_targets) == seen


def test_tls_server_name_is_the_name_the_certificate_is_checked_against(
    cluster, namespace, tmp_path
):
    # 127.0.0.2 reaches the API server through a proxy, but its certificate names only
    # 127.0.0.1 and localhost: the connection is refused unless tls-server-name says which
    # name to expect.
    with TcpProxy(_apiserver_address(cluster), listen_host="127.0.0.2") as proxy:
        config = yaml.safe_load(Path(cluster.admin_kubeconfig).read_text())
        cluster_entry = config["clusters"][0]["cluster"]
        cluster_entry["server"] = f"https://127.0.0.2:{proxy.port}"
        outcomes = {}
        for server_name in (None, "wrong.example.test", "localhost"):
            if server_name is not None:
                cluster_entry["tls-server-name"] = server_name
            path = tmp_path / f"{server_name}.kubeconfig"
            path.write_text(yaml.safe_dump(config))
            client = TrainerClient(
                KubernetesBackendConfig(config_file=str(path), namespace=namespace)
            )
            try:
                outcomes[server_name] = client.list_jobs()
            except ConfigError as error:  # not retried: the same certificate would come back
                assert "tls-server-name" in str(error)
                outcomes[server_name] = str(error).split("(", 1)[1].split(")", 1)[0]
    assert outcomes == {
        None: "SSL: no alternative certificate subject name matches target host name '127.0.0.2'",
        "wrong.example.test": "SSL: no alternative certificate subject name matches target host "
        "name 'wrong.example.test'",
        "localhost": [],
    }


def test_skipping_tls_verification_works_but_warns(cluster, namespace, tmp_path):
    config = yaml.safe_load(Path(cluster.token_kubeconfig).read_text())
    cluster_entry = config["clusters"][0]["cluster"]
    cluster_entry.pop("certificate-authority-data", None)
    cluster_entry.pop("certificate-authority", None)
    cluster_entry["insecure-skip-tls-verify"] = True
    insecure = tmp_path / "insecure.kubeconfig"
    insecure.write_text(yaml.safe_dump(config))
    with pytest.warns(InsecureConnectionWarning, match="TLS verification is off"):
        client = TrainerClient(KubernetesBackendConfig(config_file=str(insecure)))
    assert client.list_jobs() is not None

    with warnings.catch_warnings():
        warnings.simplefilter("error", InsecureConnectionWarning)
        TrainerClient(KubernetesBackendConfig(config_file=cluster.token_kubeconfig))
