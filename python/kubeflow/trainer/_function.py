"""Turns a user's training function into self-contained Python source (what gets shipped).

Only what can be shipped faithfully is accepted: the shipped file is the function's own source
plus a call line, so anything the source does not carry (the instance of a bound method, a
closure's variables, a decorator's code, a generator or coroutine that nobody drives) would make
the job fail or do nothing in the pod. Those are refused here, before any job exists, with a
message that says what to do instead.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import textwrap
from collections.abc import Callable
from typing import Any

from kubeflow.trainer.errors import ValidationError

#: The variable a lambda is bound to in the shipped file (a lambda has no name to call).
LAMBDA_NAME = "_kubeflow_lambda"
_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_FIELD = "trainer.func"


def shipped_file_name(path: str) -> str:
    """The name the function's file gets in the container: the basename of ``path`` with every
    character outside ``[A-Za-z0-9._-]`` replaced by ``_`` and never starting with ``-`` or
    ``.``, so no shell, launcher or path can interpret it."""
    name = _UNSAFE_FILE_CHARS.sub("_", os.path.basename(path))
    if not name or name[0] in "-.":
        name = "_" + name
    return name


def _refuse(func: Any, why: str, hint: str) -> ValidationError:
    label = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)
    return ValidationError(
        f"Training function {label!r} cannot be shipped: {why}. {hint}", field=_FIELD, hint=hint
    )


def _check_kind(func: Any) -> None:
    """Refuse callables whose own source is not what runs when they are called."""
    if not callable(func):
        raise ValidationError(
            f"Training function must be callable, got {type(func).__name__}: "
            "pass a function defined with def",
            field=_FIELD,
        )
    if inspect.isclass(func):
        raise _refuse(func, "it is a class", "Pass a function defined with def that uses it")
    if inspect.ismethod(func):
        raise _refuse(
            func,
            "it is a bound method, and its instance cannot be shipped",
            "Pass a module-level function defined with def",
        )
    if hasattr(func, "__wrapped__"):
        raise _refuse(
            func,
            "it is decorated, and the decorator's code is not shipped",
            "Pass the undecorated function, and apply the decorator inside it if needed",
        )
    if not inspect.isfunction(func):
        raise _refuse(
            func,
            f"it is a {type(func).__name__}, not a function",
            "Pass a function defined with def (or a lambda)",
        )
    if inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func):
        raise _refuse(
            func,
            "it is an async function, and calling it in the pod would only create a coroutine",
            "Define a plain def that calls asyncio.run(...) on it inside",
        )
    if inspect.isgeneratorfunction(func):
        raise _refuse(
            func,
            "it is a generator function, and calling it in the pod would run none of its body",
            "Define a plain def (no yield)",
        )
    if func.__code__.co_freevars:
        names = ", ".join(func.__code__.co_freevars)
        raise _refuse(
            func,
            f"it uses variables of its enclosing function ({names}), which are not shipped",
            "Pass them through func_args, or define the function at module level",
        )


def _source_lines(func: Any) -> tuple[str, str]:
    """The function's dedented source block and its whole file's text."""
    try:
        block = textwrap.dedent(inspect.getsource(func))
        lines, _ = inspect.findsource(func)
    except (OSError, TypeError) as error:
        raise ValidationError(
            f"Cannot read the source of training function {getattr(func, '__name__', func)!r}: "
            f"{error}. Define it with def in a file or a notebook cell",
            field=_FIELD,
        ) from error
    return block, "".join(lines)


def _def_source(func: Any, block: str) -> str:
    try:
        tree = ast.parse(block)
    except SyntaxError as error:
        raise _refuse(
            func, f"its source does not parse ({error.msg})", "Define it with def"
        ) from None
    node = tree.body[0] if len(tree.body) == 1 else None
    if not isinstance(node, ast.FunctionDef) or node.name != func.__name__:
        raise _refuse(
            func,
            "its source is not a single def of that name",
            "Define it with def at module level",
        )
    if node.decorator_list:
        raise _refuse(
            func,
            "it is decorated, and the decorator's code is not shipped",
            "Pass the undecorated function, and apply the decorator inside it if needed",
        )
    return block


def _lambda_source(func: Any, block: str, file_text: str) -> str:
    """The lambda expression alone, found by parsing its statement (or its whole file).

    ``inspect.getsource`` gives the lines around a lambda (e.g. ``func=lambda: ...,``), which
    are not valid Python on their own; the expression is cut out of the syntax tree instead.
    """
    code = func.__code__
    params = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    first_line = code.co_firstlineno
    for text, line in ((block, 1), (file_text, first_line)):
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        found = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Lambda)
            and node.lineno == line
            and [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
            == params
        ]
        if len(found) == 1:
            segment = ast.get_source_segment(text, found[0])
            if segment:
                return f"{LAMBDA_NAME} = (\n{segment}\n)\n"
        if len(found) > 1:
            break
    raise _refuse(
        func,
        "its lambda expression cannot be told apart from the code around it",
        "Define it with def",
    )


def _check_func_args(func_args: Any) -> str:
    """The repr of ``func_args`` after checking it evaluates back to an equal dict."""
    if not isinstance(func_args, dict):
        raise ValidationError(
            f"func_args must be a dict, got {type(func_args).__name__}", field="trainer.func_args"
        )
    for key in func_args:
        if not isinstance(key, str):
            raise ValidationError(
                f"func_args keys must be strings (they become keyword arguments), got {key!r}",
                field="trainer.func_args",
            )
    text = repr(func_args)
    try:
        same = ast.literal_eval(text) == func_args
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        same = False
    if not same:
        raise ValidationError(
            f"func_args must contain only Python literals (numbers, strings, bytes, booleans, "
            f"None, lists, tuples, dicts, sets) that read back unchanged: {text[:200]} does not",
            field="trainer.func_args",
            hint="pass e.g. a timestamp as an ISO string, and nan/inf as strings to float()",
        )
    return text


def function_code(
    func: Callable[..., Any], func_args: dict[str, Any] | None = None
) -> tuple[str, str]:
    """Return ``(code, file_name)``: the function's dedented source followed by the call.

    The call is ``name()`` or ``name(**<repr of func_args>)``, as on every upstream backend that
    ships code, so the function sees its arguments as keywords everywhere. A lambda is bound to
    ``_kubeflow_lambda`` first. ``file_name`` is :func:`shipped_file_name` of the source file.

    Raises:
        ValidationError: ``func`` cannot be shipped faithfully (see the module docstring), its
            source cannot be read, or ``func_args`` is not a dict of literals.
    """
    _check_kind(func)
    block, file_text = _source_lines(func)
    if func.__name__ == "<lambda>":
        source, name = _lambda_source(func, block, file_text), LAMBDA_NAME
    else:
        source, name = _def_source(func, block), func.__name__
    file_name = shipped_file_name(inspect.getfile(func))
    call = f"{name}()" if func_args is None else f"{name}(**{_check_func_args(func_args)})"
    return source + "\n" + call + "\n", file_name
