"""The on-disk job store of the local process backend.

Layout under the state directory::

    jobs/<name>/job.json          what to run; written once by train()
    jobs/<name>/status.json       phase, per-node status, pids and exit codes; replaced atomically
    jobs/<name>/supervisor.pid    "<pid> <start time>" of the job's supervisor (also its process
                                  group); the start time tells it from a process with a reused pid
    jobs/<name>/supervisor.log    the supervisor's own diagnostics
    jobs/<name>/code/<file>.py    the training function followed by its call
    jobs/<name>/logs/node-<i>.log output of the processes of node i
    venvs/<key>/                  cached virtual environments (see venv.py)

Every JSON file is written to a temporary file and renamed, so a reader in another process sees
either the old or the new content, never a partial one. Files are read tolerantly: unknown keys
(from a newer version) are ignored with a warning, and a file that cannot be understood raises
:class:`LocalStateError` naming it, so that one damaged job never hides the others.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import uuid
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kubeflow.trainer.backends.localprocess.errors import JobNotFoundError, LocalStateError
from kubeflow.trainer.backends.localprocess.procs import ProcessId
from kubeflow.trainer.constants import constants
from kubeflow.trainer.errors import AlreadyExistsError
from kubeflow.trainer.types import types

logger = logging.getLogger(__name__)

#: Format version of job.json and status.json. 2: ranks and the supervisor are recorded with
#: their start time. Readers accept older and newer files (see ``_known_fields``).
STATE_VERSION = 2

STATE_DIR_ENV = "KUBEFLOW_LOCAL_STATE_DIR"
DEFAULT_STATE_DIR = os.path.join("~", ".kubeflow", "trainer", "local")

JOB_FILE = "job.json"
STATUS_FILE = "status.json"
PID_FILE = "supervisor.pid"
SUPERVISOR_LOG = "supervisor.log"
CODE_DIR = "code"
LOGS_DIR = "logs"
PRIVATE_VENV_DIR = "venv"

CREATED = constants.TRAINJOB_CREATED
RUNNING = constants.TRAINJOB_RUNNING
COMPLETE = constants.TRAINJOB_COMPLETE
FAILED = constants.TRAINJOB_FAILED
STATUSES = frozenset({CREATED, RUNNING, COMPLETE, FAILED})
TERMINAL = frozenset({COMPLETE, FAILED})


def resolve_state_dir(configured: str | None = None) -> Path:
    """The state directory: ``configured``, else ``$KUBEFLOW_LOCAL_STATE_DIR``, else the default."""
    chosen = configured or os.environ.get(STATE_DIR_ENV) or DEFAULT_STATE_DIR
    return Path(os.path.expanduser(chosen)).absolute()


def now_iso() -> str:
    """The current UTC time in ISO 8601."""
    return datetime.now(timezone.utc).isoformat()


def step_name(node: int) -> str:
    """The step name of node ``node`` (``node-0``...), as on Kubernetes."""
    return f"{constants.NODE}-{node}"


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def aggregate(step_statuses: list[str]) -> str:
    """The job status from its steps: any Failed, else any Running, else any Created, else
    Complete; no steps means Created (upstream's rule)."""
    for status in (FAILED, RUNNING, CREATED):
        if status in step_statuses:
            return status
    return COMPLETE if step_statuses else CREATED


def runtime_to_dict(runtime: types.Runtime) -> dict[str, Any]:
    """A JSON-ready form of ``runtime``."""
    trainer = runtime.trainer
    return {
        "name": runtime.name,
        "kind": runtime.kind.value,
        "pretrained_model": runtime.pretrained_model,
        "trainer": {
            "trainer_type": trainer.trainer_type.value,
            "framework": trainer.framework,
            "image": trainer.image,
            "num_nodes": trainer.num_nodes,
            "device": trainer.device,
            "device_count": trainer.device_count,
            "command": list(trainer.command),
        },
    }


def runtime_from_dict(data: dict[str, Any]) -> types.Runtime:
    """The inverse of :func:`runtime_to_dict`.

    Raises:
        KeyError, TypeError, ValueError, AttributeError: ``data`` is not such a dict.
    """
    t = data["trainer"]
    trainer = types.RuntimeTrainer(
        trainer_type=types.TrainerType(t["trainer_type"]),
        framework=t["framework"],
        image=t["image"],
        num_nodes=t["num_nodes"],
        device=t["device"],
        device_count=t["device_count"],
    )
    trainer.set_command(tuple(t.get("command", ())))
    return types.Runtime(
        name=data["name"],
        trainer=trainer,
        kind=types.RuntimeKind(data["kind"]),
        pretrained_model=data.get("pretrained_model"),
    )


_warned: set[tuple[str, tuple[str, ...]]] = set()


def _known_fields(cls: type, data: object, path: Path) -> dict[str, Any]:
    """The keys of ``data`` that are fields of dataclass ``cls``, after checking that ``data`` is
    an object with every required field; unknown keys are logged and dropped.

    Raises:
        LocalStateError: ``data`` is not an object or lacks a required field.
    """
    if not isinstance(data, dict):
        raise damaged(path, f"it holds {json.dumps(data)[:40]} instead of an object")
    names = {f.name for f in fields(cls) if f.init}
    unknown = sorted(map(str, set(data) - names))
    if unknown and (str(path), tuple(unknown)) not in _warned:
        _warned.add((str(path), tuple(unknown)))  # once per file, not at every poll
        logger.warning(
            "%s: ignoring unknown keys %s (written by a newer version, version %r)",
            path,
            ", ".join(unknown),
            data.get("version"),
        )
    required = [
        f.name
        for f in fields(cls)
        if f.init and f.default is MISSING and f.default_factory is MISSING
    ]
    missing = [n for n in required if n not in data]
    if missing:
        raise damaged(path, f"it lacks {', '.join(missing)}")
    return {k: v for k, v in data.items() if k in names}


def damaged(path: Path, why: str) -> LocalStateError:
    """The error for a state file that cannot be understood."""
    return LocalStateError(
        f"{path} is damaged: {why}",
        file=str(path),
        hint="delete the job with delete_job(); its processes are stopped as well",
    )


def _check_types(path: Path, values: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, kind in expected.items():
        value = values.get(key)
        bad_bool = isinstance(value, bool) and kind in (int, (int, float))
        if key in values and (bad_bool or not isinstance(value, kind)):
            raise damaged(path, f"{key} is {value!r}")


def read_json(path: Path) -> Any:
    """Parse the JSON file ``path``.

    Raises:
        FileNotFoundError, NotADirectoryError: it does not exist.
        LocalStateError: it cannot be read or is not JSON.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        raise
    except (OSError, UnicodeDecodeError) as error:
        raise damaged(path, f"it cannot be read ({error})") from None
    try:
        return json.loads(text)
    except ValueError as error:
        raise damaged(path, f"it is not valid JSON ({error})") from None


@dataclass
class JobSpec:
    """What a local TrainJob runs (``job.json``)."""

    name: str
    created: str
    runtime: dict[str, Any]
    framework: str
    num_nodes: int
    procs_per_node: int
    python: str
    cwd: str
    script: str
    env: dict[str, str] = field(default_factory=dict)
    packages: list[str] = field(default_factory=list)
    pip_index_urls: list[str] = field(default_factory=list)
    venv_cache: bool = True
    cleanup_venv: bool = True
    #: The size limit of the environment cache (None: no limit).
    venv_cache_max_bytes: int | None = None
    grace_period: float = 5.0
    version: int = STATE_VERSION
    #: Why job.json could not be read; set only on the stand-in of a damaged job.
    damage: str = field(default="", init=False, compare=False, repr=False)

    @property
    def steps(self) -> list[str]:
        """The step names, ``node-0`` to ``node-<num_nodes-1>``."""
        return [step_name(i) for i in range(self.num_nodes)]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (what job.json holds)."""
        data = asdict(self)
        del data["damage"]
        return data

    @classmethod
    def from_dict(cls, data: object, path: Path = Path(JOB_FILE)) -> JobSpec:
        """Build from the parsed ``job.json`` at ``path``.

        Raises:
            LocalStateError: it is not a job spec (naming ``path`` and the fault).
        """
        values = _known_fields(cls, data, path)
        _check_types(
            path,
            values,
            {
                "name": str,
                "created": str,
                "runtime": dict,
                "framework": str,
                "num_nodes": int,
                "procs_per_node": int,
                "python": str,
                "cwd": str,
                "script": str,
                "env": dict,
                "packages": list,
                "pip_index_urls": list,
                "venv_cache": bool,
                "cleanup_venv": bool,
                "venv_cache_max_bytes": (int, type(None)),
                "grace_period": (int, float),
                "version": int,
            },
        )
        for key in ("num_nodes", "procs_per_node"):
            if values[key] < 1:
                raise damaged(path, f"{key} is {values[key]}")
        try:
            datetime.fromisoformat(values["created"])
            runtime_from_dict(values["runtime"])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise damaged(path, f"bad created time or runtime ({error!r})") from None
        return cls(**values)


@dataclass
class RankRecord:
    """One process of a job: its place in the job, its pid (and process group) and exit code."""

    rank: int
    node: int
    local_rank: int
    pid: int
    exit_code: int | None = None
    killed: bool = False
    #: Start time of the process (see procs.py); None in files of version 1.
    start_time: int | None = None

    @property
    def process(self) -> ProcessId:
        """The recorded identity of the rank's process (the leader of its group)."""
        return ProcessId(self.pid, self.start_time)


@dataclass
class JobStatus:
    """Where a local TrainJob is (``status.json``).

    ``phase`` is the TrainJob status; ``steps`` the status of each node; ``finished`` is set by the
    supervisor once every process has exited and its output is in the logs.
    """

    phase: str = CREATED
    steps: dict[str, str] = field(default_factory=dict)
    ranks: list[RankRecord] = field(default_factory=list)
    master_port: int | None = None
    python: str | None = None
    started: str | None = None
    finished: str | None = None
    failed_step: str | None = None
    exit_code: int | None = None
    message: str = ""
    version: int = STATE_VERSION

    @property
    def done(self) -> bool:
        """True once the supervisor recorded the final status."""
        return self.finished is not None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object, path: Path = Path(STATUS_FILE)) -> JobStatus:
        """Build from the parsed ``status.json`` at ``path``.

        Raises:
            LocalStateError: it is not a job status (naming ``path`` and the fault).
        """
        values = _known_fields(cls, data, path)
        _check_types(path, values, {"phase": str, "steps": dict, "ranks": list, "message": str})
        ranks = []
        for item in values.get("ranks", []):
            rank = _known_fields(RankRecord, item, path)
            _check_types(path, rank, {"rank": int, "node": int, "local_rank": int, "pid": int})
            ranks.append(RankRecord(**rank))
        values["ranks"] = ranks
        return cls(**values)


class JobStore:
    """Jobs kept as directories under ``<root>/jobs``."""

    def __init__(self, root: Path) -> None:
        """Use ``root`` as the state directory; it is created on first write."""
        self.root = root
        self.jobs_dir = root / "jobs"
        self.venvs_dir = root / "venvs"

    def job_dir(self, name: str) -> Path:
        """The directory of job ``name`` (whether or not it exists)."""
        return self.jobs_dir / name

    def log_path(self, name: str, step: str) -> Path:
        """The log file of one step."""
        return self.job_dir(name) / LOGS_DIR / f"{step}.log"

    def create(self, spec: JobSpec, code: str, file_name: str) -> Path:
        """Create the directory of a new job with its code, empty logs, spec and Created status.

        Raises:
            AlreadyExistsError: a job of that name exists.
        """
        self.jobs_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        job_dir = self.job_dir(spec.name)
        try:
            job_dir.mkdir(mode=0o700)
        except FileExistsError:
            raise AlreadyExistsError(
                f"TrainJob {spec.name} already exists in {self.jobs_dir}",
                status=409,
                reason="AlreadyExists",
                kind=constants.TRAINJOB_KIND,
                name=spec.name,
                hint="delete it with delete_job() or choose another name with the Name option",
            ) from None
        try:
            (job_dir / CODE_DIR).mkdir()
            (job_dir / CODE_DIR / file_name).write_text(code, encoding="utf-8")
            (job_dir / LOGS_DIR).mkdir()
            for step in spec.steps:
                (job_dir / LOGS_DIR / f"{step}.log").touch()
            steps = dict.fromkeys(spec.steps, CREATED)
            write_json_atomic(job_dir / STATUS_FILE, JobStatus(steps=steps).to_dict())
            # job.json last: a directory without it is a job still being created.
            write_json_atomic(job_dir / JOB_FILE, spec.to_dict())
        except BaseException:
            shutil.rmtree(job_dir, ignore_errors=True)
            raise
        return job_dir

    def names(self) -> list[str]:
        """Names of the jobs that are fully created."""
        try:
            entries = list(self.jobs_dir.iterdir())
        except FileNotFoundError:
            return []
        # Hidden entries are directories of deleted jobs being removed (see remove()).
        return sorted(
            e.name for e in entries if not e.name.startswith(".") and (e / JOB_FILE).is_file()
        )

    def read_spec(self, name: str) -> JobSpec:
        """The spec of job ``name``.

        Raises:
            JobNotFoundError: no such job.
            LocalStateError: its job.json is damaged.
        """
        if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
            raise self.not_found(str(name))
        path = self.job_dir(name) / JOB_FILE
        try:
            spec = JobSpec.from_dict(read_json(path), path)
        except (FileNotFoundError, NotADirectoryError):
            raise self.not_found(name) from None
        if spec.name != name:
            raise damaged(path, f"it names the job {spec.name!r}, not {name!r}")
        return spec

    def read_status(self, name: str) -> JobStatus:
        """The status last recorded for job ``name``.

        Raises:
            JobNotFoundError: no such job.
            LocalStateError: its status.json is damaged or missing.
        """
        path = self.job_dir(name) / STATUS_FILE
        try:
            return JobStatus.from_dict(read_json(path), path)
        except (FileNotFoundError, NotADirectoryError):
            if (self.job_dir(name) / JOB_FILE).exists():
                raise damaged(path, "it is missing") from None
            raise self.not_found(name) from None

    def status_mtime(self, name: str) -> int:
        """Modification time (ns) of the status file, 0 when it does not exist."""
        try:
            return (self.job_dir(name) / STATUS_FILE).stat().st_mtime_ns
        except OSError:
            return 0

    def supervisor(self, name: str) -> ProcessId | None:
        """The job's supervisor as recorded by the launcher, None when not recorded (yet)."""
        try:
            words = (self.job_dir(name) / PID_FILE).read_text().split()
            return ProcessId(int(words[0]), int(words[1]) if len(words) > 1 else None)
        except (OSError, ValueError, IndexError):
            return None

    def remove(self, name: str) -> None:
        """Delete the job's directory; a directory already gone is not an error.

        The directory is first renamed to a hidden name, so the job disappears at once and
        whole, or not at all; its content is removed afterwards.

        Raises:
            LocalStateError: it could not be renamed (the job is intact), or its content could
                not be removed (the job is gone, the hidden directory is named).
        """
        job_dir = self.job_dir(name)
        trash = self.jobs_dir / f".{name}.deleted-{uuid.uuid4().hex[:8]}"
        try:
            os.rename(job_dir, trash)
        except FileNotFoundError:
            return
        except OSError as error:
            raise LocalStateError(
                f"Cannot remove TrainJob {name}: {job_dir}: {error.strerror or error}",
                file=str(job_dir),
                name=name,
                hint="make the state directory writable and call delete_job() again",
            ) from None
        failures: list[str] = []

        def record(function: Any, path: str, error: BaseException) -> None:
            failures.append(f"{path}: {getattr(error, 'strerror', None) or error}")

        if sys.version_info >= (3, 12):
            shutil.rmtree(trash, onexc=record)
        else:
            shutil.rmtree(trash, onerror=lambda f, p, info: record(f, p, info[1]))
        if failures:
            raise LocalStateError(
                f"TrainJob {name} is deleted, but its files could not be removed: {failures[0]}",
                file=str(trash),
                name=name,
                hint=f"remove {trash} by hand",
            )

    def not_found(self, name: str) -> JobNotFoundError:
        """The error for an unknown job name."""
        return JobNotFoundError(
            f"No TrainJob with name {name} in {self.jobs_dir}",
            status=404,
            reason="NotFound",
            kind=constants.TRAINJOB_KIND,
            name=name,
        )
