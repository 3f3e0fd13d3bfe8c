"""Virtual environments for jobs with ``packages_to_install``, cached per package set.

An environment is an *overlay* of the interpreter that started the job: a venv created from it
``--without-pip``, whose ``site-packages`` holds the requested packages and a ``.pth`` file that
appends the caller's own site-packages directories. The job therefore sees every package the
caller sees (the local equivalent of the runtime image) plus the requested ones, which take
precedence. ``--system-site-packages`` is not used: for a caller that is itself a venv it would
expose the *base* interpreter's packages instead of the caller's.

pip comes from the caller's environment through the overlay (no ``ensurepip`` download or copy;
``ensurepip`` is the fallback when the caller has no pip). Requirements the overlay already
satisfies are not reinstalled.

Cached environments live in ``<state>/venvs/<key>`` where ``key`` hashes the sorted package set,
the index URLs and the caller's interpreter and site directories. A lock file serialises builds
of one key; a ``.kubeflow-ready`` marker is written only after pip succeeded, so a half-built
environment is rebuilt. Each job holds a lease on the environment it uses, and the cache is
kept within a size limit by evicting the least recently used environments (venv_cache.py).

pip runs without colour and progress bars whatever the caller's environment says (a notebook
kernel sets ``FORCE_COLOR=1``, which pip honours even when writing to a pipe): its output goes
to the job's logs, which are files, not terminals.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import site
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from kubeflow.trainer.backends.localprocess import venv_cache
from kubeflow.trainer.errors import KubeflowError

READY_MARKER = venv_cache.READY_MARKER
OVERLAY_PTH = "_kubeflow_overlay.pth"

LineWriter = Callable[[str], None]


class EnvironmentBuildError(KubeflowError, RuntimeError):
    """Creating the virtual environment or installing the packages failed."""


def overlay_dirs() -> list[str]:
    """The site-packages directories of this interpreter, which a job environment layers on."""
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    seen: list[str] = []
    for d in dirs:
        if os.path.isdir(d) and d not in seen:
            seen.append(d)
    return seen


def cache_key(packages: Sequence[str], index_urls: Sequence[str]) -> str:
    """The cache key of an environment: the sorted package set, the index URLs (in order: the
    first is the main index) and this interpreter."""
    payload = {
        "packages": sorted(set(packages)),
        "index_urls": list(index_urls),
        "python": sys.version,
        "prefix": sys.prefix,
        "overlay": overlay_dirs(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def venv_python(env_dir: Path) -> Path:
    """The interpreter of the environment in ``env_dir``."""
    return env_dir / "bin" / "python"


def pip_install_args(packages: Sequence[str], index_urls: Sequence[str]) -> list[str]:
    """Arguments after ``python -m pip`` that install ``packages``."""
    args = ["install", "--no-warn-script-location", "--disable-pip-version-check"]
    args += ["--no-color", "--progress-bar", "off"]
    if index_urls:
        args += ["--index-url", index_urls[0]]
        for url in index_urls[1:]:
            args += ["--extra-index-url", url]
    return args + list(packages)


#: Variables that make tools print colour codes into a pipe (FORCE_COLOR: rich, which pip uses).
_FORCED_COLOUR = ("FORCE_COLOR", "CLICOLOR_FORCE", "PY_COLORS")


def tool_env() -> dict[str, str]:
    """The environment of venv, ensurepip and pip: this one without forced colour, and with
    colour and progress bars off for tools that read the standard variables or pip's own."""
    env = {k: v for k, v in os.environ.items() if k not in _FORCED_COLOUR}
    env.update(NO_COLOR="1", PIP_NO_COLOR="1", PIP_PROGRESS_BAR="off", TERM="dumb")
    return env


def _run(cmd: list[str], write: LineWriter) -> int:
    """Run ``cmd``, passing each output line to ``write``; return the exit code."""
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=tool_env(),
    )
    assert proc.stdout is not None
    for raw in proc.stdout:
        write(raw.decode("utf-8", "replace").rstrip("\r\n"))
    return proc.wait()


