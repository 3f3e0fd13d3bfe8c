"""What may be shipped as a training function (both backends use _function.function_code).

Everything accepted is run here with a real Python, so "accepted" means "runs as written"; what
cannot run faithfully in the pod must be refused with a ValidationError naming the field."""

from __future__ import annotations

import asyncio
import datetime
import functools
import importlib.util
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kubeflow.trainer import CustomTrainer
from kubeflow.trainer._function import function_code, shipped_file_name
from kubeflow.trainer.errors import ValidationError


def run_shipped(func: Callable[..., Any], func_args: Any, tmp_path: Path) -> str:
    code, file_name = function_code(func, func_args)
    path = tmp_path / file_name
    path.write_text(code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


# --- shippable --------------------------------------------------------------------------------


def plain(greeting: str = "hello", numbers=None) -> None:
    print(greeting, numbers)


def outer_with_inner() -> Callable[[], None]:
    def inner() -> None:  # no variable of outer is used: shippable
        print("inner ran")

    return inner


lambda_assigned = lambda: print("assigned lambda ran")  # noqa: E731
trainer_with_lambda = CustomTrainer(
    func=lambda x=1: print(f"kwarg lambda ran with {x}"),
)
lambda_multiline = lambda a, b: print(  # noqa: E731
    "multi", a, b
)


def test_plain_function_runs_with_nested_literal_args(tmp_path: Path) -> None:
    # Set items hash deterministically (bytes would not: their hash is randomized per process).
    args = {"greeting": "hi", "numbers": {"a": [1, 2.5, (3, None)], "b": {True, 7}, "c": b"x"}}
    assert run_shipped(plain, args, tmp_path) == f"hi {args['numbers']}\n"


def test_nested_function_without_closure_runs(tmp_path: Path) -> None:
    assert run_shipped(outer_with_inner(), None, tmp_path) == "inner ran\n"


def test_assigned_lambda_runs(tmp_path: Path) -> None:
    assert run_shipped(lambda_assigned, None, tmp_path) == "assigned lambda ran\n"


def test_lambda_written_as_a_keyword_argument_runs(tmp_path: Path) -> None:
    # Upstream ships the line `func=lambda ...,`, which is not valid Python on its own.
    assert run_shipped(trainer_with_lambda.func, {"x": 7}, tmp_path) == "kwarg lambda ran with 7\n"


def test_lambda_over_several_lines_runs(tmp_path: Path) -> None:
    assert run_shipped(lambda_multiline, {"a": 1, "b": 2}, tmp_path) == "multi 1 2\n"


# --- refused ----------------------------------------------------------------------------------


class Model:
    def fit(self) -> None:
        print("fit")


def logged(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


@logged
def decorated_with_wraps() -> None:
    print("decorated")


REGISTRY: list[Any] = []


def register(func: Callable[..., Any]) -> Callable[..., Any]:
    REGISTRY.append(func)
    return func


@register
def decorated_in_place() -> None:
    print("registered")


def make_closure() -> Callable[[], None]:
    learning_rate = 0.1

    def train() -> None:
        print(learning_rate)

    return train


async def async_train() -> None:
    await asyncio.sleep(0)


async def async_gen_train() -> Any:
    yield 1


def generator_train() -> Any:
    yield 1


two_lambdas = (lambda: print("one"), lambda: print("two"))


@pytest.mark.parametrize(
    "func,match",
    [
        (Model().fit, "bound method"),
        (Model, "is a class"),
        (decorated_with_wraps, "decorated"),
        (decorated_in_place, "decorated"),
        (make_closure(), "enclosing function \\(learning_rate\\)"),
        (async_train, "async function"),
        (async_gen_train, "async function"),
        (generator_train, "generator function"),
        (functools.partial(plain, "hi"), "partial, not a function"),
        (print, "not a function"),
        (two_lambdas[1], "lambda expression cannot be told apart"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_functions_that_cannot_run_as_shipped_are_refused(func: Any, match: str) -> None:
    with pytest.raises(ValidationError, match=match) as info:
        function_code(func)
    assert info.value.field == "trainer.func"
    assert info.value.hint  # says what to do instead


@pytest.mark.parametrize(
    "func_args",
    [
        {"x": float("nan")},
        {"x": float("inf")},
        {"x": [1, -float("inf")]},
        {"x": datetime.datetime(2026, 1, 1)},
        {"x": object()},
        {1: "non-str key"},
        ["not", "a", "dict"],
    ],
)
def test_func_args_that_do_not_read_back_are_refused(func_args: Any) -> None:
    with pytest.raises(ValidationError) as info:
        function_code(plain, func_args)
    assert info.value.field == "trainer.func_args"


# --- the file name (it reaches a shell command) -------------------------------------------------


@pytest.mark.parametrize(
    "path,expected",
    [
        ("/src/train.py", "train.py"),
        ("/src/$(touch PWNED).py", "__touch_PWNED_.py"),
        ('/src/a"b.py', "a_b.py"),
        ("/src/my train`x`.py", "my_train_x_.py"),
        ("/src/-c.py", "_-c.py"),
        ("/src/.hidden.py", "_.hidden.py"),
    ],
)
def test_shipped_file_name_has_only_safe_characters(path: str, expected: str) -> None:
    assert shipped_file_name(path) == expected


def load_function_from(path: Path, body: str, name: str) -> Callable[..., Any]:
    path.write_text(body, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"user_module_{abs(hash(path))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


@pytest.mark.parametrize("file_name", ["$(touch PWNED).py", 'quote"d.py', "`touch PWNED`.py"])
def test_file_name_with_shell_syntax_is_never_run_by_bash(tmp_path: Path, file_name: str) -> None:
    from kubeflow.trainer.backends.kubernetes.trainer_spec import command_for_function

    src = tmp_path / "src"
    src.mkdir()
    func = load_function_from(src / file_name, "def train():\n    print('trained')\n", "train")
    command = command_for_function("python", func)
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run(
        command,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "trained\n"
    assert not (work / "PWNED").exists() and not (tmp_path / "PWNED").exists()
