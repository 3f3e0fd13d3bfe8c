"""Pure-Python builders for the parts of a TrainJob spec that come from the user's objects.

The Kubernetes backend calls these to turn a ``CustomTrainer`` function into the trainer
container's command, a ``TorchTuneConfig`` into ``tune run`` arguments, and initializers into
``spec.initializer`` entries. Nothing here talks to a cluster or imports the compiled core.
"""

from __future__ import annotations

import shlex
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

from kubeflow.trainer import _function, _validation
from kubeflow.trainer.constants import constants
from kubeflow.trainer.errors import ValidationError
from kubeflow.trainer.types import types

#: Launchers a runtime can use, and the command template of each.
LAUNCHER_COMMANDS: dict[str, tuple[str, ...]] = {
    "torchrun": constants.TORCH_COMMAND,
    "python": constants.DEFAULT_COMMAND,
    "mpirun": constants.MPI_COMMAND,
}

_PIP_LOG_FILE = "pip_install.log"
_HEREDOC_DELIMITER = "EOM"


def pip_install_script(packages: list[str], pip_index_urls: list[str], log_file: str) -> str:
    """Bash that installs ``packages`` with pip before the training function runs.

    The script makes sure pip is available (``ensurepip``, then ``ensurepip --user``, then the
    distribution's package), installs into the user site first and system-wide if that fails,
    and exits 1 with pip's log on stderr when both fail. Every package and URL is shell-quoted,
    so extras such as ``transformers[torch]`` reach pip intact and nothing is shell-expanded.

    Args:
        packages: Package requirements, e.g. ``["torch", "transformers[torch]>=4.40"]``.
        pip_index_urls: The first is ``--index-url``; each further one is ``--extra-index-url``.
            Empty means pip's configured default.
        log_file: Where pip's output goes (relative to the working directory or absolute).

    Returns:
        The script, ending with a newline.
    """
    opts: list[str] = []
    for n, url in enumerate(pip_index_urls):
        opts += ["--index-url" if n == 0 else "--extra-index-url", shlex.quote(url)]
    quoted_packages = " ".join(shlex.quote(p) for p in packages)
    pip = (
        "PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_BREAK_SYSTEM_PACKAGES=1 "
        'python -m pip install --quiet --no-warn-script-location "${PIP_OPTS[@]}"'
    )
    return (
        "if ! python -m pip --version >/dev/null 2>&1; then\n"
        "    python -m ensurepip || python -m ensurepip --user || "
        "apt-get install -y python3-pip\n"
        "fi\n"
        f"PACKAGES=({quoted_packages})\n"
        f"PIP_OPTS=({' '.join(opts)})\n"
        f"LOG_FILE={shlex.quote(log_file)}\n"
        'rm -f "$LOG_FILE"\n'
        f'if {pip} --user "${{PACKAGES[@]}}" >"$LOG_FILE" 2>&1; then\n'
        '    echo "Successfully installed Python packages (user): ${PACKAGES[*]}"\n'
        f'elif {pip} "${{PACKAGES[@]}}" >>"$LOG_FILE" 2>&1; then\n'
        '    echo "Successfully installed Python packages (system-wide): ${PACKAGES[*]}"\n'
        "else\n"
        '    echo "ERROR: Failed to install Python packages: ${PACKAGES[*]}" >&2\n'
        '    cat "$LOG_FILE" >&2\n'
        "    exit 1\n"
        "fi\n"
    )


