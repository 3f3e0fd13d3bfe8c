"""The shared argument rules (kubeflow.trainer._validation) on the local backend; the same cases
run against the Kubernetes backend in tests/python/integration/test_k8s_argument_validation.py."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from kubeflow.trainer import (  # noqa: E402
    CustomTrainer,
    LocalProcessBackendConfig,
    TrainerClient,
    _validation,
)
from kubeflow.trainer.errors import ValidationError  # noqa: E402
from kubeflow.trainer.options import Name  # noqa: E402
from tests.python.argument_cases import (  # noqa: E402
    BAD_CUSTOM_TRAINERS,
    BAD_JOB_NAMES,
    BAD_STEPS,
    BAD_TRAIN_ARGUMENTS,
    BAD_WAITS,
    NAME_METHODS,
    custom_trainer,
    train_fn,
)


@pytest.fixture
def client(tmp_path: Path) -> TrainerClient:
    return TrainerClient(LocalProcessBackendConfig(state_dir=str(tmp_path / "state")))


def refused(call: Any, field: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call()
    assert isinstance(info.value, ValueError)
    assert info.value.field == field, str(info.value)
    return info.value


# --- the rules themselves ---------------------------------------------------------------------


def test_job_name_rule_is_rfc_1035_as_on_a_cluster() -> None:
    for good in ["a", "abc-1", "a" * 63]:
        assert _validation.validate_job_name(good) == good
    for bad in BAD_JOB_NAMES + ["abc-", "a_b", "a.b"]:
        refused(lambda bad=bad: _validation.validate_job_name(bad), "name")


def test_generated_names_pass_the_name_rule() -> None:
    names = {_validation.generate_job_name() for _ in range(50)}
    assert len(names) == 50
    assert all(_validation.validate_job_name(n) for n in names)
    # Upstream's shape: a letter, then 11 hex digits.
    assert all(re.fullmatch(r"[a-z][0-9a-f]{11}", n) for n in names)


# --- the local backend ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_JOB_NAMES, ids=repr)
@pytest.mark.parametrize(
    "method,kwargs", [(m, k) for _, m, k in NAME_METHODS], ids=[i for i, _, _ in NAME_METHODS]
)
def test_every_name_method_refuses_a_bad_name(
    client: TrainerClient, method: str, kwargs: dict, bad: Any
) -> None:
    refused(lambda: getattr(client.backend, method)(bad, **kwargs), "name")


def test_delete_job_with_a_bad_name_deletes_nothing(client: TrainerClient) -> None:
    first = client.train(trainer=CustomTrainer(func=train_fn))
    second = client.train(trainer=CustomTrainer(func=train_fn))
    try:
        for bad in ["", None, 5]:
            refused(lambda bad=bad: client.delete_job(bad), "name")
        assert sorted(j.name for j in client.list_jobs()) == sorted([first, second])
    finally:
        for name in (first, second):
            client.delete_job(name)


def test_a_name_valid_only_under_rfc_1123_is_refused_locally_too(client: TrainerClient) -> None:
    refused(
        lambda: client.train(trainer=CustomTrainer(func=train_fn), options=[Name("1abc")]),
        "metadata.name",
    )
    refused(
        lambda: client.train(trainer=CustomTrainer(func=train_fn), options=[Name("")]),
        "metadata.name",
    )
    assert client.list_jobs() == []


@pytest.mark.parametrize(
    "kwargs,field",
    [(k, f) for _, k, f in BAD_CUSTOM_TRAINERS],
    ids=[i for i, _, _ in BAD_CUSTOM_TRAINERS],
)
def test_bad_custom_trainer_fields_are_refused(
    client: TrainerClient, kwargs: dict, field: str
) -> None:
    refused(lambda: client.train(trainer=custom_trainer(**kwargs)), field)
    assert client.list_jobs() == []


@pytest.mark.parametrize(
    "kwargs,field",
    [(k, f) for _, k, f in BAD_TRAIN_ARGUMENTS],
    ids=[i for i, _, _ in BAD_TRAIN_ARGUMENTS],
)
def test_bad_train_arguments_are_refused(client: TrainerClient, kwargs: dict, field: str) -> None:
    refused(lambda: client.train(trainer=custom_trainer(), **kwargs), field)
    assert client.list_jobs() == []


@pytest.mark.parametrize(
    "kwargs,field", [(k, f) for _, k, f in BAD_WAITS], ids=[i for i, _, _ in BAD_WAITS]
)
def test_bad_wait_arguments_are_refused_at_once(
    client: TrainerClient, kwargs: dict, field: str
) -> None:
    name = client.train(trainer=CustomTrainer(func=train_fn))
    try:
        refused(lambda: client.wait_for_job_status(name, **kwargs), field)
    finally:
        client.delete_job(name)


@pytest.mark.parametrize("step", BAD_STEPS + ["node-99"], ids=repr)
@pytest.mark.parametrize("follow", [False, True])
def test_bad_steps_are_refused_at_once(client: TrainerClient, step: Any, follow: bool) -> None:
    name = client.train(trainer=CustomTrainer(func=train_fn))
    try:
        refused(lambda: client.get_job_logs(name, step=step, follow=follow), "step")
    finally:
        client.delete_job(name)


def test_list_jobs_refuses_a_runtime_name(client: TrainerClient) -> None:
    refused(lambda: client.list_jobs(runtime="torch-distributed"), "runtime")
