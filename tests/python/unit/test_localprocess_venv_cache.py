"""The environment cache of packages_to_install: no tool noise in job logs, a size limit with
least-recently-used eviction that spares environments in use, and clearing it (offline wheels)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kubeflow.trainer import CustomTrainer, LocalProcessBackendConfig, TrainerClient
from kubeflow.trainer.backends.localprocess import venv, venv_cache
from kubeflow.trainer.errors import JobFailedError
from tests.python.unit.test_localprocess_venv import make_wheel


def import_package(module: str) -> None:
    import importlib

    print(f"{module}={importlib.import_module(module).VALUE}")


def wait_for_file(path: str) -> None:
    import os
    import time

    print("waiting", flush=True)
    while not os.path.exists(path):
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """pip (run by the supervisor, which inherits this environment) must not use the network."""
    monkeypatch.setenv("PIP_NO_INDEX", "1")


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


def client_for(state_dir: Path, limit_bytes: int | None) -> TrainerClient:
    gb = None if limit_bytes is None else limit_bytes / 2**30
    return TrainerClient(LocalProcessBackendConfig(state_dir=str(state_dir), venv_cache_max_gb=gb))


@pytest.fixture
def wheels(tmp_path: Path) -> dict[str, str]:
    out = tmp_path / "wheels"
    out.mkdir()
    return {name: str(make_wheel(out, name)) for name in ("kf_pkg_a", "kf_pkg_b", "kf_pkg_c")}


def run(client: TrainerClient, module: str, wheel: str) -> list[str]:
    trainer = CustomTrainer(
        func=import_package,
        func_args={"module": module},
        packages_to_install=[wheel],
        pip_index_urls=[],
    )
    name = client.train(trainer=trainer)
    client.wait_for_job_status(name, timeout=120, polling_interval=0.2)
    return list(client.get_job_logs(name))


def env_dir(state_dir: Path, wheel: str) -> Path:
    return state_dir / "venvs" / venv.cache_key([wheel], [])


@pytest.fixture
def cleanup(state_dir: Path) -> Iterator[None]:
    yield
    client = TrainerClient(LocalProcessBackendConfig(state_dir=str(state_dir)))
    for job in client.list_jobs():
        client.delete_job(job.name)


def test_pip_prints_no_colour_codes_when_the_kernel_forces_colour(
    state_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cleanup: None
) -> None:
    # ipykernel sets FORCE_COLOR=1; pip's rich console then colours even a pipe.
    monkeypatch.setenv("FORCE_COLOR", "1")
    client = client_for(state_dir, None)
    missing = str(tmp_path / "kf_not_there-1.0-py3-none-any.whl")
    name = client.train(
        trainer=CustomTrainer(
            func=import_package, func_args={"module": "x"}, packages_to_install=[missing]
        )
    )
    with pytest.raises(JobFailedError):
        client.wait_for_job_status(name, timeout=120, polling_interval=0.2)
    lines = list(client.get_job_logs(name))
    assert any("ERROR" in line and "kf_not_there" in line for line in lines), lines
    assert not [line for line in lines if "\x1b" in line or "\r" in line]


def test_least_recently_used_environments_are_evicted_over_the_limit(
    state_dir: Path, wheels: dict[str, str], cleanup: None
) -> None:
    unbounded = client_for(state_dir, None)
    for module in ("kf_pkg_a", "kf_pkg_b"):
        assert run(unbounded, module, wheels[module])[-1] == f"{module}=42"
    run(unbounded, "kf_pkg_a", wheels["kf_pkg_a"])  # a is now more recently used than b
    size = venv_cache.tree_size(env_dir(state_dir, wheels["kf_pkg_a"]))
    # Room for about two such environments: building c evicts b (the least recently used).
    lines = run(client_for(state_dir, int(size * 2.5)), "kf_pkg_c", wheels["kf_pkg_c"])
    b_key = env_dir(state_dir, wheels["kf_pkg_b"]).name
    assert any("removed the least recently used" in line and b_key in line for line in lines)
    assert env_dir(state_dir, wheels["kf_pkg_a"]).is_dir()
    assert not env_dir(state_dir, wheels["kf_pkg_b"]).exists()
    assert env_dir(state_dir, wheels["kf_pkg_c"]).is_dir()
    # An evicted environment is rebuilt when needed again.
    assert run(unbounded, "kf_pkg_b", wheels["kf_pkg_b"])[-1] == "kf_pkg_b=42"


def test_an_environment_in_use_is_neither_evicted_nor_cleared(
    state_dir: Path, tmp_path: Path, wheels: dict[str, str], cleanup: None
) -> None:
    client = client_for(state_dir, 0)
    release = tmp_path / "release"
    busy = client.train(
        trainer=CustomTrainer(
            func=wait_for_file,
            func_args={"path": str(release)},
            packages_to_install=[wheels["kf_pkg_a"]],
            pip_index_urls=[],
        )
    )
    for _ in client.get_job_logs(busy, follow=True):
        break  # the job runs in its environment
    # A limit of 0: the next build evicts everything it can, which is not the busy environment.
    assert run(client, "kf_pkg_b", wheels["kf_pkg_b"])[-1] == "kf_pkg_b=42"
    assert env_dir(state_dir, wheels["kf_pkg_a"]).is_dir()
    backend = client.backend
    assert backend.clear_venv_cache() == [env_dir(state_dir, wheels["kf_pkg_b"]).name]  # type: ignore[attr-defined]
    assert env_dir(state_dir, wheels["kf_pkg_a"]).is_dir()
    release.touch()
    client.wait_for_job_status(busy, timeout=60, polling_interval=0.2)
    assert backend.clear_venv_cache() == [env_dir(state_dir, wheels["kf_pkg_a"]).name]  # type: ignore[attr-defined]
    assert not [p for p in (state_dir / "venvs").iterdir() if p.is_dir()]


def test_the_cache_limit_is_validated() -> None:
    with pytest.raises(ValueError, match="venv_cache_max_gb"):
        LocalProcessBackendConfig(venv_cache_max_gb=-1)