def command_for_function(
    launcher: str,
    func: Callable[..., Any],
    func_args: dict[str, Any] | None = None,
    packages_to_install: list[str] | None = None,
    pip_index_urls: list[str] | None = None,
    *,
    template: Sequence[str] | None = None,
) -> list[str]:
    """The trainer container command that runs ``func`` with the runtime's launcher.

    The function's source plus its call line is written to a file through a quoted
    here-document (nothing in the source is shell-expanded), then run with the launcher. For
    ``mpirun`` the file goes to ``DEFAULT_MPI_USER_HOME`` so every rank finds it, and so does the
    pip log; otherwise both go to the working directory.

    Args:
        launcher: ``"torchrun"``, ``"python"`` or ``"mpirun"``: the runtime's launcher.
        func: The training function; its source must be readable.
        func_args: Keyword arguments for ``func``; their repr must be valid Python.
        packages_to_install: Packages pip-installs first; none when empty or None.
        pip_index_urls: Indexes for pip; ``constants.DEFAULT_PIP_INDEX_URLS`` when None.
        template: A command template to use instead of the launcher's default one (e.g. an
            ``mpirun`` command with different flags). Elements containing ``{func_file}`` are
            filled in; the others are copied.

    Returns:
        The command, e.g. ``["bash", "-c", "<script>"]``.

    Raises:
        ValueError: Unknown launcher, ``func`` not callable or without readable source, bad
            ``func_args``, or a source line equal to the here-document delimiter.
    """
    if launcher not in LAUNCHER_COMMANDS:
        raise ValidationError(
            f"Unknown launcher {launcher!r}: expected one of {', '.join(LAUNCHER_COMMANDS)}",
            field="launcher",
        )
    code, file_name = _function.function_code(func, func_args)
    if any(line == _HEREDOC_DELIMITER for line in code.splitlines()):
        raise ValidationError(
            f"The training function's source has a line that is exactly "
            f"{_HEREDOC_DELIMITER!r}, which would end the here-document that ships it",
            hint="change that line (e.g. add a trailing space or a comment)",
        )
    if launcher == "mpirun":
        func_file = f"{constants.DEFAULT_MPI_USER_HOME}/{file_name}"
        log_file = f"{constants.DEFAULT_MPI_USER_HOME}/{_PIP_LOG_FILE}"
    else:
        func_file = file_name
        log_file = _PIP_LOG_FILE
    prefix = ""
    if packages_to_install:
        urls = constants.DEFAULT_PIP_INDEX_URLS if pip_index_urls is None else pip_index_urls
        prefix = pip_install_script(list(packages_to_install), list(urls), log_file)
    command: list[str] = []
    for element in LAUNCHER_COMMANDS[launcher] if template is None else template:
        if "{func_file}" in element:
            element = prefix + element.format(func_code=code, func_file=func_file)
        command.append(element)
    return command


def _dtype_args(dtype: Any) -> list[str]:
    if dtype is None:
        return []
    if not isinstance(dtype, types.DataType):
        raise ValidationError(
            f"Invalid dtype {dtype!r}: it must be a DataType (DataType.BF16 or DataType.FP32)",
            field="dtype",
        )
    return [f"dtype={dtype.value}"]


def _dataset_path_args(initializer: types.Initializer | None) -> list[str]:
    if initializer is None or not isinstance(
        initializer.dataset, types.HuggingFaceDatasetInitializer
    ):
        return []
    uri = initializer.dataset.storage_uri
    if not uri.startswith("hf://"):
        uri = "hf://" + uri
    # The URL host is the first path segment (the HF user or org); the dataset name follows.
    parts = [p for p in urllib.parse.urlparse(uri).path.split("/") if p]
    relative = "/".join(parts[1:]) or "."
    if relative != "." and "." in relative:
        return [f"dataset.data_files={constants.DATASET_PATH}/{relative}"]
    return [f"dataset.data_dir={constants.DATASET_PATH}/{relative}"]


def peft_args(peft_config: types.LoraConfig) -> list[str]:
    """``tune run`` arguments for a LoRA config.

    Args:
        peft_config: The LoRA settings; fields left None are not emitted, ``False`` and ``0.0``
            are.

    Returns:
        ``model.<field>=<value>`` items, then ``model.lora_attn_modules=[a,b,c]``.

    Raises:
        ValueError: ``peft_config`` is not a ``LoraConfig``.
    """
    if not isinstance(peft_config, types.LoraConfig):
        raise ValidationError(
            f"Invalid peft_config type {type(peft_config).__name__}: it must be a LoraConfig",
            field="peft_config",
        )
    args: list[str] = []
    for name in (
        "apply_lora_to_mlp",
        "apply_lora_to_output",
        "lora_rank",
        "lora_alpha",
        "lora_dropout",
        "quantize_base",
        "use_dora",
    ):
        value = getattr(peft_config, name)
        if value is not None:
            args.append(f"model.{name}={value}")
    if peft_config.lora_attn_modules:
        args.append(f"model.lora_attn_modules=[{','.join(peft_config.lora_attn_modules)}]")
    return args


