"""get_job_logs options on the local backend: every node at once, tail_lines, refusals, and
memory that stays bounded on huge logs. Jobs really run as local processes."""

from __future__ import annotations

import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubeflow.trainer import CustomTrainer, LocalProcessBackendConfig, TrainerClient
from kubeflow.trainer.backends.localprocess import logs
from kubeflow.trainer.errors import ValidationError

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")


def first_then_wait(flag: str) -> None:
    """Rank 1 prints and raises a flag; rank 0 prints, waits for the flag, then prints again."""
    import os
    import pathlib
    import time

    rank = int(os.environ["RANK"])
    print(f"first {rank}", flush=True)
    if rank == 1:
        pathlib.Path(flag).touch()
        return
    while not pathlib.Path(flag).exists():
        time.sleep(0.05)
    time.sleep(1.0)  # node-1's line is on disk well before this one
    print(f"second {rank}", flush=True)


def count_to(n: int) -> None:
    for i in range(1, n + 1):
        print(f"line {i}")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TrainerClient]:
    cfg = LocalProcessBackendConfig(
        state_dir=str(tmp_path / "state"), termination_grace_period_seconds=2
    )
    c = TrainerClient(cfg)
    yield c
    for job in c.list_jobs():
        c.delete_job(job.name)


def test_all_nodes_are_followed_at_once_with_prefixes(client: TrainerClient, tmp_path: Path):
    flag = str(tmp_path / "flag")
    name = client.train(
        trainer=CustomTrainer(func=first_then_wait, func_args={"flag": flag}, num_nodes=2)
    )
    lines = list(client.get_job_logs(name, follow=True, all_nodes=True))
    assert sorted(lines) == ["[node-0] first 0", "[node-0] second 0", "[node-1] first 1"]
    # Read node after node, node-0's second line would come before node-1's first.
    assert lines.index("[node-1] first 1") < lines.index("[node-0] second 0")


def test_all_nodes_without_follow_and_tail_lines(client: TrainerClient):
    name = client.train(trainer=CustomTrainer(func=count_to, func_args={"n": 10}, num_nodes=2))
    client.wait_for_job_status(name, timeout=120, polling_interval=1)
    assert list(client.get_job_logs(name, all_nodes=True, tail_lines=2)) == [
        "[node-0] line 9",
        "[node-0] line 10",
        "[node-1] line 9",
        "[node-1] line 10",
    ]
    assert list(client.get_job_logs(name, step="node-1", tail_lines=3)) == [
        "line 8",
        "line 9",
        "line 10",
    ]
    assert list(client.get_job_logs(name, follow=True, tail_lines=1)) == ["line 10"]
    assert list(client.get_job_logs(name, tail_lines=0)) == []
    assert len(list(client.get_job_logs(name, all_nodes=True))) == 20


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"since_seconds": 10}, "since_seconds"),
        ({"previous": True}, "previous"),
        ({"step": "node-1", "all_nodes": True}, "step"),
        ({"tail_lines": -1}, "tail_lines"),
        ({"tail_lines": True}, "tail_lines"),
        ({"since_seconds": 0}, "since_seconds"),
        ({"all_nodes": "yes"}, "all_nodes"),
    ],
)
def test_options_the_local_backend_refuses_name_their_field(
    client: TrainerClient, options: dict, field: str
):
    name = client.train(trainer=CustomTrainer(func=count_to, func_args={"n": 1}))
    with pytest.raises(ValidationError) as raised:
        client.get_job_logs(name, **options)
    assert raised.value.field == field


def test_tail_start_finds_lines_far_back_in_a_big_file(tmp_path: Path):
    path = tmp_path / "big.log"
    path.write_bytes(b"".join(b"line %06d\n" % i for i in range(100_000)))  # 1.1 MB
    assert logs.tail_lines(path, 50_000)[0] == "line 050000"
    assert len(logs.tail_lines(path, 50_000)) == 50_000
    assert logs.tail_lines(path, 200_000)[0] == "line 000000"
    path.write_bytes(b"a\nb\nc")  # a last line without its newline is a line
    assert logs.tail_lines(path, 2) == ["b", "c"]


def test_huge_logs_are_read_in_bounded_memory(tmp_path: Path, figures: list[str]):
    path = tmp_path / "huge.log"
    with open(path, "wb") as out:
        out.write(b"start " + b"x" * (32 << 20) + b"\n")  # a 32 MiB line
        block = b"".join(b"line %07d " % i + b"y" * 1000 + b"\n" for i in range(1000))
        for _ in range(32):  # and 32 MB of ordinary lines
            out.write(block)
        out.write(b"z" * (8 << 20))  # a last line of 8 MiB that never ends
    size_mib = path.stat().st_size / (1 << 20)
    tracemalloc.start()
    try:
        count = 0
        first = last = ""
        for line in logs.follow_many([("[node-0] ", path, 0)], finished=lambda: True):
            count += 1
            first = first or line
            last = line
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 1 + 32_000 + 1
    assert first.endswith(f" [{(32 << 20) + 6 - logs.MAX_LINE} more bytes not shown]")
    assert last.startswith("[node-0] zzz") and last.endswith("more bytes not shown]")
    figures.append(
        f"local log: {size_mib:.0f} MiB file with a 32 MiB line read with a peak of "
        f"{peak / (1 << 20):.2f} MiB of Python memory"
    )
    assert peak < 2 << 20


def test_a_follow_of_a_growing_file_holds_no_more_than_a_line(tmp_path: Path):
    path = tmp_path / "growing.log"
    path.write_bytes(b"")
    written = {"n": 0}

    def finished() -> bool:
        # Every poll writes 1 MiB more of a line that never ends, up to 40 MiB.
        if written["n"] < 40:
            with open(path, "ab") as out:
                out.write(b"p" * (1 << 20))
            written["n"] += 1
            return False
        return True

    tracemalloc.start()
    try:
        lines = list(logs.follow_lines(path, finished, poll=0.001))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == ["p" * logs.MAX_LINE + f" [{(40 << 20) - logs.MAX_LINE} more bytes not shown]"]
    assert peak < 2 << 20