def _build(
    env_dir: Path, packages: Sequence[str], index_urls: Sequence[str], write: LineWriter
) -> None:
    if env_dir.exists():
        shutil.rmtree(env_dir)
    write(f"[kubeflow-local] creating environment {env_dir.name} for: {' '.join(packages)}")
    code = _run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], write)
    if code != 0:
        raise EnvironmentBuildError(f"python -m venv {env_dir} failed with exit code {code}")
    python = str(venv_python(env_dir))
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        env=tool_env(),
    ).stdout.strip()
    Path(purelib, OVERLAY_PTH).write_text("".join(d + "\n" for d in overlay_dirs()))
    if importlib.util.find_spec("pip") is None:
        code = _run([python, "-m", "ensurepip", "--default-pip"], write)
        if code != 0:
            raise EnvironmentBuildError(f"ensurepip failed with exit code {code}")
    code = _run([python, "-m", "pip", *pip_install_args(packages, index_urls)], write)
    if code != 0:
        raise EnvironmentBuildError(
            f"pip install {' '.join(packages)} failed with exit code {code}; "
            "the pip output is in the job's logs",
            hint="check the package names and pip_index_urls",
        )
    (env_dir / READY_MARKER).write_text(json.dumps({"packages": list(packages)}))


def _build_or_remove(
    env_dir: Path, packages: Sequence[str], index_urls: Sequence[str], write: LineWriter
) -> None:
    try:
        _build(env_dir, packages, index_urls, write)
    except BaseException:
        shutil.rmtree(env_dir, ignore_errors=True)
        raise


def ensure_env(
    env_dir: Path,
    packages: Sequence[str],
    index_urls: Sequence[str],
    write: LineWriter,
    shared: bool,
    max_cache_bytes: int | None = None,
) -> tuple[Path, IO[str] | None]:
    """Return the interpreter of an environment with ``packages``, building it when needed.

    Args:
        env_dir: Where the environment lives: ``<state>/venvs/<key>`` when shared, else private
            to one job.
        packages: Requirement specifiers for pip.
        index_urls: The first is ``--index-url``, the others ``--extra-index-url``.
        write: Receives progress and pip output, one line at a time.
        shared: The environment is a cache entry: lease it (see venv_cache.py), lock it while
            checking or building, and reuse it when it is complete.
        max_cache_bytes: After building a shared environment, evict least recently used ones
            until the cache takes at most this much (None: no limit).

    Returns:
        The interpreter, and for a shared environment the lease, which the caller holds (keeps
        open) while the job runs so that the environment is not evicted under it.

    Raises:
        EnvironmentBuildError: venv or pip failed.
    """
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    if not shared:
        _build_or_remove(env_dir, packages, index_urls, write)
        return venv_python(env_dir), None
    held = venv_cache.lease(env_dir)
    built = False
    try:
        with open(venv_cache.lock_path(env_dir, venv_cache.BUILD_SUFFIX), "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                write(
                    f"[kubeflow-local] waiting for another job building environment {env_dir.name}"
                )
                fcntl.flock(lock, fcntl.LOCK_EX)
            marker = env_dir / READY_MARKER
            if marker.exists():
                os.utime(marker)  # the last use, which eviction goes by
                write(f"[kubeflow-local] reusing cached environment {env_dir.name}")
            else:
                _build_or_remove(env_dir, packages, index_urls, write)
                built = True
        if built and max_cache_bytes is not None:
            removed = venv_cache.prune(env_dir.parent, max_cache_bytes, keep=[env_dir])
            if removed:
                write(
                    "[kubeflow-local] environment cache over its limit: removed the least "
                    f"recently used {', '.join(removed)}"
                )
    except BaseException:
        held.close()
        raise
    return venv_python(env_dir), held