def dataset_preprocess_args(config: types.TorchTuneInstructDataset) -> list[str]:
    """``tune run`` arguments for instruct-dataset preprocessing.

    Args:
        config: The preprocessing settings; fields left None are not emitted.

    Returns:
        ``dataset=torchtune.datasets.instruct_dataset`` followed by ``dataset.<field>=<value>``.

    Raises:
        ValueError: ``config`` is not a ``TorchTuneInstructDataset``, or ``source`` is not a
            ``DataFormat``.
    """
    if not isinstance(config, types.TorchTuneInstructDataset):
        raise ValidationError(
            f"Invalid dataset_preprocess_config type {type(config).__name__}: it must be a "
            "TorchTuneInstructDataset",
            field="dataset_preprocess_config",
        )
    args = [f"dataset={constants.TORCH_TUNE_INSTRUCT_DATASET}"]
    if config.source is not None:
        if not isinstance(config.source, types.DataFormat):
            raise ValidationError(
                f"Invalid dataset source {config.source!r}: it must be a DataFormat",
                field="dataset_preprocess_config.source",
            )
        args.append(f"dataset.source={config.source.value}")
    if config.split is not None:
        args.append(f"dataset.split={config.split}")
    if config.train_on_input is not None:
        args.append(f"dataset.train_on_input={config.train_on_input}")
    if config.new_system_prompt is not None:
        args.append(f"dataset.new_system_prompt={config.new_system_prompt}")
    if config.column_map is not None:
        args.append(f"dataset.column_map={config.column_map!r}")
    return args


def torchtune_args(
    config: types.TorchTuneConfig, initializer: types.Initializer | None = None
) -> list[str]:
    """``tune run`` arguments for a ``BuiltinTrainer``'s TorchTune config.

    Order: ``dtype``, ``batch_size``, ``epochs``, ``loss``, the dataset path (only for a
    HuggingFace dataset initializer), LoRA arguments, dataset preprocessing arguments.

    The dataset path comes from the initializer's URI ``hf://<owner>/<name>[/<relative>]``:
    ``dataset.data_files=/workspace/dataset/<relative>`` when ``<relative>`` contains a dot,
    else ``dataset.data_dir=/workspace/dataset/<relative or .>``.

    Args:
        config: The TorchTune settings.
        initializer: The job's initializer, if any.

    Returns:
        The arguments.

    Raises:
        ValueError: ``config`` is not a ``TorchTuneConfig``, or one of its fields has the wrong
            type.
    """
    if not isinstance(config, types.TorchTuneConfig):
        raise ValidationError(
            f"BuiltinTrainer config must be a TorchTuneConfig, got {type(config).__name__}",
            field="config",
        )
    args = _dtype_args(config.dtype)
    if config.batch_size:
        args.append(f"batch_size={config.batch_size}")
    if config.epochs:
        args.append(f"epochs={config.epochs}")
    if config.loss is not None:
        if not isinstance(config.loss, types.Loss):
            raise ValidationError(f"Invalid loss {config.loss!r}: it must be a Loss", field="loss")
        args.append(f"loss={config.loss.value}")
    args += _dataset_path_args(initializer)
    if config.peft_config is not None:
        args += peft_args(config.peft_config)
    if config.dataset_preprocess_config is not None:
        args += dataset_preprocess_args(config.dataset_preprocess_config)
    return args


def _env(pairs: list[tuple[str, Any]]) -> list[dict[str, str]]:
    out = []
    for name, value in pairs:
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        out.append({"name": name, "value": str(value)})
    return out


def _secret_ref(x: types.BaseInitializer, role: str) -> str | None:
    # The name's own rule (a DNS subdomain) is the core's; only its type is checked here.
    return _validation.optional_str(
        getattr(x, "secret_ref", None), f"initializer.{role}.secret_ref"
    )


def _s3_env(x: types.S3DatasetInitializer | types.S3ModelInitializer) -> list[dict[str, str]]:
    return _env(
        [
            ("ENDPOINT", x.endpoint),
            ("ACCESS_KEY_ID", x.access_key_id),
            ("SECRET_ACCESS_KEY", x.secret_access_key),
            ("REGION", x.region),
            ("ROLE_ARN", x.role_arn),
            ("IGNORE_PATTERNS", x.ignore_patterns),
        ]
    )


