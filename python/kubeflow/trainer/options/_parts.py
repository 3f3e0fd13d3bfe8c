"""What the options of one ``train`` call add up to, as typed values.

Each option class contributes its value to a ``RequestParts`` (``_contribute``); the backends read
the parts, never a TrainJob dict. The upstream protocol, ``option(job_spec, trainer, backend)``
writing Kubernetes (camelCase) keys into a nested dict, is kept both ways: ``__call__`` contributes
to fresh parts and writes them into the dict (so the checks and merge rules live in one place), and
a hand-made callable in ``options`` is run on the parts written as that dict, read back here.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, NoReturn

from kubeflow.trainer.errors import ValidationError

# Lists merged item by item, recursively, with the key that identifies an item.
_RECURSIVE_LISTS = {"replicatedJobs": "name", "containers": "name", "initContainers": "name"}
# Lists whose items are identified by a key but kept whole: the same key twice must be equal.
_ATOMIC_KEYED_LISTS = {
    "volumes": "name",
    "env": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
    "schedulingGates": "name",
}


def _merge(base: Any, extra: Any, path: str, list_name: str = "") -> Any:
    """Merge two serialized patches. Raises ValidationError where they set different values."""
    if isinstance(base, dict) and isinstance(extra, dict):
        out = dict(base)
        for key, value in extra.items():
            out[key] = (
                _merge(base[key], value, f"{path}.{key}", key)
                if key in base
                else copy.deepcopy(value)
            )
        return out
    if isinstance(base, list) and isinstance(extra, list):
        key = _RECURSIVE_LISTS.get(list_name) or _ATOMIC_KEYED_LISTS.get(list_name)
        if key and all(isinstance(i, dict) and key in i for i in base + extra):
            out_list = list(base)
            index = {item[key]: n for n, item in enumerate(out_list)}
            for item in extra:
                if item[key] not in index:
                    index[item[key]] = len(out_list)
                    out_list.append(copy.deepcopy(item))
                    continue
                n = index[item[key]]
                where = f"{path}[{key}={item[key]}]"
                if list_name in _RECURSIVE_LISTS:
                    out_list[n] = _merge(out_list[n], item, where)
                elif out_list[n] != item:
                    _conflict(where, out_list[n], item)
            return out_list
        return list(base) + [copy.deepcopy(i) for i in extra if i not in base]
    if base != extra:
        _conflict(path, base, extra)
    return base


def _conflict(path: str, old: Any, new: Any) -> NoReturn:
    raise ValidationError(
        f"Two RuntimePatch options set different values at {path}: {old!r} and {new!r}",
        field=path,
        hint="the TrainJob can hold one patch per manager; make the RuntimePatch options agree "
        "or combine them into one",
    )


def add_runtime_patch(patches: list[Any], patch: dict[str, Any]) -> None:
    """Add a ``spec.runtimePatches`` entry to ``patches``, merged into the entry of the same
    manager if there is one (the API server keys the list by manager).

    Raises:
        ValidationError: the two entries set different values for the same field.
    """
    manager = patch.get("manager")
    for n, existing in enumerate(patches):
        if isinstance(existing, dict) and existing.get("manager") == manager:
            patches[n] = _merge(existing, patch, f"runtimePatches[manager={manager}]")
            return
    patches.append(patch)


@dataclass
class RequestParts:
    """The options' values for one TrainJob, before any backend turns them into a request.

    Args:
        name: ``metadata.name`` (``Name``).
        labels: ``metadata.labels`` (``Labels``, merged).
        annotations: ``metadata.annotations`` (``Annotations``, merged).
        runtime_patches: ``spec.runtimePatches`` entries, one per manager (``RuntimePatch``).
        active_deadline_seconds: ``spec.activeDeadlineSeconds`` (``ActiveDeadlineSeconds``).
        trainer_command: ``spec.trainer.command`` (``TrainerCommand``).
        trainer_args: ``spec.trainer.args`` (``TrainerArgs``).
    """

    name: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    runtime_patches: list[dict[str, Any]] = field(default_factory=list)
    active_deadline_seconds: int | None = None
    trainer_command: list[str] | None = None
    trainer_args: list[str] | None = None

    def write_into(self, job_spec: dict[str, Any]) -> None:
        """Write the parts into ``job_spec`` in Kubernetes (camelCase) form, merging labels,
        annotations and runtime patches with what is there (upstream's option protocol)."""
        if self.name is not None:
            job_spec.setdefault("metadata", {})["name"] = self.name
        if self.labels:
            job_spec.setdefault("metadata", {}).setdefault("labels", {}).update(self.labels)
        if self.annotations:
            metadata = job_spec.setdefault("metadata", {})
            metadata.setdefault("annotations", {}).update(self.annotations)
        if self.runtime_patches:
            patches = job_spec.setdefault("spec", {}).setdefault("runtimePatches", [])
            for patch in self.runtime_patches:
                add_runtime_patch(patches, patch)
        if self.active_deadline_seconds is not None:
            job_spec.setdefault("spec", {})["activeDeadlineSeconds"] = self.active_deadline_seconds
        if self.trainer_command is not None:
            trainer = job_spec.setdefault("spec", {}).setdefault("trainer", {})
            trainer["command"] = list(self.trainer_command)
        if self.trainer_args is not None:
            trainer = job_spec.setdefault("spec", {}).setdefault("trainer", {})
            trainer["args"] = list(self.trainer_args)


class Option:
    """Base of the option classes: ``_contribute`` is the option's one rule; ``__call__`` is the
    upstream protocol built on it."""

    def _contribute(self, parts: RequestParts, trainer: Any, backend: Any) -> None:
        raise NotImplementedError

    def __call__(self, job_spec: dict[str, Any], trainer: Any, backend: Any) -> None:
        """Apply the option to ``job_spec``, the TrainJob being built as a nested dict in
        Kubernetes (camelCase) form; changed in place, and left unchanged when the option
        refuses the backend or the trainer.

        Args:
            job_spec: The TrainJob being built; changed in place.
            trainer: The trainer passed to ``train``.
            backend: The backend running ``train``.

        Raises:
            ValueError: The option does not work with this backend or trainer, or conflicts
                with what ``job_spec`` already holds.
        """
        parts = RequestParts()
        self._contribute(parts, trainer, backend)
        parts.write_into(job_spec)


def _typed(value: Any, kinds: tuple[type, ...], field: str) -> Any:
    # What pybind11 needs of a value a hand-made option wrote; the value is the core's rule.
    if value is None or (isinstance(value, kinds) and not isinstance(value, bool)):
        return value
    raise ValidationError(
        f"{field} must be a {kinds[0].__name__}, got {type(value).__name__} {value!r}",
        field=field,
        hint="fix the hand-made option that wrote it",
    )


def _from_job_spec(job_spec: dict[str, Any]) -> RequestParts:
    """The parts a hand-made option left in upstream's dict: the keys upstream's backend reads."""
    metadata = _typed(job_spec.get("metadata"), (dict,), "metadata") or {}
    spec = _typed(job_spec.get("spec"), (dict,), "spec") or {}
    trainer = _typed(spec.get("trainer"), (dict,), "spec.trainer") or {}
    labels = _typed(metadata.get("labels"), (dict,), "metadata.labels") or {}
    annotations = _typed(metadata.get("annotations"), (dict,), "metadata.annotations") or {}
    for key in [*labels, *annotations]:
        _typed(key, (str,), "metadata key")
    command = _typed(trainer.get("command"), (list, tuple), "spec.trainer.command")
    args = _typed(trainer.get("args"), (list, tuple), "spec.trainer.args")
    for n, item in enumerate([*(command or []), *(args or [])]):
        _typed(item, (str,), f"spec.trainer.command/args[{n}]")
    deadline = _typed(spec.get("activeDeadlineSeconds"), (int,), "spec.activeDeadlineSeconds")
    if deadline is not None and abs(deadline) > 2**63 - 1:
        raise ValidationError(
            f"spec.activeDeadlineSeconds is too large: {deadline}",
            field="spec.activeDeadlineSeconds",
        )
    return RequestParts(
        name=_typed(metadata.get("name"), (str,), "metadata.name"),
        labels=dict(labels),
        annotations=dict(annotations),
        runtime_patches=list(
            _typed(spec.get("runtimePatches"), (list,), "spec.runtimePatches") or []
        ),
        active_deadline_seconds=deadline,
        trainer_command=None if command is None else list(command),
        trainer_args=None if args is None else list(args),
    )


def collect(options: object, trainer: Any, backend: Any) -> RequestParts:
    """The parts ``options`` (the ``options`` argument of ``train``) add up to, in list order.

    The option classes of ``kubeflow.trainer.options`` contribute their values directly. A
    hand-made option (any other callable) speaks only upstream's dict protocol, so it alone is
    called on the parts written as that dict, which is then read back with the keys upstream's
    backend reads.

    Raises:
        ValidationError: ``options`` is not a list of callables, an option refuses the backend or
            the trainer, or a hand-made option wrote a key of the wrong type.
    """
    parts = RequestParts()
    if options is None:
        return parts
    if not isinstance(options, (list, tuple)):
        raise ValidationError(
            f"options must be a list of option objects, got {type(options).__name__}",
            field="options",
        )
    for option in options:
        if not callable(option):
            raise ValidationError(
                f"Option {option!r} is not an option object",
                field="options",
                hint="use the classes of kubeflow.trainer.options, e.g. Labels({...})",
            )
    for option in options:
        if isinstance(option, Option):
            option._contribute(parts, trainer, backend)
            continue
        job_spec: dict[str, Any] = {"metadata": {}, "spec": {}}
        parts.write_into(job_spec)
        option(job_spec, trainer, backend)
        parts = _from_job_spec(job_spec)
    return parts
