"""``RuntimePatch``: a per-TrainJob patch of the training runtime (``spec.runtimePatches``).

The patch is a tree of dataclasses mirroring the runtime's spec (TrainingRuntimeSpecPatch down to
ContainerPatch), serialized to Kubernetes (camelCase) form. Two RuntimePatch options on one
TrainJob are merged into one entry, since the API server keys the entries by manager.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from kubeflow.trainer.constants import constants
from kubeflow.trainer.errors import ValidationError
from kubeflow.trainer.options._backend import _require_kubernetes
from kubeflow.trainer.options._parts import Option, RequestParts, add_runtime_patch


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _serialize(value: Any) -> Any:
    """Dataclasses become camelCase dicts; lists are serialized item by item; other values
    (raw dicts included) are copied unchanged."""
    if is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in fields(value):
            item = getattr(value, f.name)
            if item is None or (isinstance(item, list) and not item):
                continue
            serialized = _serialize(item)
            if is_dataclass(item) and not serialized:
                continue
            out[_camel(f.name)] = serialized
        return out
    if isinstance(value, (list, tuple)):
        return [_serialize(item) for item in value]
    return copy.deepcopy(value)


class _Patch:
    """Gives the patch dataclasses their Kubernetes (camelCase) serialization."""

    def to_dict(self) -> dict[str, Any]:
        """The patch as a Kubernetes dict: camelCase keys; None values, empty lists and empty
        nested patches left out; raw dicts copied unchanged (so they must be camelCase)."""
        serialized: dict[str, Any] = _serialize(self)
        return serialized


_ENV_VALUE_SOURCES = ("configMapKeyRef", "secretKeyRef", "fieldRef", "resourceFieldRef")


def _validate_env(env: Any) -> None:
    if not isinstance(env, list):
        raise ValidationError("env must be a list of dictionaries", field="env")
    for i, entry in enumerate(env):
        where = f"env[{i}]"
        if not isinstance(entry, dict):
            raise ValidationError("Each env entry must be a dictionary", field=where)
        if "name" not in entry:
            raise ValidationError("Each env entry must have a 'name' key", field=where)
        if not isinstance(entry["name"], str) or not entry["name"]:
            raise ValidationError("env 'name' must be a non-empty string", field=f"{where}.name")
        if "value" not in entry and "valueFrom" not in entry:
            raise ValidationError(
                "Each env entry must have either 'value' or 'valueFrom' key", field=where
            )
        if "valueFrom" in entry:
            value_from = entry["valueFrom"]
            if not isinstance(value_from, dict):
                raise ValidationError(
                    "env 'valueFrom' must be a dictionary", field=f"{where}.valueFrom"
                )
            if not any(key in value_from for key in _ENV_VALUE_SOURCES):
                raise ValidationError(
                    "env 'valueFrom' must contain one of: " + ", ".join(_ENV_VALUE_SOURCES),
                    field=f"{where}.valueFrom",
                )


def _validate_volume_mounts(mounts: Any) -> None:
    if not isinstance(mounts, list):
        raise ValidationError("volume_mounts must be a list of dictionaries", field="volume_mounts")
    for i, mount in enumerate(mounts):
        where = f"volume_mounts[{i}]"
        if not isinstance(mount, dict):
            raise ValidationError("Each volume_mounts entry must be a dictionary", field=where)
        if "name" not in mount:
            raise ValidationError("Each volume_mounts entry must have a 'name' key", field=where)
        if not isinstance(mount["name"], str) or not mount["name"]:
            raise ValidationError(
                "volume_mounts 'name' must be a non-empty string", field=f"{where}.name"
            )
        if "mountPath" not in mount:
            raise ValidationError(
                "Each volume_mounts entry must have a 'mountPath' key", field=where
            )
        path = mount["mountPath"]
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValidationError(
                "volume_mounts 'mountPath' must be an absolute path starting with '/'",
                field=f"{where}.mountPath",
                hint=f"got {path!r}",
            )


@dataclass
class ContainerPatch(_Patch):
    """Changes to one container of a replicated job's pods, matched by ``name``.

    Args:
        name: The container to patch, e.g. ``"node"``.
        env: Environment variables in Kubernetes form: ``{"name": ..., "value": ...}`` or
            ``{"name": ..., "valueFrom": {"secretKeyRef": {...}}}``.
        volume_mounts: Mounts in Kubernetes form: ``{"name": ..., "mountPath": "/abs/path"}``.
        security_context: A Kubernetes ``SecurityContext`` dict.

    Raises:
        ValueError: The name is blank, or an env or mount entry is malformed.
    """

    name: str
    env: list[dict[str, Any]] | None = None
    volume_mounts: list[dict[str, Any]] | None = None
    security_context: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError("Container name must be a non-empty string", field="name")
        if self.env is not None:
            _validate_env(self.env)
        if self.volume_mounts is not None:
            _validate_volume_mounts(self.volume_mounts)
        if self.security_context is not None and not isinstance(self.security_context, dict):
            raise ValidationError("security_context must be a dictionary", field="security_context")


@dataclass
class PodSpecPatch(_Patch):
    """Changes to the pod spec of a replicated job. Dict and list-of-dict values are Kubernetes
    objects in camelCase form and are sent unchanged.

    Args:
        service_account_name: The pods' service account.
        volumes: Kubernetes ``Volume`` dicts.
        init_containers: Patches of init containers.
        containers: Patches of containers.
        image_pull_secrets: ``{"name": ...}`` dicts.
        security_context: A ``PodSecurityContext`` dict.
        node_selector: Node labels the pods must match.
        affinity: An ``Affinity`` dict.
        tolerations: ``Toleration`` dicts.
        scheduling_gates: ``{"name": ...}`` dicts.
    """

    service_account_name: str | None = None
    volumes: list[dict[str, Any]] | None = None
    init_containers: list[ContainerPatch] | None = None
    containers: list[ContainerPatch] | None = None
    image_pull_secrets: list[dict[str, Any]] | None = None
    security_context: dict[str, Any] | None = None
    node_selector: dict[str, str] | None = None
    affinity: dict[str, Any] | None = None
    tolerations: list[dict[str, Any]] | None = None
    scheduling_gates: list[dict[str, Any]] | None = None


@dataclass
class PodTemplatePatch(_Patch):
    """Changes to a replicated job's pod template.

    Args:
        metadata: Pod metadata, e.g. ``{"labels": {...}, "annotations": {...}}``.
        spec: Changes to the pod spec.
    """

    metadata: dict[str, Any] | None = None
    spec: PodSpecPatch | None = None


@dataclass
class JobSpecPatch(_Patch):
    """Changes to a replicated job's Job spec.

    Args:
        template: Changes to the pod template.
    """

    template: PodTemplatePatch | None = None


@dataclass
class JobTemplatePatch(_Patch):
    """Changes to a replicated job's Job template.

    Args:
        metadata: Job metadata, e.g. ``{"labels": {...}}``.
        spec: Changes to the Job spec.
    """

    metadata: dict[str, Any] | None = None
    spec: JobSpecPatch | None = None


@dataclass
class ReplicatedJobPatch(_Patch):
    """Changes to one replicated job of the runtime's JobSet, matched by ``name``.

    Args:
        name: The replicated job, e.g. ``"node"``, ``"dataset-initializer"``, ``"launcher"``.
        template: Changes to its Job template.

    Raises:
        ValueError: The name is blank.
    """

    name: str
    template: JobTemplatePatch | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError("ReplicatedJob name must be a non-empty string", field="name")


@dataclass
class JobSetSpecPatch(_Patch):
    """Changes to the runtime's JobSet spec.

    Args:
        replicated_jobs: Patches of replicated jobs.
    """

    replicated_jobs: list[ReplicatedJobPatch] | None = None


@dataclass
class JobSetTemplatePatch(_Patch):
    """Changes to the runtime's JobSet template.

    Args:
        metadata: JobSet metadata, e.g. ``{"labels": {...}}``.
        spec: Changes to the JobSet spec.
    """

    metadata: dict[str, Any] | None = None
    spec: JobSetSpecPatch | None = None


@dataclass
class TrainingRuntimeSpecPatch(_Patch):
    """Changes to the training runtime's spec.

    Args:
        template: Changes to the JobSet template.
    """

    template: JobSetTemplatePatch | None = None


@dataclass
class RuntimePatch(_Patch, Option):
    """Patch the training runtime for this TrainJob only (an entry of ``spec.runtimePatches``).

    The entry's ``manager`` is always ``trainer.kubeflow.org/kubeflow-sdk``. The API server keys
    ``runtimePatches`` by manager, so a second ``RuntimePatch`` is merged into the first one
    instead of being sent as a duplicate entry (upstream sends both and the server rejects the
    TrainJob). Merging matches replicated jobs and containers by name, keeps keyed items such as
    volumes and env vars whole, unions other lists, and raises ``ValueError`` where the two
    patches set different values for the same field.

    Example::

        RuntimePatch(
            training_runtime_spec=TrainingRuntimeSpecPatch(
                template=JobSetTemplatePatch(
                    spec=JobSetSpecPatch(
                        replicated_jobs=[
                            ReplicatedJobPatch(
                                name="node",
                                template=JobTemplatePatch(
                                    spec=JobSpecPatch(
                                        template=PodTemplatePatch(
                                            spec=PodSpecPatch(node_selector={"gpu": "a100"})
                                        )
                                    )
                                ),
                            )
                        ]
                    )
                )
            )
        )

    Args:
        training_runtime_spec: The changes to the runtime's spec.
    """

    training_runtime_spec: TrainingRuntimeSpecPatch | None = None
    manager: str = field(init=False, default=constants.RUNTIME_PATCH_MANAGER)

    def to_dict(self) -> dict[str, Any]:
        """The ``spec.runtimePatches`` entry: ``{"manager": ..., "trainingRuntimeSpec": ...}``,
        the second key left out when the patch is empty."""
        out: dict[str, Any] = {"manager": self.manager}
        if self.training_runtime_spec is not None:
            spec = _serialize(self.training_runtime_spec)
            if spec:
                out["trainingRuntimeSpec"] = spec
        return out

    def _contribute(self, parts: RequestParts, trainer: Any, backend: Any) -> None:
        _require_kubernetes("RuntimePatch", backend)
        add_runtime_patch(parts.runtime_patches, self.to_dict())
