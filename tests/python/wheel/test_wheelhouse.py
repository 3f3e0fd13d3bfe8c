"""A supported version without a wheel is never a silent pass: it fails the tests needing it under
CI and skips them elsewhere, naming the version and how to provide it (wheelhouse.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.python.wheel.wheelhouse import built, wheelhouse


@pytest.fixture
def without_312(tmp_path, monkeypatch) -> Iterator[Path]:
    """A wheelhouse whose wheels.tsv has 3.12 without an interpreter, as wheel.sh writes it."""
    wheel = tmp_path / "kubeflow-0.5.0-cp310-cp310-manylinux_2_34_x86_64.whl"
    wheel.write_bytes(b"")
    (tmp_path / "wheels.tsv").write_text(f"3.10\t/py/bin/python3.10\t/py\t{wheel}\n3.12\t\t\t\n")
    monkeypatch.setenv("KUBEFLOW_TEST_WHEELHOUSE", str(tmp_path))
    wheelhouse.cache_clear()
    yield wheel
    wheelhouse.cache_clear()  # the session's own wheelhouse again


def test_a_missing_version_skips_outside_ci(without_312, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert built("3.10").wheel == without_312
    with pytest.raises(pytest.skip.Exception, match=r"no CPython 3\.12 .*no cp312 wheel") as skip:
        built("3.12")
    assert "pyenv install 3.12" in str(skip.value)
    assert "KUBEFLOW_WHEEL_PYTHONS" in str(skip.value)


def test_a_missing_version_fails_under_ci(without_312, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"no CPython 3\.12 .*KUBEFLOW_WHEEL_PYTHONS"):
        built("3.12")
