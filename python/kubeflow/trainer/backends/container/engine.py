"""The container engine, driven through its own command-line client (``docker`` or ``podman``).

Why the CLI and not a Python client library or the REST API: both engines document their CLI as
their stable interface, the two CLIs accept the same verbs and flags for everything this backend
does (networks, ``run``, ``inspect``, ``logs``, ``stop``, ``rm``), they reach a remote or
non-default engine through one flag (``podman --url``, ``docker --host``), and the SDK keeps no
dependency: the user already has the CLI of the engine they run. ``inspect`` prints the same
Docker-shaped JSON on both, so this module parses one format.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubeflow.trainer.backends.container.errors import ContainerEngineError

DOCKER = "docker"
PODMAN = "podman"
#: Seconds one engine command may take before it is abandoned (image checks, create, inspect).
COMMAND_TIMEOUT = 60.0
#: Seconds a ping may take: an engine that does not answer this fast is treated as absent.
PING_TIMEOUT = 15.0
#: Seconds an image pull may take.
PULL_TIMEOUT = 1800.0


@dataclass(frozen=True)
class Engine:
    """One reachable engine: which CLI, and the engine URL given to it (None: its default).

    Attributes:
        kind: ``"docker"`` or ``"podman"``.
        binary: The CLI's path.
        host: The engine's URL (``unix:///path``, ``tcp://host:port``...) or None.
    """

    kind: str
    binary: str
    host: str | None = None

    def argv(self, args: Sequence[str]) -> list[str]:
        """The full command line for ``args``."""
        base = [self.binary]
        if self.host:
            base += ["--url" if self.kind == PODMAN else "--host", self.host]
        return base + list(args)

    def run(
        self,
        args: Sequence[str],
        *,
        timeout: float = COMMAND_TIMEOUT,
        env: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run one engine command and return its result.

        Args:
            args: The verb and its arguments, e.g. ``["network", "rm", "x"]``.
            timeout: Seconds before the command is killed.
            env: Extra environment for the CLI (``-e NAME`` flags read values from it, so that
                no value appears on a command line).
            check: Raise when the command exits non-zero.

        Raises:
            ContainerEngineError: the CLI could not run, timed out, or (with ``check``) failed;
                the message has the engine's own error.
        """
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        try:
            result = subprocess.run(
                self.argv(args),
                capture_output=True,
                text=True,
                timeout=timeout,
                env=full_env,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ContainerEngineError(
                f"{self.kind} {args[0]} did not finish within {timeout:.0f} s",
                hint=f"check that the {self.kind} engine is responsive ({self.kind} info)",
            ) from None
        except OSError as error:
            raise ContainerEngineError(f"Cannot run {self.binary}: {error}") from error
        if check and result.returncode != 0:
            raise ContainerEngineError(
                f"{self.kind} {' '.join(args[:2])} failed (exit code {result.returncode}): "
                f"{result.stderr.strip() or result.stdout.strip() or 'no output'}",
                exit_code=result.returncode,
            )
        return result

    def ping(self) -> str:
        """The engine's server version; raises ContainerEngineError when it does not answer."""
        fmt = "{{.Server.Version}}" if self.kind == DOCKER or self.host else "{{.Client.Version}}"
        return self.run(["version", "--format", fmt], timeout=PING_TIMEOUT).stdout.strip()

    # ------------------------------------------------------------------------------ images
    def image_exists(self, image: str) -> bool:
        """Whether ``image`` is in the engine's storage."""
        return self.run(["image", "inspect", image], check=False).returncode == 0

    def pull(self, image: str) -> None:
        """Pull ``image``; raises ContainerEngineError with the engine's message on failure."""
        self.run(["pull", "--quiet", image], timeout=PULL_TIMEOUT)

    # ------------------------------------------------------------------------------ networks
    def create_network(self, name: str, labels: Mapping[str, str]) -> None:
        """Create a bridge network of its own, on which containers resolve each other by name."""
        args = ["network", "create", "--driver", "bridge"]
        for key, value in labels.items():
            args += ["--label", f"{key}={value}"]
        self.run([*args, name])

    def networks(self, label: str) -> list[dict[str, Any]]:
        """Inspect every network carrying ``label`` (``key`` or ``key=value``).

        Each dict has ``name`` and ``labels`` (Docker writes ``Name``/``Labels``, Podman 4
        lower-case keys; both are read).
        """
        names = self.run(
            ["network", "ls", "--filter", f"label={label}", "--format", "{{.Name}}"]
        ).stdout.split()
        if not names:
            return []
        found = []
        for item in _json_list(self.run(["network", "inspect", *names], check=False).stdout):
            found.append(
                {
                    "name": item.get("Name", item.get("name", "")),
                    "labels": item.get("Labels", item.get("labels")) or {},
                }
            )
        return found

    def remove_network(self, name: str) -> None:
        """Remove a network; one already gone is not an error."""
        result = self.run(["network", "rm", name], check=False)
        if result.returncode != 0 and name in self.network_names(name):
            raise ContainerEngineError(
                f"Cannot remove network {name}: {result.stderr.strip()}", name=name
            )

    def network_names(self, name: str) -> list[str]:
        """The networks called exactly ``name`` (none or one)."""
        listed = self.run(["network", "ls", "--format", "{{.Name}}"]).stdout.split()
        return [n for n in listed if n == name]

    # ------------------------------------------------------------------------------ containers
    def run_container(
        self,
        *,
        name: str,
        image: str,
        command: Sequence[str],
        network: str,
        labels: Mapping[str, str],
        env: Mapping[str, str],
        mounts: Sequence[tuple[str, str]],
        workdir: str,
    ) -> str:
        """Create and start a detached container; return its id.

        The values of ``env`` go through the CLI's environment (``-e NAME``), never its
        command line, so other users of the machine cannot read them in the process list.
        """
        args = ["run", "--detach", "--name", name, "--hostname", name, "--network", network]
        for key, value in labels.items():
            args += ["--label", f"{key}={value}"]
        for key in env:
            args += ["--env", key]
        for source, target in mounts:
            args += ["--volume", f"{source}:{target}"]
        args += ["--workdir", workdir, image, *command]
        return self.run(args, env=env).stdout.strip()

    def containers(self, label: str) -> list[dict[str, Any]]:
        """Inspect every container (running or not) carrying ``label``."""
        ids = self.run(["ps", "--all", "--quiet", "--filter", f"label={label}"]).stdout.split()
        if not ids:
            return []
        # A container removed between the two calls is left out of inspect's answer.
        result = self.run(["container", "inspect", *ids], check=False)
        return _json_list(result.stdout)

    def stop_and_remove(self, names: Sequence[str], grace_seconds: int = 10) -> None:
        """Stop (SIGTERM, then SIGKILL after ``grace_seconds``) and remove containers."""
        if not names:
            return
        # One stop per container, all at once: the engine stops the names of one command one
        # after the other, and a node whose PID 1 (bash) ignores SIGTERM takes the whole grace
        # period, so a job's delete would grow with its node count.
        stops = [
            subprocess.Popen(
                self.argv(["stop", "-t", str(grace_seconds), name]),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
            )
            for name in names
        ]
        for stop in stops:
            try:
                stop.wait(timeout=COMMAND_TIMEOUT + grace_seconds)
            except subprocess.TimeoutExpired:
                stop.kill()
                stop.wait()
        result = self.run(["rm", "--force", *names], check=False)
        if result.returncode != 0:
            left = self.run(["ps", "--all", "--format", "{{.Names}}"]).stdout.split()
            still = sorted(set(names) & set(left))
            if still:
                raise ContainerEngineError(
                    f"Cannot remove containers {', '.join(still)}: {result.stderr.strip()}"
                )

    def events(self, label: str, since: float) -> list[dict[str, Any]]:
        """The engine's container events for containers carrying ``label``, from ``since``
        (a Unix time) until now, oldest first.

        Each dict has ``name`` (the container's), ``action`` (``create``, ``start``, ``died``
        or ``die``...), ``time`` (a Unix time) and ``exit_code`` (or None). Docker's and
        Podman's JSON differ in shape; both are read.
        """
        until = str(int(time.time()) + 1)
        fmt = "json" if self.kind == PODMAN else "{{json .}}"
        args = ["events", "--since", str(int(since)), "--until", until]
        args += ["--filter", f"label={label}", "--filter", "type=container", "--format", fmt]
        found = []
        for line in self.run(args).stdout.splitlines():
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(item, dict):
                found.append(_event(item))
        return sorted(found, key=lambda e: float(e["time"]))

    def logs(self, name: str, tail: int | None = None, since_seconds: int | None = None) -> str:
        """The log of a container (its stdout and stderr, interleaved by the engine): all of it,
        its last ``tail`` lines, or what it wrote in the last ``since_seconds`` seconds.

        The last lines are cut here, not by the engine's ``--tail``: that counts the records of
        the engine's log file, and a line conmon stored as a partial record and its end came
        back as the end alone (an empty line for ``--tail 1``)."""
        result = self.run(["logs", *_window(None, since_seconds), name], check=False)
        if result.returncode != 0:
            raise ContainerEngineError(
                f"Cannot read the logs of {name}: {result.stderr.strip()}", name=name
            )
        text = result.stdout + result.stderr
        if tail is None:
            return text
        last = text.splitlines()[-tail:] if tail > 0 else []
        return "".join(line + "\n" for line in last)

    def follow_logs(
        self, name: str, tail: int | None = None, since_seconds: int | None = None
    ) -> Iterator[str]:
        """Yield a container's log lines as they are written, until the container stops;
        ``tail`` and ``since_seconds`` bound what comes first, as in ``logs``.

        Stopping the iteration early (``close()``) ends the CLI process.
        """
        process = subprocess.Popen(
            self.argv(["logs", "--follow", *_window(tail, since_seconds), name]),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert process.stdout is not None  # stdout=PIPE above
            for line in process.stdout:
                yield line.rstrip("\n")
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process.stdout is not None:
                process.stdout.close()


def _window(tail: int | None, since_seconds: int | None) -> list[str]:
    """The ``logs`` flags Docker and Podman both take for the start of a log."""
    flags = [] if tail is None else ["--tail", str(tail)]
    return flags if since_seconds is None else [*flags, "--since", f"{since_seconds}s"]


_RFC3339 = re.compile(
    r"(?P<base>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(?P<fraction>\d+))?(?P<zone>Z|z|[+-]\d\d:\d\d)?"
)


def _event(item: dict[str, Any]) -> dict[str, Any]:
    actor = item.get("Actor") or {}
    attributes = {**(item.get("Attributes") or {}), **(actor.get("Attributes") or {})}
    if "timeNano" in item:
        when = int(item["timeNano"]) / 1e9
    elif isinstance(item.get("time"), (int, float)):
        when = float(item["time"])
    else:  # Podman 4: RFC 3339 with up to 9 fraction digits, which Python 3.10 does not read
        match = _RFC3339.match(str(item.get("Time", "")))
        try:
            assert match is not None
            fraction = (match["fraction"] or "")[:6].ljust(6, "0")
            zone = "+00:00" if match["zone"] in ("Z", "z", None) else match["zone"]
            when = datetime.fromisoformat(f"{match['base']}.{fraction}{zone}").timestamp()
        except (AssertionError, ValueError):
            when = 0.0
    code = str(item.get("ContainerExitCode", attributes.get("exitCode")))
    return {
        "name": str(item.get("Name") or attributes.get("name") or ""),
        "action": str(item.get("Status") or item.get("Action") or item.get("status") or ""),
        "time": when,
        "exit_code": int(code) if code.lstrip("-").isdigit() else None,
    }


def _json_list(text: str) -> list[dict[str, Any]]:
    if not text.strip():
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ContainerEngineError(f"The engine printed malformed JSON: {error}") from error
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def find_binary(kind: str) -> str | None:
    """The path of the ``docker`` or ``podman`` CLI on PATH, or None."""
    return shutil.which(kind)
