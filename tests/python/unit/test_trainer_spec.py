"""Trainer spec builders: commands for functions and pip scripts (conformance cases 10, 11, 30
and 31). The shell scripts are also run with real bash. TorchTune args and initializer env
(cases 8, 9 and 32-37) are in test_trainer_spec_args.py."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kubeflow.trainer.backends.kubernetes import trainer_spec
from kubeflow.trainer.backends.kubernetes.trainer_spec import (
    command_for_function,
    get_runtime_packages_function,
    pip_install_script,
)
from kubeflow.trainer.constants import constants

FILE = "test_trainer_spec.py"
URLS = [
    "https://index.example/simple",
    "https://extra1.example/simple",
    "https://extra2.example/simple",
]

# --- functions that get shipped ---------------------------------------------------------------

lambda_func = lambda: print("Hello World")  # noqa: E731
# A lambda has no name to call, so the shipped file binds the expression (not its line) to one.
LAMBDA_CODE = '_kubeflow_lambda = (\nlambda: print("Hello World")\n)\n'


def train_with_args(learning_rate: float, batch_size: int) -> None:
    print(f"lr={learning_rate} bs={batch_size}")


def literal_printer() -> None:
    print("home=$HOME tick=`echo hi` sub=$(echo sub) back=\\n {braces} 'single' \"double\"")


def eom_line() -> None:
    text = """
EOM
"""
    print(text)


def source_of(func: Any) -> str:
    import inspect
    import textwrap

    return textwrap.dedent(inspect.getsource(func))


def heredoc(code: str, file: str, entrypoint: str) -> str:
    return (
        f"\nread -r -d '' SCRIPT << 'EOM'\n\n{code}\nEOM\n"
        f'printf "%s" "$SCRIPT" > "{file}"\n{entrypoint} "{file}"'
    )


# --- helpers to run scripts with real bash -----------------------------------------------------


def write_exe(path: Path, body: str) -> None:
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def run(command: list[str], cwd: Path, path_dirs: list[Path] = ()) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join(
        [str(p) for p in path_dirs] + [os.path.dirname(sys.executable), env.get("PATH", "")]
    )
    env["HOME"] = str(cwd)
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def fake_python(tmp_path: Path) -> Path:
    """A ``python`` that records its arguments (one per line, then a ``--`` line) and fails the
    ``--user`` install when USER_RC is non-zero and the system install when SYSTEM_RC is."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    write_exe(
        bin_dir / "python",
        'for a in "$@"; do printf "%s\\n" "$a" >> "$CALLS"; done; echo -- >> "$CALLS"\n'
        'if [ "$1 $2 $3" = "-m pip --version" ]; then exit "${PIP_VERSION_RC:-0}"; fi\n'
        'if [ "$1 $2" = "-m ensurepip" ]; then exit 0; fi\n'
        'echo "pip output for $*"\n'
        'case " $* " in *" --user "*) exit "${USER_RC:-0}";; esac\n'
        'exit "${SYSTEM_RC:-0}"\n',
    )
    return bin_dir


def run_pip(
    tmp_path: Path, bin_dir: Path, packages: list[str], urls: list[str], **rcs: int
) -> tuple[subprocess.CompletedProcess, list[list[str]]]:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    calls = tmp_path / "calls.txt"
    calls.unlink(missing_ok=True)
    script = pip_install_script(packages, urls, "pip_install.log") + 'echo "AFTER"\n'
    env_prefix = " ".join(f"{k.upper()}={v}" for k, v in rcs.items())
    full = f"export CALLS={shlex.quote(str(calls))} {env_prefix}\n{script}"
    result = run(["bash", "-c", full], work, [bin_dir])
    invocations: list[list[str]] = []
    if calls.exists():
        current: list[str] = []
        for line in calls.read_text().splitlines():
            if line == "--":
                invocations.append(current)
                current = []
            else:
                current.append(line)
    return result, invocations


