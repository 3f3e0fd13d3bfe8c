"""The wheels of the wheel tier: ``scripts/wheel.sh`` builds one per supported CPython it finds
and lists them in its wheelhouse's ``wheels.tsv`` (version, interpreter, its ``sys.base_prefix``,
wheel; the last three empty for a version with no interpreter on the machine).

The wheelhouse is KUBEFLOW_TEST_WHEELHOUSE when set (scripts/test.sh and ``make test-wheel`` set
it), else the one ``scripts/wheel.sh`` builds now (its last stdout line).

A supported version without a wheel fails the tests that need it under CI (the CI machines carry
every supported CPython, so a missing one is a broken machine or discovery, and the acceptance is
a wheel per version passing there), and skips them elsewhere, the reason naming the version and
how to provide it: either way the run's summary says it, it never passes silently.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
# Kept equal to scripts/wheel.sh's list and pyproject.toml's classifiers by test_wheel_contents.
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")


@dataclass(frozen=True)
class Built:
    """One built wheel and the host interpreter that built it."""

    version: str
    python: str
    prefix: str
    wheel: Path

    @property
    def tag(self) -> str:
        """The CPython tag: cp312 for 3.12."""
        return "cp" + self.version.replace(".", "")


def last_line(argv: list[str]) -> str:
    """The last stdout line of ``argv`` run in the repository (fails the test on an error)."""
    proc = subprocess.run(argv, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True, check=False)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        pytest.fail(f"{' '.join(argv)} failed (exit code {proc.returncode})", pytrace=False)
    return lines[-1]


@functools.cache
def wheelhouse() -> dict[str, Built | None]:
    """Every version of ``wheels.tsv``, mapped to its wheel or None (no interpreter found)."""
    given = os.environ.get("KUBEFLOW_TEST_WHEELHOUSE")
    directory = Path(given) if given else Path(last_line(["bash", "scripts/wheel.sh"]))
    manifest = directory / "wheels.tsv"
    if not manifest.is_file():
        pytest.fail(f"no {manifest}: scripts/wheel.sh writes it", pytrace=False)
    entries: dict[str, Built | None] = {}
    for line in manifest.read_text().splitlines():
        version, python, prefix, wheel = line.split("\t")
        entries[version] = Built(version, python, prefix, Path(wheel)) if wheel else None
    return entries


def missing_reason(version: str) -> str:
    """What the run says for a supported version without a wheel."""
    return (
        f"no CPython {version} on this machine, so no cp{version.replace('.', '')} wheel: "
        f"install it (e.g. pyenv install {version}) or name its interpreter in "
        "KUBEFLOW_WHEEL_PYTHONS (scripts/wheel.sh, docs/install.md)"
    )


def built(version: str) -> Built:
    """The wheel for ``version``; fails (CI) or skips (elsewhere) the test when there is none."""
    entry = wheelhouse().get(version)
    if entry is None:
        if os.environ.get("CI"):
            pytest.fail(missing_reason(version), pytrace=False)
        pytest.skip(missing_reason(version))
    if not entry.wheel.is_file() or entry.wheel.suffix != ".whl":
        pytest.fail(f"no wheel at {entry.wheel}", pytrace=False)
    return entry


def all_built() -> list[Built]:
    """Every wheel built (none missing or not)."""
    return [entry for entry in wheelhouse().values() if entry is not None]


def running_version() -> str:
    """This interpreter's version, as in SUPPORTED."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"
