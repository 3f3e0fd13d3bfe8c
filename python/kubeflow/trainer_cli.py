"""``kubeflow-trainer``: the Trainer SDK from a shell or a pipeline step.

It lives outside ``kubeflow.trainer`` so that ``--help`` and argument errors cost an
interpreter and argparse only: the SDK (and its C++ extension) is imported when a command runs.

Exit codes (stable): 0 success; 1 any other failure (API, network); 2 bad input (usage, a
``ValidationError``, a manifest that is not a TrainJob); 3 not found; 4 the job failed; 5 a
timeout; 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence

# typing costs about a third of this module's import, and --help needs none of it: with
# postponed annotations ``Any`` is only read by type checkers (mypy treats this name as True).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT, EXIT_NOT_FOUND, EXIT_JOB_FAILED, EXIT_TIMEOUT = range(6)
EXIT_INTERRUPTED = 130
OUTPUTS = ("table", "json", "yaml")


_UNITS = {"s": 1, "m": 60, "h": 3600}


def _duration(text: str) -> int:
    """Whole seconds of "90", "30s", "5m" or "2h" (as kubectl logs --since)."""
    number, unit = (text[:-1], text[-1]) if text[-1:] in _UNITS else (text, "s")
    if not number.isdigit() or int(number) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 30s, 5m or 2h")
    return int(number) * _UNITS[unit]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kubeflow-trainer",
        description="Run and inspect Kubeflow Trainer TrainJobs.",
        epilog="Exit codes: 0 ok, 1 error, 2 bad input, 3 not found, 4 job failed, 5 timeout.",
    )
    parser.add_argument(
        "--kubeconfig", help="kubeconfig file (default: KUBECONFIG, ~/.kube/config)"
    )
    parser.add_argument("--context", help="kubeconfig context (default: its current context)")
    parser.add_argument("-n", "--namespace", help="namespace (default: the context's)")
    parser.add_argument(
        "--local", action="store_true", help="use the local process backend, not a cluster"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, text: str, output: bool = False) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        if output:
            sub.add_argument("-o", "--output", choices=OUTPUTS, default="table")
        return sub

    command("runtimes", "list the training runtimes", output=True)
    jobs = command("jobs", "list the TrainJobs", output=True)
    jobs.add_argument("--runtime", help="only the jobs of this runtime")
    get = command("get", "show a TrainJob (json/yaml: the object as stored)", output=True)
    get.add_argument("name")
    logs = command("logs", "print the log of one step, or of every node, of a TrainJob")
    logs.add_argument("name")
    logs.add_argument("--step", default="node-0", help="the step (default: node-0)")
    logs.add_argument("-f", "--follow", action="store_true", help="stream until the step ends")
    logs.add_argument(
        "--all-nodes", action="store_true", help="every node, each line prefixed [node-<i>]"
    )
    logs.add_argument("--tail", type=int, metavar="N", help="only the last N lines of each log")
    logs.add_argument(
        "--since", type=_duration, metavar="DURATION", help="only lines newer than 30s, 5m, 2h"
    )
    logs.add_argument(
        "--previous", action="store_true", help="the previous container, after a restart"
    )
    events = command("events", "list the events of a TrainJob", output=True)
    events.add_argument("name")
    wait = command("wait", "wait until a TrainJob reaches a status")
    wait.add_argument("name")
    wait.add_argument(
        "--for", dest="statuses", default="Complete", help="statuses, comma-separated"
    )
    wait.add_argument("--timeout", type=int, default=600, help="seconds, >= 2 (default: 600)")
    delete = command("delete", "delete a TrainJob")
    delete.add_argument("name")
    submit = command("submit", "create a TrainJob from a manifest (YAML or JSON)")
    submit.add_argument("-f", "--filename", required=True, help="the manifest file, - for stdin")
    migrate = command(
        "migrate",
        "convert Training Operator v1 jobs to TrainJobs (manifests on stdout, report on stderr)",
    )
    migrate.add_argument(
        "-f", "--filename", required=True, help="v1 jobs, YAML or JSON (documents, List); - stdin"
    )
    migrate.add_argument(
        "--allow-mxjob",
        action="store_true",
        help="convert MXJobs to a TrainJob on a generated custom runtime (MXNet is retired)",
    )
    migrate.add_argument(
        "--dry-run",
        choices=("client", "server"),
        default="client",
        help="server: also validate the manifests on the API server (nothing is stored)",
    )
    migrate.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml")
    train = command("train", "train a Python function of a file: FILE:FUNCTION")
    train.add_argument("target", metavar="FILE:FUNCTION")
    train.add_argument("--runtime", help="runtime name (default: torch-distributed)")
    train.add_argument("--name", help="the TrainJob name (default: generated)")
    train.add_argument("--num-nodes", type=int)
    train.add_argument("--image")
    train.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    train.add_argument(
        "--arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a keyword argument of the function; VALUE is read as JSON if it can be",
    )
    train.add_argument("--package", action="append", default=[], help="pip-install first")
    train.add_argument(
        "--dry-run",
        choices=("client", "server"),
        nargs="?",
        const="client",
        help="print the TrainJob instead of creating it (server: validated by the API server)",
    )
    train.add_argument("-o", "--output", choices=("name", "json", "yaml"), default=None)
    completion = command("completion", "print a shell completion script (needs shtab)")
    completion.add_argument("shell", choices=("bash", "zsh", "tcsh"))
    return parser


# ---- output ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A dataclass, enum or datetime as JSON-compatible data."""
    import dataclasses
    import datetime
    import enum

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.repr}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _emit(data: Any, output: str) -> None:
    if output == "json":
        import json

        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        from kubeflow.trainer import manifest_to_yaml

        print(
            manifest_to_yaml(data) if isinstance(data, dict) else manifest_to_yaml({"items": data}),
            end="",
        )


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    cells = [[str(h) for h in header]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _show(
    items: Any, output: str, header: Sequence[str], row: Callable[[Any], Sequence[object]]
) -> None:
    if output == "table":
        _table(header, [row(i) for i in (items if isinstance(items, list) else [items])])
    else:
        _emit(_plain(items), output)


# ---- commands ----------------------------------------------------------------------------


def _client(args: argparse.Namespace) -> Any:
    from kubeflow.trainer import KubernetesBackendConfig, LocalProcessBackendConfig, TrainerClient

    if args.local:
        return TrainerClient(LocalProcessBackendConfig())
    if args.kubeconfig or args.context or args.namespace:
        return TrainerClient(
            KubernetesBackendConfig(
                config_file=args.kubeconfig, context=args.context, namespace=args.namespace
            )
        )
    return TrainerClient()


def _key_values(items: list[str], option: str, as_json: bool = False) -> dict[str, Any]:
    from kubeflow.trainer.errors import ValidationError

    result: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValidationError(f"{option} takes KEY=VALUE, got {item!r}", field=option)
        if as_json:
            import json

            try:
                result[key] = json.loads(value)
            except ValueError:
                result[key] = value
        else:
            result[key] = value
    return result


def _load_function(target: str) -> Callable[..., Any]:
    import importlib.util
    from pathlib import Path

    from kubeflow.trainer.errors import ValidationError

    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise ValidationError(f"expected FILE:FUNCTION, got {target!r}", field="FILE:FUNCTION")
    file = Path(path)
    if not file.is_file():
        raise ValidationError(f"no such file: {path}", field="FILE:FUNCTION")
    spec = importlib.util.spec_from_file_location(file.stem, file)
    if spec is None or spec.loader is None:
        raise ValidationError(f"cannot load {path} as Python", field="FILE:FUNCTION")
    module = importlib.util.module_from_spec(spec)
    sys.modules[file.stem] = module  # inspect finds the function's source through it
    spec.loader.exec_module(module)
    func = getattr(module, name, None)
    if not callable(func):
        raise ValidationError(f"{path} has no function {name!r}", field="FILE:FUNCTION")
    return func  # type: ignore[no-any-return]


def _train(client: Any, args: argparse.Namespace) -> None:
    from kubeflow.trainer import CustomTrainer
    from kubeflow.trainer.options import Name

    trainer = CustomTrainer(
        func=_load_function(args.target),
        func_args=_key_values(args.arg, "--arg", as_json=True) or None,
        image=args.image,
        packages_to_install=args.package or None,
        num_nodes=args.num_nodes,
        env=_key_values(args.env, "--env") or None,
    )
    options = [Name(args.name)] if args.name else None
    if args.dry_run:
        manifest = client.build_job_manifest(
            runtime=args.runtime,
            trainer=trainer,
            options=options,
            validate_on_server=args.dry_run == "server",
        )
        _emit(manifest, args.output if args.output in ("json", "yaml") else "yaml")
        return
    name = client.train(runtime=args.runtime, trainer=trainer, options=options)
    if args.output in ("json", "yaml"):
        _emit(client.get_job_manifest(name), args.output)
    else:
        print(name)


def _migrate(args: argparse.Namespace) -> None:
    from pathlib import Path

    from kubeflow.trainer import migrate_v1_jobs

    text = sys.stdin.read() if args.filename == "-" else Path(args.filename).read_text()
    migration = migrate_v1_jobs(text, allow_mxjob=args.allow_mxjob)
    if args.dry_run == "server":
        _client(args).create_migration(migration, dry_run=True)
    for note in migration.report:  # before the manifests: a reader of both sees it first
        print(f"note: {note.job}: {note.field}: {note.reason}", file=sys.stderr)
    if args.output == "json":
        _emit({"apiVersion": "v1", "kind": "List", "items": migration.manifests}, "json")
    else:
        print(migration.to_yaml(), end="")


def _run(args: argparse.Namespace) -> int:
    if args.command == "migrate":  # a pure conversion: no cluster unless --dry-run=server
        _migrate(args)
        return EXIT_OK
    if args.command == "completion":
        try:
            import shtab  # type: ignore[import-not-found]
        except ImportError:
            print("completion needs shtab: pip install shtab", file=sys.stderr)
            return EXIT_ERROR
        print(shtab.complete(_parser(), shell=args.shell))
        return EXIT_OK
    client = _client(args)
    if args.command == "runtimes":
        _show(
            client.list_runtimes(),
            args.output,
            ["NAME", "KIND", "FRAMEWORK", "NODES"],
            lambda r: [r.name, r.kind.value, r.trainer.framework, r.trainer.num_nodes],
        )
    elif args.command in ("jobs", "get") and args.output == "table":
        jobs = client.list_jobs() if args.command == "jobs" else [client.get_job(args.name)]
        if args.command == "jobs" and args.runtime:
            jobs = [j for j in jobs if j.runtime.name == args.runtime]
        _table(
            ["NAME", "STATUS", "RUNTIME", "NODES", "CREATED"],
            [
                [
                    j.name,
                    j.status,
                    j.runtime.name,
                    j.num_nodes,
                    j.creation_timestamp.strftime("%Y-%m-%d %H:%M:%S"),
                ]
                for j in jobs
            ],
        )
    elif args.command == "jobs":
        jobs = [j for j in client.list_jobs() if not args.runtime or j.runtime.name == args.runtime]
        _emit(_plain(jobs), args.output)
    elif args.command == "get":
        from kubeflow.trainer.errors import ValidationError

        try:
            _emit(client.get_job_manifest(args.name), args.output)
        except ValidationError as error:
            if error.field != "backend_config":
                raise
            # The local backend has no manifests: its own view of the job.
            _emit(_plain(client.get_job(args.name)), args.output)
    elif args.command == "logs":
        lines = client.get_job_logs(
            args.name,
            step=args.step,
            follow=args.follow,
            all_nodes=args.all_nodes,
            tail_lines=args.tail,
            since_seconds=args.since,
            previous=args.previous,
        )
        for line in lines:
            print(line, flush=args.follow)
    elif args.command == "events":
        _show(
            client.get_job_events(args.name),
            args.output,
            ["TIME", "KIND", "OBJECT", "REASON", "MESSAGE"],
            lambda e: [
                e.event_time.strftime("%H:%M:%S"),
                e.involved_object_kind,
                e.involved_object_name,
                e.reason,
                e.message,
            ],
        )
    elif args.command == "wait":
        statuses = {s.strip() for s in args.statuses.split(",") if s.strip()}
        # The Kubernetes backend watches; the interval only paces the local backend.
        job = client.wait_for_job_status(
            args.name, status=statuses, timeout=args.timeout, polling_interval=1
        )
        print(job.status)
    elif args.command == "delete":
        client.delete_job(args.name)
        print(f"deleted {args.name}")
    elif args.command == "submit":
        from pathlib import Path

        text = sys.stdin.read() if args.filename == "-" else Path(args.filename).read_text()
        print(client.submit_job(text))
    elif args.command == "train":
        _train(client, args)
    return EXIT_OK


def _exit_code(error: BaseException) -> int:
    from kubeflow.trainer import errors

    if isinstance(error, (errors.ValidationError, errors.InvalidError, errors.ConfigError)):
        return EXIT_BAD_INPUT
    if isinstance(error, errors.NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(error, errors.JobFailedError):
        return EXIT_JOB_FAILED
    if isinstance(error, TimeoutError):
        return EXIT_TIMEOUT
    return EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (see the module docstring)."""
    args = _parser().parse_args(argv)  # exits 2 with the usage on bad arguments
    try:
        return _run(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - every error becomes a message and a code
        print(f"error: {error}", file=sys.stderr)
        return _exit_code(error)


if __name__ == "__main__":
    sys.exit(main())