PIP_ENV_AND_FLAGS = ["-m", "pip", "install", "--quiet", "--no-warn-script-location"]


# --- case 30: pip script -----------------------------------------------------------------------


def test_pip_script_structure_three_urls() -> None:
    script = pip_install_script(["torch", "numpy", "transformers[torch]"], URLS, "pip_install.log")
    lines = script.splitlines()
    assert "PACKAGES=(torch numpy 'transformers[torch]')" in lines
    assert (
        "PIP_OPTS=(--index-url https://index.example/simple "
        "--extra-index-url https://extra1.example/simple "
        "--extra-index-url https://extra2.example/simple)"
    ) in lines
    assert "LOG_FILE=pip_install.log" in lines
    assert script.endswith("\n")
    user = script.index("--user")
    system = script.index("Successfully installed Python packages (system-wide)")
    assert script.index("Successfully installed Python packages (user)") < system
    assert user < system
    assert "PIP_BREAK_SYSTEM_PACKAGES=1" in script and "PIP_DISABLE_PIP_VERSION_CHECK=1" in script
    assert "exit 1" in script and 'cat "$LOG_FILE" >&2' in script
    assert "ensurepip" in script.split("PACKAGES=")[0]


def test_pip_script_single_url_extras_and_log_path() -> None:
    script = pip_install_script(
        ["datasets", "transformers[torch]", "cloudpathlib[all]"],
        ["https://index.example/simple"],
        "/home/mpi user/pip_install.log",
    )
    lines = script.splitlines()
    assert "PACKAGES=(datasets 'transformers[torch]' 'cloudpathlib[all]')" in lines
    assert "PIP_OPTS=(--index-url https://index.example/simple)" in lines
    assert "LOG_FILE='/home/mpi user/pip_install.log'" in lines
    assert "--extra-index-url" not in script


def test_pip_user_install(tmp_path: Path, fake_python: Path) -> None:
    result, calls = run_pip(tmp_path, fake_python, ["torch", "numpy"], URLS[:2])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Successfully installed Python packages (user): torch numpy",
        "AFTER",
    ]
    assert calls == [
        ["-m", "pip", "--version"],
        PIP_ENV_AND_FLAGS
        + ["--index-url", URLS[0], "--extra-index-url", URLS[1], "--user", "torch", "numpy"],
    ]
    assert (tmp_path / "work" / "pip_install.log").read_text().startswith("pip output for")


def test_pip_falls_back_to_system_wide(tmp_path: Path, fake_python: Path) -> None:
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "pip_install.log").write_text("stale log\n")
    result, calls = run_pip(tmp_path, fake_python, ["torch"], URLS[:1], user_rc=1)
    assert result.returncode == 0, result.stderr
    assert "Successfully installed Python packages (system-wide): torch" in result.stdout
    assert calls[1][-2:] == ["--user", "torch"]
    assert calls[2] == PIP_ENV_AND_FLAGS + ["--index-url", URLS[0], "torch"]
    log = (tmp_path / "work" / "pip_install.log").read_text()
    assert "stale log" not in log
    assert log.count("pip output for") == 2  # the second attempt appends


def test_pip_failure_exits_1_with_log(tmp_path: Path, fake_python: Path) -> None:
    result, _ = run_pip(tmp_path, fake_python, ["nope"], URLS[:1], user_rc=1, system_rc=1)
    assert result.returncode == 1
    assert "AFTER" not in result.stdout
    assert "ERROR: Failed to install Python packages: nope" in result.stderr
    assert "pip output for" in result.stderr


def test_pip_missing_runs_ensurepip(tmp_path: Path, fake_python: Path) -> None:
    result, calls = run_pip(tmp_path, fake_python, ["torch"], URLS[:1], pip_version_rc=1)
    assert result.returncode == 0, result.stderr
    assert calls[1] == ["-m", "ensurepip"]


