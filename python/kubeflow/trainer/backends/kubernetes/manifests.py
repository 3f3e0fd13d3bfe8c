"""TrainJob manifests as YAML: what ``TrainerClient.build_job_manifest`` gives and
``TrainerClient.submit_job`` takes, in a form kubectl and people read. Ours (upstream has none).

The C++ core does the YAML (yaml-cpp), imported on first use so that importing the SDK stays
cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubeflow.trainer.errors import ValidationError


def manifest_to_yaml(manifest: Mapping[str, Any]) -> str:
    """Render a manifest as YAML that reads back as the same object.

    Keys are sorted; a multi-line string that ends in one newline is a literal block (others
    are double-quoted with escapes, which always read back exactly); strings YAML would read
    as another type (``"true"``, ``"1"``) are quoted.

    Args:
        manifest: A TrainJob (or any JSON-compatible mapping), e.g. from ``build_job_manifest``.

    Raises:
        ValidationError: ``manifest`` is not a mapping.
    """
    if not isinstance(manifest, Mapping):
        raise ValidationError(
            f"manifest must be a dict, got {type(manifest).__name__}", field="manifest"
        )
    from kubeflow.trainer import _core

    text: str = _core.manifest_to_yaml(dict(manifest))
    return text


def manifest_from_yaml(text: str) -> dict[str, Any]:
    """Parse one manifest from YAML (or JSON) text.

    Raises:
        ValidationError: the text is not valid YAML, or not one mapping (line and column named).
    """
    if not isinstance(text, str):
        raise ValidationError(f"text must be a str, got {type(text).__name__}", field="text")
    from kubeflow.trainer import _core

    manifest: dict[str, Any] = _core.manifest_from_text(text, "manifest")
    return manifest
