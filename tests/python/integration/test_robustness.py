"""Robustness against the real control plane: clean interpreter exit with streams open,
watches that survive a dropped connection, and transport errors that say what happened."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import yaml

from kubeflow.trainer import CustomTrainerContainer, errors
from kubeflow.trainer.options import Name
from tests.python.integration.k8s_sim import client, condition, set_conditions
from tests.support.tcp_proxy import TcpProxy

REPO = Path(__file__).resolve().parents[3]


def _kubeconfig_copy(cluster, tmp_path: Path, edit) -> str:
    config = yaml.safe_load(Path(cluster.admin_kubeconfig).read_text())
    edit(config)
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return str(path)


_EXIT_SCRIPT = textwrap.dedent("""
    import sys, threading, time
    from kubeflow.trainer import (CustomTrainerContainer, KubernetesBackendConfig,
                                  TrainerClient)
    client = TrainerClient(KubernetesBackendConfig(config_file=sys.argv[1],
                                                   namespace=sys.argv[2]))
    name = client.train(trainer=CustomTrainerContainer(image="example.com/train:1"))
    client.wait_for_job_status(name, {"Created"}, timeout=60)
    # Still running when the interpreter exits: a followed log (its pod never starts) and a
    # wait (the job never completes), each in a daemon thread.
    threading.Thread(target=lambda: list(client.get_job_logs(name, follow=True)),
                     daemon=True).start()
    threading.Thread(target=lambda: client.wait_for_job_status(name, timeout=600),
                     daemon=True).start()
    time.sleep(0.5)
    print("exiting", flush=True)
""")


def test_interpreter_exit_is_clean_with_streams_open(cluster, namespace) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "python"), str(REPO)]))
    results = []
    for _ in range(20):
        started = time.monotonic()
        run = subprocess.run(
            [sys.executable, "-c", _EXIT_SCRIPT, cluster.admin_kubeconfig, namespace],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        results.append((run.returncode, run.stderr[-500:], time.monotonic() - started))
    slowest = max(r[2] for r in results)
    print("exit codes:", [r[0] for r in results], f"max run time: {slowest:.2f} s")
    assert [r for r in results if r[0] != 0 or "terminate" in r[1]] == []


def test_wait_resumes_after_the_connection_is_cut(cluster, namespace, tmp_path) -> None:
    host, port = cluster.server.removeprefix("https://").rsplit(":", 1)
    with TcpProxy((host, int(port))) as proxy:

        def via_proxy(config: dict) -> None:
            config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{proxy.port}"

        c = client(cluster, namespace, _kubeconfig_copy(cluster, tmp_path, via_proxy))
        name = c.train(
            trainer=CustomTrainerContainer(image="example.com/train:1"),
            options=[Name("resume-wait")],
        )
        outcome: dict = {}

        def wait() -> None:
            try:
                outcome["job"] = c.wait_for_job_status(name, timeout=120)
            except Exception as error:  # noqa: BLE001 - the test inspects it
                outcome["error"] = error
            outcome["at"] = time.monotonic()

        waiter = threading.Thread(target=wait, daemon=True)
        waiter.start()
        time.sleep(1.0)  # the watches are established
        connections_before = proxy.connections
        proxy.cut(refuse_for=3.0)  # like an API server restart: drop, then refuse for 3 s
        time.sleep(3.5)
        completed_at = time.monotonic()
        set_conditions(cluster, namespace, name, condition("Complete"))
        waiter.join(60)
    assert not waiter.is_alive()
    assert "error" not in outcome, outcome
    assert outcome["job"].status == "Complete"
    assert proxy.connections > connections_before  # it reconnected through the proxy
    print(
        f"wait returned {outcome['at'] - completed_at:.2f} s after the job completed "
        f"({outcome['at'] - completed_at + 3.5:.2f} s after the cut)"
    )


def test_request_too_large_reports_the_413(cluster, namespace) -> None:
    c = client(cluster, namespace)
    big = CustomTrainerContainer(image="example.com/train:1", env={"BIG": "x" * 4_000_000})
    with pytest.raises(errors.ApiError) as info:
        c.train(trainer=big)
    assert info.value.status == 413
    assert not isinstance(info.value, errors.TransportError)
    assert "too large" in str(info.value).lower() or "larger" in str(info.value)


def test_http_url_on_the_https_port_is_a_config_error(cluster, namespace, tmp_path) -> None:
    def plain_http(config: dict) -> None:
        cluster_entry = config["clusters"][0]["cluster"]
        cluster_entry["server"] = cluster_entry["server"].replace("https://", "http://")

    c = client(cluster, namespace, _kubeconfig_copy(cluster, tmp_path, plain_http))
    with pytest.raises(errors.ConfigError, match="https://"):
        c.list_jobs()


def test_bad_client_key_is_a_config_error(cluster, namespace, tmp_path) -> None:
    def bad_key(config: dict) -> None:
        garbage = b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"
        config["users"][0]["user"]["client-key-data"] = base64.b64encode(garbage).decode()

    with pytest.raises(errors.ConfigError, match="client"):
        client(cluster, namespace, _kubeconfig_copy(cluster, tmp_path, bad_key)).list_jobs()
