"""LocalProcessBackend: packages_to_install environments (offline: a wheel built in a tmp dir)."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubeflow.trainer import CustomTrainer, LocalProcessBackendConfig, TrainerClient
from kubeflow.trainer.backends.localprocess import venv
from kubeflow.trainer.errors import JobFailedError


def use_package() -> None:
    import sys

    import kf_local_tinypkg
    import pytest  # the caller's packages stay visible (overlay)

    print(f"python={sys.executable} value={kf_local_tinypkg.VALUE} pytest={bool(pytest)}")


def make_wheel(directory: Path, name: str = "kf_local_tinypkg", version: str = "0.1") -> Path:
    """A minimal pure-Python wheel, written by hand so that no build backend or network is used."""
    files = {
        f"{name}/__init__.py": "VALUE = 42\n",
        f"{name}-{version}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        ),
        f"{name}-{version}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    path = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for member, text in files.items():
            wheel.writestr(member, text)
            digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest())
            record.append(f"{member},sha256={digest.rstrip(b'=').decode()},{len(text)}")
        record.append(f"{name}-{version}.dist-info/RECORD,,")
        wheel.writestr(f"{name}-{version}.dist-info/RECORD", "\n".join(record) + "\n")
    return path


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """pip (run by the supervisor, which inherits this environment) must not use the network."""
    monkeypatch.setenv("PIP_NO_INDEX", "1")


def run(client: TrainerClient, trainer: CustomTrainer) -> tuple[str, list[str]]:
    name = client.train(trainer=trainer)
    client.wait_for_job_status(name, timeout=120, polling_interval=1)
    return name, list(client.get_job_logs(name))


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def client(state_dir: Path) -> Iterator[TrainerClient]:
    c = TrainerClient(LocalProcessBackendConfig(state_dir=str(state_dir)))
    yield c
    for job in c.list_jobs():
        c.delete_job(job.name)


def test_cached_environment_is_reused(
    client: TrainerClient, state_dir: Path, tmp_path: Path, offline: None
) -> None:
    wheel = str(make_wheel(tmp_path))
    trainer = CustomTrainer(func=use_package, packages_to_install=[wheel], pip_index_urls=[])
    _, first = run(client, trainer)
    _, second = run(client, trainer)
    key = venv.cache_key([wheel], [])
    expected = f"python={state_dir / 'venvs' / key / 'bin' / 'python'} value=42 pytest=True"
    assert first[-1] == expected and second[-1] == expected
    assert any("Successfully installed" in line for line in first)
    assert any("reusing cached environment" in line for line in second)
    assert not any("Successfully installed" in line for line in second)
    assert [p.name for p in (state_dir / "venvs").iterdir() if p.is_dir()] == [key]


def test_cache_key_depends_on_the_package_set_not_its_order() -> None:
    assert venv.cache_key(["a", "b"], []) == venv.cache_key(["b", "a", "a"], [])
    assert venv.cache_key(["a"], []) != venv.cache_key(["a", "b"], [])
    assert venv.cache_key(["a"], ["https://x/simple"]) != venv.cache_key(["a"], [])
    assert venv.pip_install_args(["a"], ["https://i/simple", "https://e/simple"])[-5:] == [
        "--index-url",
        "https://i/simple",
        "--extra-index-url",
        "https://e/simple",
        "a",
    ]


def test_private_environment_is_removed_after_the_job(
    state_dir: Path, tmp_path: Path, offline: None
) -> None:
    client = TrainerClient(
        LocalProcessBackendConfig(state_dir=str(state_dir), venv_cache=False, cleanup_venv=True)
    )
    wheel = str(make_wheel(tmp_path))
    name, lines = run(
        client, CustomTrainer(func=use_package, packages_to_install=[wheel], pip_index_urls=[])
    )
    job_dir = state_dir / "jobs" / name
    assert lines[-1].startswith(f"python={job_dir / 'venv' / 'bin' / 'python'} value=42")
    assert not (job_dir / "venv").exists()
    assert not (state_dir / "venvs").exists()
    client.delete_job(name)


def test_pip_failure_fails_the_job(client: TrainerClient, tmp_path: Path, offline: None) -> None:
    missing = str(tmp_path / "not_there-1.0-py3-none-any.whl")
    name = client.train(
        trainer=CustomTrainer(func=use_package, packages_to_install=[missing], pip_index_urls=[])
    )
    with pytest.raises(JobFailedError, match="pip install") as info:
        client.wait_for_job_status(name, timeout=120, polling_interval=1)
    job = client.get_job(name)
    assert job.status == "Failed" and [s.status for s in job.steps] == ["Failed"]
    assert info.value.step == "node-0" and info.value.exit_code is None
    assert any("not_there" in line for line in info.value.log_tail)
