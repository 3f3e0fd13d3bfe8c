"""The version lives in one place, python/kubeflow/__init__.py (docs/releasing.md)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import kubeflow

REPO_ROOT = Path(__file__).resolve().parents[3]
# What builds, packages or documents the package: each reads the version, none repeats it.
READERS = ["pyproject.toml", "CMakeLists.txt", "cmake", "core", "bindings", "scripts", "docs"]
# A record of one measurement, written by `make bench`: it names the versions it measured
# (upstream's 0.5.0 too, which can equal ours) and is rewritten with them on every run.
RECORDS = {"docs/benchmarks.md"}


def test_the_extension_carries_the_package_version() -> None:
    from kubeflow.trainer import _core  # CMake read it from __init__.py

    assert _core.__version__ == kubeflow.__version__


def test_no_build_or_docs_file_repeats_the_version() -> None:
    files = subprocess.run(
        ["git", "ls-files", "--", *READERS],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "CMakeLists.txt" in files  # the list is the real one
    repeating = [
        f
        for f in files
        if f not in RECORDS and kubeflow.__version__ in (REPO_ROOT / f).read_text(errors="ignore")
    ]
    assert repeating == []
