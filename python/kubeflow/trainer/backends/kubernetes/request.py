"""The one conversion of ``train``'s arguments (runtime, initializer, trainer, options) into the
core's ``JobRequest``.

The request is built in one pass. Python checks only what pybind11 needs (types, so a wrong one
is a ``ValidationError`` naming the argument instead of pybind11's ``TypeError`` or a silent
conversion); the values are the core's ``validate_job_request``, which runs once every local part
is in the request and before the runtime is resolved, so every local check happens before the
first network request. The runtime kind stays unset until then. What depends on the resolved
runtime (its reference, the trainer's command and args) is added last.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubeflow.trainer import _core, _function, _validation
from kubeflow.trainer.backends.kubernetes import _convert, trainer_spec
from kubeflow.trainer.constants import constants
from kubeflow.trainer.errors import ValidationError
from kubeflow.trainer.options._parts import RequestParts
from kubeflow.trainer.types import types

TrainerTypes = types.CustomTrainer | types.CustomTrainerContainer | types.BuiltinTrainer


def job_request(
    runtime: str | types.Runtime | None,
    initializer: types.Initializer | None,
    trainer: TrainerTypes | None,
    parts: RequestParts,
    resolve: Callable[[str], types.Runtime],
) -> Any:
    """The ``_core.JobRequest`` for one ``train`` call.

    Args:
        runtime: The runtime: a name (None: the default runtime) or a ``Runtime``.
        initializer: The dataset and model initializers, if any.
        trainer: The trainer, if any; its type is already checked.
        parts: What the options add up to (``kubeflow.trainer.options._parts.collect``).
        resolve: Looks a runtime up by name; the first network request, made only after every
            local check passed.

    Raises:
        ValidationError: a local check failed (nothing was requested), or the trainer does not
            fit the resolved runtime.
    """
    request = _core.JobRequest()
    # An empty Name("") is refused by the core's name rule rather than replaced.
    if parts.name is None:
        request.name = _validation.generate_job_name()
    else:
        request.name = _validation.str_type(parts.name, "metadata.name")
    if parts.labels:
        request.labels = parts.labels
    if parts.annotations:
        request.annotations = parts.annotations
    if parts.runtime_patches:
        request.runtime_patches = parts.runtime_patches
    if parts.active_deadline_seconds is not None:
        request.active_deadline_seconds = parts.active_deadline_seconds
    if initializer is not None and initializer.dataset is not None:
        request.dataset = _initializer(trainer_spec.dataset_initializer_spec(initializer.dataset))
    if initializer is not None and initializer.model is not None:
        request.model = _initializer(trainer_spec.model_initializer_spec(initializer.model))
    if isinstance(runtime, types.Runtime):
        request.runtime_name, request.runtime_kind = runtime.name, runtime.kind.value
    else:
        # "" is the core's to refuse, not a request for the default runtime.
        request.runtime_name = constants.DEFAULT_TRAINING_RUNTIME if runtime is None else runtime
    spec = _trainer_fields(trainer, parts)
    if spec is not None:
        request.trainer = spec
    _core.validate_job_request(request)

    resolved = runtime if isinstance(runtime, types.Runtime) else resolve(request.runtime_name)
    request.runtime_name, request.runtime_kind = resolved.name, resolved.kind.value
    if trainer is not None:
        _add_runtime_commands(spec, resolved, trainer, initializer)
        request.trainer = spec  # the binding copies on assignment
    return request


def _initializer(spec: dict[str, Any]) -> Any:
    result = _core.InitializerSpec()
    result.storage_uri = spec["storage_uri"]
    result.env = [_core.EnvVar(e["name"], e["value"]) for e in spec["env"]]
    result.secret_ref = spec["secret_ref"]
    return result


def _trainer_fields(trainer: TrainerTypes | None, parts: RequestParts) -> Any:
    """``spec.trainer`` as far as the runtime does not decide it; None when there is none.

    The options' command and args overrides are here: they only go with a
    CustomTrainerContainer or no trainer, whose command the runtime does not decide.
    """
    if trainer is None and parts.trainer_command is None and parts.trainer_args is None:
        return None
    result = _core.TrainerSpec()
    if parts.trainer_command is not None:
        result.command = parts.trainer_command
    if parts.trainer_args is not None:
        result.args = parts.trainer_args
    if trainer is None:
        return result
    if isinstance(trainer, types.BuiltinTrainer):
        if not isinstance(trainer.config, types.TorchTuneConfig):
            raise ValidationError(
                f"The BuiltinTrainer config must be a TorchTuneConfig, got "
                f"{type(trainer.config).__name__}",
                field="trainer.config",
            )
        owner: Any = trainer.config
        prefix = "trainer.config"
    else:
        owner, prefix = trainer, "trainer"
        image = _validation.image_type(trainer.image, "trainer.image")
        if image is not None:
            result.image = image
        env = _validation.env_type(trainer.env, "trainer.env")
        if env:
            result.env = [_core.EnvVar(name, value) for name, value in env.items()]
    nodes = _validation.num_nodes_type(owner.num_nodes, f"{prefix}.num_nodes")
    if nodes is not None:
        result.num_nodes = nodes
    resources = _validation.resources_type(owner.resources_per_node, f"{prefix}.resources_per_node")
    if resources:
        result.resources_per_node = resources
    if isinstance(trainer, types.CustomTrainer):
        # They become the command's pip script, not fields of the request: Python's rule.
        _validation.str_list(trainer.packages_to_install, "trainer.packages_to_install")
        _validation.str_list(trainer.pip_index_urls, "trainer.pip_index_urls")
        _function.function_code(trainer.func, trainer.func_args)
    return result


def _add_runtime_commands(
    spec: Any, runtime: types.Runtime, trainer: TrainerTypes, initializer: types.Initializer | None
) -> None:
    """Complete ``spec`` with what the resolved runtime decides: the command (and TorchTune's
    args), after checking the trainer fits the runtime."""
    wanted = (
        types.TrainerType.BUILTIN_TRAINER
        if isinstance(trainer, types.BuiltinTrainer)
        else types.TrainerType.CUSTOM_TRAINER
    )
    if runtime.trainer.trainer_type != wanted:
        raise ValidationError(
            f"{type(trainer).__name__} can't be used with {runtime.name} runtime: it "
            f"takes a {runtime.trainer.trainer_type.value}",
            field="trainer",
            hint="pick a runtime for this trainer type",
        )
    if isinstance(trainer, types.CustomTrainer):
        spec.command = trainer_spec.command_for_function(
            _convert.launcher(runtime).name,
            trainer.func,
            trainer.func_args,
            trainer.packages_to_install,
            trainer.pip_index_urls,
            template=runtime.trainer.command or None,
        )
    elif isinstance(trainer, types.BuiltinTrainer):
        spec.command = list(runtime.trainer.command)
        spec.args = trainer_spec.torchtune_args(trainer.config, initializer)