def test_pip_arguments_are_never_shell_expanded(tmp_path: Path, fake_python: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "transformerst").write_text("")  # an unquoted 'transformers[torch]' would glob to it
    packages = ["transformers[torch]", "x; touch pwned", "$(touch pwned2)", "a b"]
    urls = ["https://index.example/simple?a=1&b=$HOME"]
    result, calls = run_pip(tmp_path, fake_python, packages, urls)
    assert result.returncode == 0, result.stderr
    assert calls[1] == PIP_ENV_AND_FLAGS + ["--index-url", urls[0], "--user", *packages]
    assert not (work / "pwned").exists() and not (work / "pwned2").exists()


def test_pip_with_no_index_urls(tmp_path: Path, fake_python: Path) -> None:
    assert "PIP_OPTS=()" in pip_install_script(["torch"], [], "l").splitlines()
    result, calls = run_pip(tmp_path, fake_python, ["torch"], [])
    assert result.returncode == 0, result.stderr
    assert calls[1] == PIP_ENV_AND_FLAGS + ["--user", "torch"]


# --- cases 10, 11, 31: commands -----------------------------------------------------------------


def test_torch_command_with_packages_and_args_case_10() -> None:
    # Upstream's case uses a lambda, shipped as its broken source line and "<lambda>(**...)";
    # a def keeps the expected code readable here (lambdas: tests/python/unit/test_function.py).
    command = command_for_function(
        "torchrun",
        train_with_args,
        {"learning_rate": 0.001, "batch_size": 32},
        ["torch", "numpy"],
        None,
    )
    code = (
        source_of(train_with_args)
        + "\ntrain_with_args(**{'learning_rate': 0.001, 'batch_size': 32})\n"
    )
    pip = pip_install_script(
        ["torch", "numpy"], constants.DEFAULT_PIP_INDEX_URLS, "pip_install.log"
    )
    assert command == ["bash", "-c", pip + heredoc(code, FILE, "torchrun")]


@pytest.mark.parametrize(
    "launcher,prefix,entrypoint",
    [("python", ["bash", "-c"], "python"), ("torchrun", ["bash", "-c"], "torchrun")],
)
def test_command_shapes(launcher: str, prefix: list[str], entrypoint: str) -> None:
    command = command_for_function(
        launcher, train_with_args, {"learning_rate": 0.1, "batch_size": 8}
    )
    code = (
        source_of(train_with_args)
        + "\ntrain_with_args(**{'learning_rate': 0.1, 'batch_size': 8})\n"
    )
    assert command == prefix + [heredoc(code, FILE, entrypoint)]


def test_mpi_command_shape_and_paths() -> None:
    command = command_for_function(
        "mpirun", lambda_func, None, ["requests"], ["https://index.example/simple"]
    )
    home = constants.DEFAULT_MPI_USER_HOME
    assert command[:5] == ["mpirun", "--hostfile", "/etc/mpi/hostfile", "bash", "-c"]
    assert len(command) == 6
    pip = pip_install_script(
        ["requests"], ["https://index.example/simple"], f"{home}/pip_install.log"
    )
    code = LAMBDA_CODE + "\n_kubeflow_lambda()\n"
    assert command[5] == pip + heredoc(code, f"{home}/{FILE}", "python")


def test_no_args_call_line_and_no_pip_prefix() -> None:
    command = command_for_function("python", lambda_func)
    assert command[2].startswith("\nread -r -d '' SCRIPT << 'EOM'\n")
    assert "\n_kubeflow_lambda()\n\nEOM\n" in command[2]
    assert "PACKAGES=" not in command[2]
    assert command_for_function("python", lambda_func, None, []) == command


def test_custom_pip_index_urls_are_used() -> None:
    command = command_for_function("python", lambda_func, None, ["requests"], URLS)
    assert command[2].startswith(pip_install_script(["requests"], URLS, "pip_install.log"))


