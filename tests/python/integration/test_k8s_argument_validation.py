"""Bad arguments on the Kubernetes backend: a ValidationError naming the field, before any
request, the same cases as the local backend (tests/python/argument_cases.py); and a function
whose file name is shell syntax, shipped and run with real bash."""

from __future__ import annotations

import importlib.util
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kubeflow.trainer import CustomTrainer, CustomTrainerContainer
from kubeflow.trainer.errors import ValidationError
from tests.python.argument_cases import (
    BAD_CUSTOM_TRAINERS,
    BAD_JOB_NAMES,
    BAD_STEPS,
    BAD_TRAIN_ARGUMENTS,
    BAD_WAITS,
    K8S_FIELDS,
    NAME_METHODS,
    custom_trainer,
    train_fn,
)
from tests.python.integration.k8s_sim import client, get_trainjob, trainjob_names

K8S_NAME_METHODS = NAME_METHODS + [("get_job_events", "get_job_events", {})]


def refused(c: Any, call: Any, field: str) -> ValidationError:
    """Runs ``call``, which must raise a ValidationError naming ``field`` without a request."""
    before = c.backend.request_count
    with pytest.raises(ValidationError) as info:
        call()
    assert info.value.field == field, str(info.value)
    assert c.backend.request_count == before, "a request was made before the check"
    return info.value


def test_delete_job_with_an_empty_none_or_int_name_deletes_nothing(cluster, namespace):
    c = client(cluster, namespace)
    first, second = c.train(), c.train()
    for bad in ["", None, 5]:
        refused(c, lambda bad=bad: c.delete_job(bad), "name")
    assert trainjob_names(cluster, namespace) == sorted([first, second])


@pytest.mark.parametrize("bad", BAD_JOB_NAMES, ids=repr)
@pytest.mark.parametrize(
    "method,kwargs",
    [(m, k) for _, m, k in K8S_NAME_METHODS],
    ids=[i for i, _, _ in K8S_NAME_METHODS],
)
def test_every_name_method_refuses_a_bad_name_before_any_request(
    cluster, namespace, method, kwargs, bad
):
    c = client(cluster, namespace)
    refused(c, lambda: getattr(c.backend, method)(bad, **kwargs), "name")


@pytest.mark.parametrize(
    "kwargs,field",
    [(k, K8S_FIELDS.get(i, f)) for i, k, f in BAD_CUSTOM_TRAINERS],
    ids=[i for i, _, _ in BAD_CUSTOM_TRAINERS],
)
def test_bad_custom_trainer_fields_are_refused_and_nothing_is_created(
    cluster, namespace, kwargs, field
):
    c = client(cluster, namespace)
    with pytest.raises(ValidationError) as info:
        c.train(trainer=custom_trainer(**kwargs))
    assert info.value.field == field, str(info.value)
    assert trainjob_names(cluster, namespace) == []


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"image": ""}, "spec.trainer.image"),
        ({"image": 5}, "trainer.image"),
        ({"image": "busybox", "num_nodes": 0}, "spec.trainer.numNodes"),
        ({"image": "busybox", "env": {"A": 1}}, "trainer.env['A']"),
    ],
)
def test_bad_custom_trainer_container_fields_are_refused(cluster, namespace, kwargs, field):
    c = client(cluster, namespace)
    with pytest.raises(ValidationError) as info:
        c.train(trainer=CustomTrainerContainer(**kwargs))
    assert info.value.field == field, str(info.value)
    assert trainjob_names(cluster, namespace) == []


@pytest.mark.parametrize("key", ["weird/Res Name", "1", "pods"])
def test_resource_names_the_server_would_refuse_are_refused_by_the_core(cluster, namespace, key):
    c = client(cluster, namespace)
    with pytest.raises(ValidationError, match="invalid resource name") as info:
        c.train(trainer=CustomTrainer(func=train_fn, resources_per_node={key: 1}))
    assert info.value.field == f'resources_per_node["{key}"]'
    assert trainjob_names(cluster, namespace) == []


@pytest.mark.parametrize(
    "kwargs,field",
    [(k, K8S_FIELDS.get(i, f)) for i, k, f in BAD_TRAIN_ARGUMENTS],
    ids=[i for i, _, _ in BAD_TRAIN_ARGUMENTS],
)
def test_bad_train_arguments_are_refused_before_any_request(cluster, namespace, kwargs, field):
    c = client(cluster, namespace)
    refused(c, lambda: c.train(trainer=custom_trainer(), **kwargs), field)
    assert trainjob_names(cluster, namespace) == []


@pytest.mark.parametrize(
    "kwargs,field", [(k, f) for _, k, f in BAD_WAITS], ids=[i for i, _, _ in BAD_WAITS]
)
def test_bad_wait_arguments_are_refused_at_once(cluster, namespace, kwargs, field):
    c = client(cluster, namespace)
    name = c.train()
    refused(c, lambda: c.wait_for_job_status(name, **kwargs), field)


@pytest.mark.parametrize("step", BAD_STEPS, ids=repr)
@pytest.mark.parametrize("follow", [False, True])
def test_bad_step_values_are_refused_before_any_request(cluster, namespace, step, follow):
    c = client(cluster, namespace)
    name = c.train()
    refused(c, lambda: c.get_job_logs(name, step=step, follow=follow), "step")


def test_following_a_step_the_job_can_never_have_is_refused_at_once(cluster, namespace):
    c = client(cluster, namespace)
    name = c.train(trainer=CustomTrainer(func=train_fn, num_nodes=2))
    with pytest.raises(ValidationError, match="no step 'node-99'") as info:
        c.get_job_logs(name, step="node-99", follow=True)
    assert info.value.field == "step"
    assert "node-0, node-1" in str(info.value)


def test_list_jobs_refuses_a_runtime_name(cluster, namespace):
    c = client(cluster, namespace)
    refused(c, lambda: c.list_jobs(runtime="torch-distributed"), "runtime")


# --- item: the function's file name never reaches a shell as syntax ----------------------------


def _load(path: Path, name: str) -> Any:
    path.write_text(f"def {name}():\n    print('{name} ran')\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"shell_named_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


@pytest.mark.parametrize("file_name", ["$(touch PWNED).py", 'say"hi.py'])
def test_function_from_a_file_named_with_shell_syntax_runs_and_nothing_else_does(
    cluster, namespace, tmp_path, file_name
):
    src = tmp_path / "src"
    src.mkdir()
    func = _load(src / file_name, "shell_named")
    c = client(cluster, namespace)
    name = c.train(runtime="torch-distributed", trainer=CustomTrainer(func=func))
    command = get_trainjob(cluster, namespace, name)["spec"]["trainer"]["command"]
    assert command[:2] == ["bash", "-c"]

    bin_dir = tmp_path / "bin"  # a fake torchrun: runs the file with this Python
    bin_dir.mkdir()
    torchrun = bin_dir / "torchrun"
    torchrun.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    torchrun.chmod(torchrun.stat().st_mode | stat.S_IXUSR)
    work = tmp_path / "work"
    work.mkdir()
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        command, cwd=work, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "shell_named ran\n"
    assert not (work / "PWNED").exists() and not (tmp_path / "PWNED").exists()
