"""The core's error codes surface as typed Python exceptions that are also upstream's types."""

from __future__ import annotations

import importlib
import os
import pickle
import sys
from pathlib import Path
from types import ModuleType

import pytest

from kubeflow.trainer import _core, errors

BUILD_DIR = Path(os.environ.get("BUILD_DIR", Path(__file__).resolve().parents[3] / "build/dev"))


def _core_testing() -> ModuleType:
    """The test-only extension built beside the developer build (scripts/build.sh)."""
    sys.path.insert(0, str(BUILD_DIR / "testing"))
    try:
        return importlib.import_module("_core_testing")
    finally:
        sys.path.pop(0)


CASES = [
    ("invalid_argument", errors.ValidationError, ValueError),
    ("config", errors.ConfigError, RuntimeError),
    ("transport", errors.TransportError, ConnectionError),
    ("timeout", errors.JobTimeoutError, TimeoutError),
    ("not_found", errors.NotFoundError, RuntimeError),
    ("forbidden", errors.ForbiddenError, RuntimeError),
    ("invalid", errors.InvalidError, ValueError),
    ("job_failed", errors.JobFailedError, RuntimeError),
]


@pytest.mark.parametrize("code,cls,builtin", CASES, ids=[c[0] for c in CASES])
def test_core_error_maps_to_typed_exception(code: str, cls: type, builtin: type) -> None:
    with pytest.raises(cls) as info:
        _core_testing().raise_error(code, "what failed: why")
    assert isinstance(info.value, builtin)
    assert str(info.value) == "what failed: why"
    assert info.value.hint == "h"
    assert info.value.field == "f"


def test_errors_pickle_with_their_attributes() -> None:
    error = errors.ForbiddenError("denied", status=403, reason="Forbidden", hint="ask an admin")
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is errors.ForbiddenError
    assert (str(clone), clone.status, clone.reason, clone.hint) == (
        "denied",
        403,
        "Forbidden",
        "ask an admin",
    )


def test_version_matches_package() -> None:
    import kubeflow

    assert _core.__version__ == kubeflow.__version__
