"""Turns a user's training function into self-contained Python source (what gets shipped)."""

from __future__ import annotations

import inspect
import os
import textwrap
from typing import Any, Callable, Optional


def function_code(func: Callable[..., Any], func_args: Optional[dict] = None) -> tuple[str, str]:
    """Return ``(code, file_name)``: the function's dedented source followed by the call.

    The call is ``name()`` or ``name(**<repr of func_args>)``, as on every upstream backend that
    ships code, so the function sees its arguments as keywords everywhere.

    Raises:
        ValueError: ``func`` is not callable, its source cannot be read, or ``func_args`` is not a
            dict whose repr is valid Python.
    """
    if not callable(func):
        raise ValueError(
            f"Training function must be callable, got {type(func).__name__}: "
            "pass a function defined with def"
        )
    try:
        source = textwrap.dedent(inspect.getsource(func))
        file_name = os.path.basename(inspect.getfile(func))
    except (OSError, TypeError) as error:
        raise ValueError(
            f"Cannot read the source of training function {getattr(func, '__name__', func)!r}: "
            f"{error}. Define it with def in a file or a notebook cell"
        ) from error
    if func_args is None:
        call = f"{func.__name__}()"
    else:
        if not isinstance(func_args, dict):
            raise ValueError(f"func_args must be a dict, got {type(func_args).__name__}")
        call = f"{func.__name__}(**{func_args!r})"
        try:
            compile(repr(func_args), "<func_args>", "eval")
        except SyntaxError as error:
            raise ValueError(
                f"func_args must contain only literals (numbers, strings, lists, dicts): "
                f"{func_args!r} is not valid Python source"
            ) from error
    return source + "\n" + call + "\n", file_name
