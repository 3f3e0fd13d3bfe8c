"""The fault matrix, part 2: followed logs and an API server restart during a watch.

Logs come from tests/support/log_kubelet (a stand-in kubelet; the real API server proxies the
log from it) through tests/support/fault_proxy, so the faults hit the client's connection to the
API server. A followed log must yield every numbered line exactly once, in order. The restart
runs on a control plane of its own, so no other test sees the outage. Part 1 and the shared
helpers: test_k8s_fault_matrix.py, fault_matrix.py.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest

from tests.python.integration.fault_matrix import (
    CHANGES,
    EXPECTED,
    LOG_SILENCE_S,
    Background,
    client_for,
    fast_streams,
    left_within,
    record,
    wait_until,
)
from tests.python.integration.k8s_sim import (
    condition,
    create_pod,
    create_trainjob,
    set_conditions,
)
from tests.support.control_plane import ClusterInfo, ControlPlane
from tests.support.fault_proxy import FaultProxy
from tests.support.harness import running_for_tests
from tests.support.log_kubelet import LogKubelet

LINES = 40
INTERVAL = 0.1  # ten lines a second: a resume from a whole-second sinceTime must drop repeats


@pytest.fixture
def kubelet(cluster) -> Iterator[LogKubelet]:
    with LogKubelet(cluster) as k:
        yield k


def _running_pod(cluster, namespace: str, kubelet: LogKubelet) -> str:
    """TrainJob "logged" with its node-0 pod running on the stand-in kubelet's node."""
    create_trainjob(cluster, namespace, "logged")
    pod = create_pod(cluster, namespace, "logged", "node", phase="Running", node=kubelet.node_name)
    return pod["metadata"]["name"]


def _follow(client) -> list[tuple[str, float]]:
    return [(line, time.monotonic()) for line in client.get_job_logs("logged", follow=True)]


def test_a_followed_log_comes_through_the_real_api_server(cluster, namespace, kubelet):
    pod = _running_pod(cluster, namespace, kubelet)
    kubelet.add_log(namespace, pod, "node", lines=5, interval=0.05)
    client = client_for(cluster.admin_kubeconfig, namespace)
    assert [line for line, _ in _follow(client)] == kubelet.expected(namespace, pod, "node")
    assert any(p.startswith(f"/containerLogs/{namespace}/{pod}/node?") for p in kubelet.requests)


LOG_FAULTS = {
    "log follow: connection reset (RST) after 10 lines": {"reset": True, "after_lines": 10},
    "log follow: chunked body cut mid-line after 10 lines": {
        "truncate": True,
        "after_lines": 10,
        "after_bytes": 12,
    },
    "log follow: stalled mid-stream (connection open, silent)": {
        "stall": 60.0,
        "after_lines": 10,
    },
    "log follow: stalled before its answer": {"stall": 60.0},
}


@pytest.mark.parametrize("fault", list(LOG_FAULTS))
def test_a_followed_log_survives_the_fault_without_losing_or_repeating_a_line(
    fault, cluster, namespace, kubelet, tmp_path, figures, monkeypatch
):
    fast_streams(monkeypatch)
    pod = _running_pod(cluster, namespace, kubelet)
    with FaultProxy(cluster) as proxy:
        proxied = proxy.kubeconfig(cluster.token_kubeconfig, tmp_path / "proxied", namespace)
        client = client_for(proxied, namespace)
        proxy.inject("GET", f"/pods/{pod}/log", query="follow=true", **LOG_FAULTS[fault])
        kubelet.add_log(namespace, pod, "node", lines=LINES, interval=INTERVAL)
        lines = _follow(client)
    assert [line for line, _ in lines] == kubelet.expected(namespace, pod, "node")
    assert proxy.fault_times, "the fault never struck"
    # A stall is left by the client within its read deadline, not outlasted.
    if "stall" in LOG_FAULTS[fault]:
        left_within(proxy, LOG_SILENCE_S)
    else:
        assert proxy.stall_endings == []
    strike = proxy.fault_times[0]
    resumed = lines[LOG_FAULTS[fault].get("after_lines", 0)][1]  # the first line not yet had
    record(figures, fault, f"all {LINES} lines once, in order", resumed - strike)


def test_a_quiet_log_is_reopened_without_losing_or_repeating_a_line(
    cluster, namespace, kubelet, figures, monkeypatch
):
    # Silence longer than the log's read deadline: the program printed nothing for a while.
    fast_streams(monkeypatch)
    pod = _running_pod(cluster, namespace, kubelet)
    pause = 2 * LOG_SILENCE_S + 0.5
    kubelet.add_log(
        namespace, pod, "node", lines=20, interval=INTERVAL, pause_after=10, pause=pause
    )
    client = client_for(cluster.admin_kubeconfig, namespace)
    before = len(kubelet.requests)
    lines = _follow(client)
    assert [line for line, _ in lines] == kubelet.expected(namespace, pod, "node")
    # Opened again after each silent read deadline (twice), each from the last line's second.
    reopened = [p for p in kubelet.requests[before:] if "sinceTime=" in p]
    assert len(reopened) >= 2
    gap = lines[10][1] - lines[9][1]
    record(
        figures,
        f"log follow: program silent {pause:.1f} s (read deadline {LOG_SILENCE_S} s)",
        f"reopened {len(reopened)} times, all lines once",
        gap - pause,
    )


# ---- an API server restart during a watch ----------------------------------------------------


@pytest.fixture(scope="module")
def own_control_plane(tmp_path_factory) -> Iterator[tuple[ControlPlane, ClusterInfo]]:
    """A control plane for this module alone: its API server is restarted."""
    cp = ControlPlane(tmp_path_factory.mktemp("restartable"))
    with running_for_tests(cp, "a second control plane") as info:
        yield cp, info


def test_a_watch_survives_an_api_server_restart(own_control_plane, figures):
    cp, info = own_control_plane
    namespace = f"t-restart-{secrets.token_hex(3)}"
    info.kube.create_namespace(namespace)
    create_trainjob(info, namespace, "watched")
    client = client_for(info.admin_kubeconfig, namespace)
    seen: list[tuple[str, float]] = []
    waiter = Background(
        lambda: client.wait_for_job_status(
            "watched",
            {"Complete"},
            timeout=180,
            callbacks=[lambda job: seen.append((job.status, time.monotonic()))],
        )
    )

    def change(i: int) -> None:
        set_conditions(info, namespace, "watched", condition(*CHANGES[i]))

    wait_until(lambda: len(seen) == 1, what="the first status")
    change(0)
    wait_until(lambda: len(seen) == 2, what="the first change")
    stopped = time.monotonic()
    # SIGTERM, SIGKILL after 3 s (it waits for open watches), 1 s down, then started again.
    # From this thread: the new process is tied to it.
    cp.restart_apiserver(down_for=1.0, grace=3.0)
    ready = time.monotonic()
    # No change can happen while the only API server is down. After it, each change is made
    # once the one before was seen: the first may meet the client still reconnecting (or
    # re-listing after 410 Gone), and must then be seen once, not lost or doubled.
    for i in range(1, len(CHANGES)):
        change(i)
        wait_until(lambda n=i + 2: len(seen) >= n, timeout=90, what=f"change {i}")
    waiter.join(60)
    assert waiter.error is None, waiter.error
    assert [s for s, _ in seen] == EXPECTED
    record(
        figures,
        f"watch: API server restarted ({ready - stopped:.1f} s from stop to ready again)",
        "wait_for_job_status() sees each change once",
        seen[2][1] - stopped,
    )
