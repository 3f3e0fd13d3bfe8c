"""LocalProcessBackend: runtimes, argument checks, options and errors (nothing is run)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kubeflow.trainer import (
    BuiltinTrainer,
    CustomTrainer,
    CustomTrainerContainer,
    HuggingFaceDatasetInitializer,
    Initializer,
    LocalProcessBackendConfig,
    RuntimeKind,
    TorchTuneConfig,
    TrainerClient,
    TrainerType,
)
from kubeflow.trainer.backends.localprocess import state
from kubeflow.trainer.backends.localprocess.backend import LocalProcessBackend
from kubeflow.trainer.backends.localprocess.errors import JobNotFoundError, RuntimeNotFoundError
from kubeflow.trainer.errors import NotFoundError, ValidationError

SHIPPED = [
    "torch-distributed",
    "deepspeed-distributed",
    "mlx-distributed",
    "jax-distributed",
    "xgboost-distributed",
    "torchtune-llama3.2-1b",
    "torchtune-llama3.2-3b",
    "torchtune-qwen2.5-1.5b",
]


def train_fn() -> None:
    print("never runs")


@pytest.fixture
def client(tmp_path: Path) -> TrainerClient:
    return TrainerClient(LocalProcessBackendConfig(state_dir=str(tmp_path / "state")))


def test_config_selects_local_backend(client: TrainerClient) -> None:
    assert isinstance(client.backend, LocalProcessBackend)


def test_list_runtimes_mirrors_shipped_runtimes(client: TrainerClient) -> None:
    found = client.list_runtimes()
    assert [r.name for r in found] == SHIPPED
    for runtime in found:
        assert runtime.kind == RuntimeKind.TRAINING_RUNTIME
        assert runtime.trainer.image == "local"
        assert runtime.trainer.device == "cpu"
        assert runtime.trainer.num_nodes == 1
    frameworks = {r.name: r.trainer.framework for r in found}
    assert frameworks["torch-distributed"] == "torch"
    assert frameworks["jax-distributed"] == "jax"
    assert frameworks["xgboost-distributed"] == "xgboost"
    assert frameworks["torchtune-llama3.2-1b"] == "torchtune"
    assert client.get_runtime("torchtune-qwen2.5-1.5b").trainer.trainer_type == (
        TrainerType.BUILTIN_TRAINER
    )


def test_get_runtime_unknown_is_value_error_and_not_found(client: TrainerClient) -> None:
    with pytest.raises(ValueError, match="Runtime 'nope' not found") as info:
        client.get_runtime("nope")
    assert isinstance(info.value, NotFoundError)
    assert isinstance(info.value, RuntimeNotFoundError)
    assert "torch-distributed" in str(info.value)


def test_get_runtime_packages_prints_and_returns(
    client: TrainerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    packages = client.get_runtime_packages(client.get_runtime("torch-distributed"))
    assert isinstance(packages, list)
    assert any(p.lower().startswith("pytest==") for p in packages)
    assert capsys.readouterr().out.splitlines() == packages
    with pytest.raises(ValueError, match="BuiltinTrainer"):
        client.get_runtime_packages(client.get_runtime("torchtune-llama3.2-1b"))


@pytest.mark.parametrize(
    "trainer,message",
    [
        (None, "CustomTrainer must be set"),
        (CustomTrainerContainer(image="busybox"), "CustomTrainer must be set"),
        (BuiltinTrainer(config=TorchTuneConfig()), "BuiltinTrainer"),
    ],
    ids=["none", "container", "builtin"],
)
def test_train_requires_custom_trainer(
    client: TrainerClient, trainer: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        client.train(trainer=trainer)  # type: ignore[arg-type]
    assert client.list_jobs() == []


def test_train_rejects_initializer(client: TrainerClient) -> None:
    init = Initializer(dataset=HuggingFaceDatasetInitializer(storage_uri="hf://org/data"))
    with pytest.raises(ValueError, match="Initializers are not supported"):
        client.train(trainer=CustomTrainer(func=train_fn), initializer=init)


@pytest.mark.parametrize("name", ["deepspeed-distributed", "mlx-distributed"])
def test_mpi_runtimes_explain_why_they_cannot_run(client: TrainerClient, name: str) -> None:
    with pytest.raises(ValueError, match="mpirun") as info:
        client.train(runtime=name, trainer=CustomTrainer(func=train_fn))
    assert name in str(info.value)
    assert client.list_jobs() == []


def test_torchtune_runtime_is_rejected(client: TrainerClient) -> None:
    runtime = client.get_runtime("torchtune-llama3.2-3b")
    with pytest.raises(ValueError, match=r"torchtune-llama3\.2-3b.*BuiltinTrainer"):
        client.train(runtime=runtime, trainer=CustomTrainer(func=train_fn))


def test_unknown_runtime_name(client: TrainerClient) -> None:
    with pytest.raises(ValueError, match="not found"):
        client.train(runtime="tensorflow-distributed", trainer=CustomTrainer(func=train_fn))


def test_kubernetes_options_are_rejected(client: TrainerClient) -> None:
    options = pytest.importorskip("kubeflow.trainer.options")
    rejected = [
        options.Labels({"a": "b"}),
        options.Annotations({"a": "b"}),
        options.RuntimePatch(),
        options.ActiveDeadlineSeconds(60),
    ]
    for option in rejected:
        with pytest.raises(ValueError) as info:
            client.train(trainer=CustomTrainer(func=train_fn), options=[option])
        assert "not compatible with" in str(info.value)
        assert "LocalProcessBackend" in str(info.value)
    assert client.list_jobs() == []


def test_invalid_names_are_rejected(client: TrainerClient) -> None:
    def set_name(name: str) -> Callable[[dict, object, object], None]:  # a minimal option
        def option(job_spec: dict, trainer: object, backend: object) -> None:
            job_spec["metadata"]["name"] = name

        return option

    for bad in ["Upper", "under_score", "-dash", "x" * 64, "a/b"]:
        with pytest.raises(ValueError, match="Invalid TrainJob name"):
            client.train(trainer=CustomTrainer(func=train_fn), options=[set_name(bad)])
    with pytest.raises(ValueError, match="not an option"):
        client.train(trainer=CustomTrainer(func=train_fn), options=["name"])


def test_bad_trainer_fields(client: TrainerClient) -> None:
    with pytest.raises(ValueError, match="num_nodes"):
        client.train(trainer=CustomTrainer(func=train_fn, num_nodes=0))
    with pytest.raises(ValueError, match="PET_NNODES"):
        client.train(trainer=CustomTrainer(func=train_fn, env={"PET_NNODES": "4"}))
    with pytest.raises(ValueError, match=r"trainer\.env"):
        client.train(trainer=CustomTrainer(func=train_fn, env={"A": 1}))  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="func_args"):
        client.train(trainer=CustomTrainer(func=train_fn, func_args={"x": object()}))
    assert client.list_jobs() == []


def test_unknown_job_is_value_error_and_not_found(client: TrainerClient) -> None:
    calls = [
        lambda: client.get_job("missing"),
        lambda: client.get_job_logs("missing"),
        lambda: client.wait_for_job_status("missing", timeout=2, polling_interval=1),
        lambda: client.delete_job("missing"),
    ]
    for call in calls:
        with pytest.raises(ValueError) as info:
            call()
        assert isinstance(info.value, JobNotFoundError)
        assert isinstance(info.value, NotFoundError)
    # A name no TrainJob can have is a bad argument, not a missing job.
    with pytest.raises(ValidationError, match="Invalid TrainJob name"):
        client.get_job("../jobs")


def test_wait_argument_checks(client: TrainerClient) -> None:
    with pytest.raises(ValueError, match="Polling interval"):
        client.backend.wait_for_job_status("x", timeout=2, polling_interval=5)
    with pytest.raises(ValueError, match="Invalid status"):
        client.backend.wait_for_job_status("x", status={"Succeeded"})
    with pytest.raises(ValueError, match="Invalid status"):
        client.backend.wait_for_job_status("x", status=set())


def test_get_job_events_not_implemented(client: TrainerClient) -> None:
    with pytest.raises(NotImplementedError):
        client.get_job_events("anything")


def test_config_validation() -> None:
    with pytest.raises(ValidationError, match="processes_per_node"):
        LocalProcessBackendConfig(processes_per_node=0)
    with pytest.raises(ValueError, match="processes_per_node"):
        LocalProcessBackendConfig(processes_per_node=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="termination_grace_period_seconds"):
        LocalProcessBackendConfig(termination_grace_period_seconds=0)
    assert LocalProcessBackendConfig().cleanup_venv is True


def test_state_dir_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(state.STATE_DIR_ENV, str(tmp_path / "from-env"))
    assert state.resolve_state_dir(None) == tmp_path / "from-env"
    assert state.resolve_state_dir(str(tmp_path / "cfg")) == tmp_path / "cfg"
    monkeypatch.delenv(state.STATE_DIR_ENV)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert state.resolve_state_dir(None) == tmp_path / "home" / ".kubeflow" / "trainer" / "local"
    backend = LocalProcessBackend()
    assert backend.state_dir == tmp_path / "home" / ".kubeflow" / "trainer" / "local"
    assert not backend.state_dir.exists()  # nothing is written until a job is created


@pytest.mark.parametrize(
    "steps,expected",
    [
        (["Complete", "Complete"], "Complete"),
        (["Complete", "Running"], "Running"),
        (["Failed", "Running"], "Failed"),
        (["Created", "Complete"], "Created"),
        ([], "Created"),
    ],
)
def test_status_aggregation(steps: list[str], expected: str) -> None:
    assert state.aggregate(steps) == expected


def test_nothing_written_outside_the_state_dir(client: TrainerClient, tmp_path: Path) -> None:
    before = set(os.listdir(tmp_path))
    client.list_jobs()
    assert set(os.listdir(tmp_path)) == before