def test_custom_template() -> None:
    template = ("mpirun", "-np", "1", *constants.DEFAULT_COMMAND)
    command = command_for_function("mpirun", lambda_func, template=template)
    assert command[:3] == ["mpirun", "-np", "1"]
    assert command[5].endswith(f'python "{constants.DEFAULT_MPI_USER_HOME}/{FILE}"')


@pytest.mark.parametrize("func", ["not a function", 42, None])
def test_non_callable_rejected(func: Any) -> None:
    with pytest.raises(ValueError, match="Training function must be callable"):
        command_for_function("python", func)


def test_unknown_launcher_rejected() -> None:
    with pytest.raises(ValueError, match="Unknown launcher 'deepspeed'"):
        command_for_function("deepspeed", lambda_func)


def test_source_line_equal_to_delimiter_rejected() -> None:
    with pytest.raises(ValueError, match="exactly 'EOM'"):
        command_for_function("python", eom_line)


# --- the shipped command, run with real bash ---------------------------------------------------


def test_python_command_runs_and_keeps_source_literal(tmp_path: Path) -> None:
    command = command_for_function("python", literal_printer)
    result = run(command, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "home=$HOME tick=`echo hi` sub=$(echo sub) back=\\n {braces} 'single' \"double\"\n"
    )
    assert (tmp_path / FILE).read_text() == source_of(literal_printer) + "\nliteral_printer()"


def test_python_command_passes_keyword_args(tmp_path: Path) -> None:
    command = command_for_function(
        "python", train_with_args, {"learning_rate": 0.5, "batch_size": 4}
    )
    result = run(command, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "lr=0.5 bs=4\n"


def test_torchrun_and_mpirun_commands_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    write_exe(bin_dir / "torchrun", 'echo "torchrun $*"; exec python "$@"\n')
    write_exe(bin_dir / "mpirun", 'echo "mpirun $1 $2"; shift 2; exec "$@"\n')
    work = tmp_path / "work"
    work.mkdir()

    result = run(command_for_function("torchrun", literal_printer), work, [bin_dir])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"torchrun {FILE}"
    assert result.stdout.splitlines()[1].startswith("home=$HOME tick=`echo hi`")

    home = tmp_path / "mpi home"
    home.mkdir()
    monkeypatch.setattr(constants, "DEFAULT_MPI_USER_HOME", str(home))
    result = run(
        command_for_function("mpirun", train_with_args, {"learning_rate": 1, "batch_size": 2}),
        work,
        [bin_dir],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["mpirun --hostfile /etc/mpi/hostfile", "lr=1 bs=2"]
    assert (home / FILE).exists()


def test_command_with_failing_pip_does_not_run_function(tmp_path: Path, fake_python: Path) -> None:
    command = command_for_function("python", literal_printer, None, ["torch"], URLS[:1])
    env_script = f"export CALLS={shlex.quote(str(tmp_path / 'calls'))} USER_RC=1 SYSTEM_RC=1\n"
    result = run(["bash", "-c", env_script + command[2]], tmp_path, [fake_python])
    assert result.returncode == 1
    assert "ERROR: Failed to install Python packages: torch" in result.stderr
    assert not (tmp_path / FILE).exists()


def test_runtime_packages_probe_runs(tmp_path: Path) -> None:
    probe = get_runtime_packages_function()
    assert probe.__module__ == trainer_spec.__name__ and probe.__name__ != "<lambda>"
    result = run(command_for_function("python", probe), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Python: {sys.version.split()[0]}")
    assert "pytest" in result.stdout  # from pip list of this interpreter


def test_trainer_spec_does_not_import_the_core() -> None:
    code = (
        "import sys\n"
        "import kubeflow.trainer.backends.kubernetes.trainer_spec\n"
        "import kubeflow.trainer.options\n"
        "import kubeflow.trainer.backends.kubernetes.utils\n"
        "assert 'kubeflow.trainer._core' not in sys.modules, 'core imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=False,
    )
    assert result.returncode == 0, result.stderr
