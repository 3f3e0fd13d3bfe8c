"""Trainer spec builders: commands for functions, pip scripts, TorchTune args, initializer env
(conformance cases 8-11 and 30-37). The shell scripts are also run with real bash."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kubeflow.trainer import (
    DataCacheInitializer,
    DataFormat,
    DataType,
    HuggingFaceDatasetInitializer,
    HuggingFaceModelInitializer,
    Initializer,
    LoraConfig,
    Loss,
    S3DatasetInitializer,
    S3ModelInitializer,
    TorchTuneConfig,
    TorchTuneInstructDataset,
)
from kubeflow.trainer.backends.kubernetes import trainer_spec
from kubeflow.trainer.backends.kubernetes.trainer_spec import (
    command_for_function,
    dataset_initializer_spec,
    dataset_preprocess_args,
    get_runtime_packages_function,
    model_initializer_spec,
    peft_args,
    pip_install_script,
    torchtune_args,
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


# --- cases 8, 9, 34-37: TorchTune args ---------------------------------------------------------


def test_case_8_batch_epochs_loss() -> None:
    config = TorchTuneConfig(num_nodes=2, batch_size=2, epochs=2, loss=Loss.CEWithChunkedOutputLoss)
    assert torchtune_args(config, None) == [
        "batch_size=2",
        "epochs=2",
        "loss=torchtune.modules.loss.CEWithChunkedOutputLoss",
    ]


def test_case_9_lora() -> None:
    config = TorchTuneConfig(
        num_nodes=2,
        peft_config=LoraConfig(
            apply_lora_to_mlp=True, lora_rank=8, lora_alpha=16, lora_dropout=0.1
        ),
    )
    assert torchtune_args(config, None) == [
        "model.apply_lora_to_mlp=True",
        "model.lora_rank=8",
        "model.lora_alpha=16",
        "model.lora_dropout=0.1",
        "model.lora_attn_modules=[q_proj,v_proj,output_proj]",
    ]


@pytest.mark.parametrize(
    "config,expected",
    [
        (TorchTuneConfig(), []),
        (TorchTuneConfig(dtype=DataType.BF16), ["dtype=bf16"]),
        (
            TorchTuneConfig(
                dtype=DataType.FP32, batch_size=8, epochs=3, loss=Loss.CEWithChunkedOutputLoss
            ),
            [
                "dtype=fp32",
                "batch_size=8",
                "epochs=3",
                "loss=torchtune.modules.loss.CEWithChunkedOutputLoss",
            ],
        ),
        (TorchTuneConfig(batch_size=0, epochs=0), []),
    ],
    ids=["empty", "bf16", "all", "zeros"],
)
def test_torchtune_args(config: TorchTuneConfig, expected: list[str]) -> None:
    assert torchtune_args(config) == expected


@pytest.mark.parametrize(
    "config,match",
    [
        (TorchTuneConfig(dtype="invalid"), "Invalid dtype"),  # type: ignore[arg-type]
        (TorchTuneConfig(dtype="bf16"), "Invalid dtype"),  # type: ignore[arg-type]
        (TorchTuneConfig(loss="x"), "Invalid loss"),  # type: ignore[arg-type]
        (TorchTuneConfig(peft_config={"lora_rank": 8}), "must be a LoraConfig"),  # type: ignore[arg-type]
        (TorchTuneConfig(dataset_preprocess_config={}), "TorchTuneInstructDataset"),  # type: ignore[arg-type]
    ],
)
def test_torchtune_args_errors(config: TorchTuneConfig, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        torchtune_args(config)


def test_torchtune_config_type_checked() -> None:
    with pytest.raises(ValueError, match="TorchTuneConfig"):
        torchtune_args(LoraConfig())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "uri,arg",
    [
        ("hf://tatsu-lab/alpaca", "dataset.data_dir=/workspace/dataset/."),
        ("hf://tatsu-lab/alpaca/data.json", "dataset.data_files=/workspace/dataset/data.json"),
        ("hf://tatsu-lab/alpaca/train", "dataset.data_dir=/workspace/dataset/train"),
        ("tatsu-lab/alpaca/train", "dataset.data_dir=/workspace/dataset/train"),
        ("hf://alpaca", "dataset.data_dir=/workspace/dataset/."),
        (
            "hf://org/ds/sub/dir/file.parquet",
            "dataset.data_files=/workspace/dataset/sub/dir/file.parquet",
        ),
        ("hf://org/ds/sub/dir/", "dataset.data_dir=/workspace/dataset/sub/dir"),
    ],
)
def test_dataset_path(uri: str, arg: str) -> None:
    initializer = Initializer(dataset=HuggingFaceDatasetInitializer(storage_uri=uri))
    config = TorchTuneConfig(batch_size=1, peft_config=LoraConfig(lora_attn_modules=[]))
    assert torchtune_args(config, initializer) == ["batch_size=1", arg]


def test_dataset_path_only_for_huggingface_datasets() -> None:
    s3 = Initializer(dataset=S3DatasetInitializer(storage_uri="s3://bucket/data"))
    model_only = Initializer(model=HuggingFaceModelInitializer(storage_uri="hf://org/model"))
    assert torchtune_args(TorchTuneConfig(), s3) == []
    assert torchtune_args(TorchTuneConfig(), model_only) == []


def test_full_order() -> None:
    config = TorchTuneConfig(
        dtype=DataType.BF16,
        epochs=1,
        peft_config=LoraConfig(use_dora=True, lora_attn_modules=["q_proj"]),
        dataset_preprocess_config=TorchTuneInstructDataset(source=DataFormat.JSON),
    )
    initializer = Initializer(
        dataset=HuggingFaceDatasetInitializer(storage_uri="hf://a/b/data.json")
    )
    assert torchtune_args(config, initializer) == [
        "dtype=bf16",
        "epochs=1",
        "dataset.data_files=/workspace/dataset/data.json",
        "model.use_dora=True",
        "model.lora_attn_modules=[q_proj]",
        "dataset=torchtune.datasets.instruct_dataset",
        "dataset.source=json",
    ]


@pytest.mark.parametrize(
    "lora,expected",
    [
        (
            LoraConfig(lora_dropout=0.0),
            ["model.lora_dropout=0.0", "model.lora_attn_modules=[q_proj,v_proj,output_proj]"],
        ),
        (
            LoraConfig(apply_lora_to_mlp=False, lora_attn_modules=[]),
            ["model.apply_lora_to_mlp=False"],
        ),
        (
            LoraConfig(
                apply_lora_to_mlp=True,
                apply_lora_to_output=False,
                lora_rank=4,
                lora_alpha=8,
                lora_dropout=0.05,
                quantize_base=True,
                use_dora=False,
                lora_attn_modules=["q_proj", "k_proj"],
            ),
            [
                "model.apply_lora_to_mlp=True",
                "model.apply_lora_to_output=False",
                "model.lora_rank=4",
                "model.lora_alpha=8",
                "model.lora_dropout=0.05",
                "model.quantize_base=True",
                "model.use_dora=False",
                "model.lora_attn_modules=[q_proj,k_proj]",
            ],
        ),
    ],
)
def test_peft_args(lora: LoraConfig, expected: list[str]) -> None:
    assert peft_args(lora) == expected


def test_peft_args_type() -> None:
    with pytest.raises(ValueError, match="LoraConfig"):
        peft_args(TorchTuneInstructDataset())  # type: ignore[arg-type]


def test_dataset_preprocess_args() -> None:
    assert dataset_preprocess_args(TorchTuneInstructDataset(train_on_input=False)) == [
        "dataset=torchtune.datasets.instruct_dataset",
        "dataset.train_on_input=False",
    ]
    full = TorchTuneInstructDataset(
        source=DataFormat.PARQUET,
        split="train[:10%]",
        train_on_input=True,
        new_system_prompt="You are helpful.",
        column_map={"input": "question", "output": "answer"},
    )
    assert dataset_preprocess_args(full) == [
        "dataset=torchtune.datasets.instruct_dataset",
        "dataset.source=parquet",
        "dataset.split=train[:10%]",
        "dataset.train_on_input=True",
        "dataset.new_system_prompt=You are helpful.",
        "dataset.column_map={'input': 'question', 'output': 'answer'}",
    ]
    with pytest.raises(ValueError, match="DataFormat"):
        dataset_preprocess_args(TorchTuneInstructDataset(source="json"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="TorchTuneInstructDataset"):
        dataset_preprocess_args(LoraConfig())  # type: ignore[arg-type]


# --- cases 32 and 33: initializers --------------------------------------------------------------


def env(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"name": n, "value": v} for n, v in pairs]


@pytest.mark.parametrize(
    "initializer,expected_env",
    [
        (
            DataCacheInitializer(
                storage_uri="cache://test_schema/test_table",
                num_data_nodes=3,
                metadata_loc="s3://bucket/metadata",
                head_cpu="1",
                head_mem="1Gi",
                worker_cpu="2",
                worker_mem="2Gi",
                iam_role="arn:aws:iam::123:role/r",
            ),
            env(
                ("CLUSTER_SIZE", "4"),
                ("METADATA_LOC", "s3://bucket/metadata"),
                ("HEAD_CPU", "1"),
                ("HEAD_MEM", "1Gi"),
                ("WORKER_CPU", "2"),
                ("WORKER_MEM", "2Gi"),
                ("IAM_ROLE", "arn:aws:iam::123:role/r"),
            ),
        ),
        (
            DataCacheInitializer(
                storage_uri="cache://s/t", num_data_nodes=2, metadata_loc="s3://bucket/metadata"
            ),
            env(("CLUSTER_SIZE", "3"), ("METADATA_LOC", "s3://bucket/metadata")),
        ),
        (HuggingFaceDatasetInitializer(storage_uri="hf://user/dataset"), []),
        (
            HuggingFaceDatasetInitializer(
                storage_uri="hf://dataset", access_token="hf_tok", ignore_patterns=["*.md", "*.txt"]
            ),
            env(("ACCESS_TOKEN", "hf_tok"), ("IGNORE_PATTERNS", "*.md,*.txt")),
        ),
        (
            S3DatasetInitializer(
                storage_uri="s3://bucket/data",
                endpoint="https://s3.example",
                access_key_id="AK",
                secret_access_key="SK",
                region="us-east-1",
                role_arn="arn:role",
            ),
            env(
                ("ENDPOINT", "https://s3.example"),
                ("ACCESS_KEY_ID", "AK"),
                ("SECRET_ACCESS_KEY", "SK"),
                ("REGION", "us-east-1"),
                ("ROLE_ARN", "arn:role"),
            ),
        ),
        (
            S3DatasetInitializer(storage_uri="s3://bucket/data", ignore_patterns=["*.log"]),
            env(("IGNORE_PATTERNS", "*.log")),
        ),
    ],
    ids=["cache-full", "cache-min", "hf-min", "hf-full", "s3-full", "s3-ignore"],
)
def test_dataset_initializer_spec(initializer: Any, expected_env: list[dict[str, str]]) -> None:
    assert dataset_initializer_spec(initializer) == {
        "storage_uri": initializer.storage_uri,
        "env": expected_env,
    }


@pytest.mark.parametrize(
    "initializer,expected_env",
    [
        (
            HuggingFaceModelInitializer(
                storage_uri="hf://user/model",
                access_token="tok",
                ignore_patterns=["*.bin", "*.safetensors"],
            ),
            env(("ACCESS_TOKEN", "tok"), ("IGNORE_PATTERNS", "*.bin,*.safetensors")),
        ),
        (
            HuggingFaceModelInitializer(storage_uri="hf://model"),
            env(("IGNORE_PATTERNS", "*.msgpack,*.h5,*.bin,*.pt,*.pth")),
        ),
        (HuggingFaceModelInitializer(storage_uri="hf://model", ignore_patterns=None), []),
        (
            S3ModelInitializer(
                storage_uri="s3://bucket/model",
                endpoint="https://s3.example",
                access_key_id="AK",
                secret_access_key="SK",
                region="eu-west-1",
                role_arn="arn:role",
                ignore_patterns=["*.txt", "*.log"],
            ),
            env(
                ("ENDPOINT", "https://s3.example"),
                ("ACCESS_KEY_ID", "AK"),
                ("SECRET_ACCESS_KEY", "SK"),
                ("REGION", "eu-west-1"),
                ("ROLE_ARN", "arn:role"),
                ("IGNORE_PATTERNS", "*.txt,*.log"),
            ),
        ),
        (
            S3ModelInitializer(storage_uri="s3://bucket/model"),
            env(("IGNORE_PATTERNS", "*.msgpack,*.h5,*.bin,*.pt,*.pth")),
        ),
    ],
    ids=["hf-full", "hf-default", "hf-none", "s3-full", "s3-default"],
)
def test_model_initializer_spec(initializer: Any, expected_env: list[dict[str, str]]) -> None:
    assert model_initializer_spec(initializer) == {
        "storage_uri": initializer.storage_uri,
        "env": expected_env,
    }


@pytest.mark.parametrize(
    "bad",
    [
        HuggingFaceModelInitializer(storage_uri="hf://model"),
        S3ModelInitializer(storage_uri="s3://b/m"),
        "hf://dataset",
        None,
    ],
)
def test_invalid_dataset_initializer(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"^Dataset initializer type is invalid"):
        dataset_initializer_spec(bad)


@pytest.mark.parametrize(
    "bad",
    [
        HuggingFaceDatasetInitializer(storage_uri="hf://d"),
        S3DatasetInitializer(storage_uri="s3://b/d"),
        DataCacheInitializer(storage_uri="cache://a/b", num_data_nodes=2, metadata_loc="x"),
        {"storage_uri": "hf://m"},
    ],
)
def test_invalid_model_initializer(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"^Model initializer type is invalid"):
        model_initializer_spec(bad)


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