def dataset_initializer_spec(
    x: types.HuggingFaceDatasetInitializer
    | types.S3DatasetInitializer
    | types.DataCacheInitializer,
) -> dict[str, Any]:
    """The ``spec.initializer.dataset`` entry for a dataset initializer.

    Credentials given as fields go into plain env values, as upstream does; ``secret_ref``
    names a Secret the initializer reads them from instead.

    Args:
        x: The dataset initializer.

    Returns:
        ``{"storage_uri": <uri>, "env": [{"name": ..., "value": ...}, ...], "secret_ref": <name
        or None>}``; env lists only the fields that are set, lists joined with commas.

    Raises:
        ValueError: ``x`` is not a dataset initializer type.
    """
    if isinstance(x, types.HuggingFaceDatasetInitializer):
        env = _env(
            [
                (constants.INITIALIZER_ENV_ACCESS_TOKEN, x.access_token),
                ("IGNORE_PATTERNS", x.ignore_patterns),
            ]
        )
    elif isinstance(x, types.S3DatasetInitializer):
        env = _s3_env(x)
    elif isinstance(x, types.DataCacheInitializer):
        env = _env(
            [
                ("CLUSTER_SIZE", x.num_data_nodes + 1),
                ("METADATA_LOC", x.metadata_loc),
                ("HEAD_CPU", x.head_cpu),
                ("HEAD_MEM", x.head_mem),
                ("WORKER_CPU", x.worker_cpu),
                ("WORKER_MEM", x.worker_mem),
                ("IAM_ROLE", x.iam_role),
            ]
        )
    else:
        raise ValidationError(
            f"Dataset initializer type is invalid: {type(x).__name__}. Use "
            "HuggingFaceDatasetInitializer, S3DatasetInitializer or DataCacheInitializer",
            field="initializer.dataset",
        )
    return {"storage_uri": x.storage_uri, "env": env, "secret_ref": _secret_ref(x, "dataset")}


def model_initializer_spec(
    x: types.HuggingFaceModelInitializer | types.S3ModelInitializer,
) -> dict[str, Any]:
    """The ``spec.initializer.model`` entry for a model initializer.

    Args:
        x: The model initializer.

    Returns:
        ``{"storage_uri": <uri>, "env": [...], "secret_ref": <name or None>}``.

    Raises:
        ValueError: ``x`` is not a model initializer type.
    """
    if isinstance(x, types.HuggingFaceModelInitializer):
        env = _env(
            [
                (constants.INITIALIZER_ENV_ACCESS_TOKEN, x.access_token),
                ("IGNORE_PATTERNS", x.ignore_patterns),
            ]
        )
    elif isinstance(x, types.S3ModelInitializer):
        env = _s3_env(x)
    else:
        raise ValidationError(
            f"Model initializer type is invalid: {type(x).__name__}. Use "
            "HuggingFaceModelInitializer or S3ModelInitializer",
            field="initializer.model",
        )
    return {"storage_uri": x.storage_uri, "env": env, "secret_ref": _secret_ref(x, "model")}


def print_runtime_packages() -> None:
    """Print the Python version, the installed packages and the GPUs of this node.

    Shipped as a training function by ``get_runtime_packages``, so it imports what it uses.
    """
    import shutil
    import subprocess
    import sys

    print(f"Python: {sys.version}")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "list"], capture_output=True, text=True, check=True
        )
        print(result.stdout, end="")
    except (OSError, subprocess.CalledProcessError):
        print("Unable to get installed packages: pip command not found")
    if shutil.which("nvidia-smi"):
        print("Available GPUs on the single training node")
        result = subprocess.run(["nvidia-smi"], capture_output=True, text=True, check=False)
        print(result.stdout, end="")


def get_runtime_packages_function() -> Callable[[], None]:
    """The probe function ``get_runtime_packages`` submits as a one-node ``CustomTrainer``.

    Returns:
        :func:`print_runtime_packages`, a module-level function whose source can be shipped.
    """
    return print_runtime_packages
