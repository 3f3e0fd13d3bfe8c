"""After `down`, the machine is as it was before `up`: no process, link, rule, mount, cgroup or
kernel tunable of the full cluster is left, even though a pod really ran in between."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import node, processes
from tests.support.full_cluster import FullCluster

SYSCTLS = ("vm/overcommit_memory", "kernel/panic", "kernel/panic_on_oops", "net/ipv4/ip_forward")


def _text(argv: list[str]) -> str:
    proc = subprocess.run(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )
    return f"exit {proc.returncode}\n{proc.stdout}"


def snapshot() -> dict:
    """The host-wide state the cluster could change, normalized (traffic counters dropped)."""
    mounts = sorted(
        {
            " ".join((f[4], f[f.index("-") + 1], f[f.index("-") + 2]))
            for f in (
                line.split() for line in Path("/proc/self/mountinfo").read_text().splitlines()
            )
        }
    )
    return {
        "ip link": _text(["ip", "-o", "link", "show"]),
        "ip addr": _text(["ip", "-o", "addr", "show"]),
        "ip route": _text(["ip", "route", "show", "table", "all"]),
        "iptables-save": "\n".join(
            re.sub(r"\[\d+:\d+\]", "", line)
            for line in _text(["iptables-save"]).splitlines()
            if not line.startswith("#")
        ),
        "mounts": mounts,
        "sysctls": {name: Path("/proc/sys", name).read_text().strip() for name in SYSCTLS},
        "run dirs": sorted(p.name for p in Path("/run").iterdir()),
    }


@pytest.fixture
def short_dir() -> Iterator[Path]:
    # The kubelet binds unix sockets under its root dir (pod-resources/<10 digits>), and a socket
    # path has at most 107 bytes: pytest's tmp_path (/tmp/pytest-of-root/pytest-NNN/<test>0/...)
    # is too long once NNN has three digits.
    path = Path(tempfile.mkdtemp(prefix="kf-machine-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_down_leaves_the_machine_as_it_was(short_dir):
    before = snapshot()
    cluster = FullCluster(short_dir / "machine")
    cluster.stop_at_exit()
    info = cluster.up(tie_to_parent=True)
    try:
        state = cluster.read_state()
        pids = [p["pid"] for p in state["processes"].values()]
        netns, cgroup_root = state["netns_inode"], state["cgroup_root"]
        kube = info.kube
        kube.create_namespace("machine", exist_ok=True)
        image = "docker.io/pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime"
        kube.create(
            "/api/v1/namespaces/machine/pods",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "hello"},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "hello",
                            "image": image,
                            "imagePullPolicy": "Never",
                            "command": ["python", "-c", "print('hello from a pod')"],
                        }
                    ],
                },
            },
        )
        pod = kube.wait_for(
            "/api/v1/namespaces/machine/pods/hello",
            lambda p: p.get("status", {}).get("phase") in ("Succeeded", "Failed"),
            timeout=180,
        )
        assert pod["status"]["phase"] == "Succeeded"
        # While it runs, the cluster does have state: pods' cgroups, processes in its netns.
        assert processes.pids_in_netns(netns)
        assert any(d.is_dir() for d in node.cgroup_dirs(cgroup_root))
        assert snapshot()["ip link"] == before["ip link"]  # its links live in its own netns
    finally:
        cluster.down()

    after = snapshot()
    for key in before:
        assert after[key] == before[key], key
    deadline = time.monotonic() + 10  # zombies of just-killed processes may linger briefly
    while any(processes.ns_inode(pid) is not None for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in pids if Path(f"/proc/{pid}").exists()] == []
    assert processes.pids_in_netns(netns) == []
    assert not any(d.exists() for d in node.cgroup_dirs(cgroup_root))
    state_dir = str(cluster.state_dir)
    leftovers = [
        p.name for p in Path("/proc").iterdir() if p.name.isdigit() and state_dir in _cmdline(p)
    ]
    assert leftovers == []


def _cmdline(proc_dir: Path) -> str:
    try:
        return (proc_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
