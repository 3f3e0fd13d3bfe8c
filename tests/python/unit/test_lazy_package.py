"""``kubeflow.trainer`` is a lazy package (PEP 562) that still offers every name it used to.

Each public name of ``__all__`` resolves to the object of the module it lives in, ``dir()`` lists
them before any is loaded, the map behind ``__getattr__`` agrees with the ``TYPE_CHECKING``
imports type checkers and IDEs read, and attribute chains through subpackages
(``kubeflow.trainer.types.types.TrainJob``) work after a bare ``import kubeflow.trainer``.
The checks that look at a fresh package run in a subprocess, since this one has loaded it all.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import json
import os
import subprocess
import sys
import typing
from pathlib import Path

import kubeflow.trainer

REPO = Path(__file__).resolve().parents[3]


def _fresh(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout


def _type_checking_imports() -> dict[str, str]:
    """Name -> module of the imports under ``if TYPE_CHECKING:`` in the package's source."""
    tree = ast.parse(Path(kubeflow.trainer.__file__).read_text())
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name):
            if node.test.id != "TYPE_CHECKING":
                continue
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module != "typing":
                    names.update({alias.name: stmt.module or "" for alias in stmt.names})
    return names


def test_every_public_name_resolves_to_its_module_object() -> None:
    declared = _type_checking_imports()
    assert set(declared) == set(kubeflow.trainer.__all__)
    for name in kubeflow.trainer.__all__:
        module = importlib.import_module(declared[name])
        assert getattr(kubeflow.trainer, name) is getattr(module, name), name


def test_dir_star_import_and_submodule_chains_on_a_fresh_package() -> None:
    out = _fresh(
        "import json, sys\n"
        "import kubeflow.trainer as t\n"
        "listed = sorted(set(t.__all__) - set(dir(t)))\n"
        "ns = {}\n"
        "exec('from kubeflow.trainer import *', ns)\n"
        "star = sorted(set(t.__all__) - set(ns))\n"
        "chains = [t.types.types.TrainJob.__name__, t.types.v1.V1Job.__name__,\n"
        "          t.errors.ValidationError.__name__,\n"
        "          t.api.trainer_client.TrainerClient.__name__,\n"
        "          t.backends.kubernetes.utils.get_tpu_num_nodes.__name__,\n"
        "          t.constants.constants.DATASET_PATH]\n"
        "print(json.dumps([listed, star, chains]))\n"
    )
    listed, star, chains = json.loads(out)
    assert listed == []
    assert star == []
    assert chains == [
        "TrainJob",
        "V1Job",
        "ValidationError",
        "TrainerClient",
        "get_tpu_num_nodes",
        kubeflow.trainer.DATASET_PATH,
    ]


def test_unknown_names_still_raise_attribute_error() -> None:
    for module, name in [(kubeflow.trainer, "NoSuchName"), (kubeflow.trainer.types, "nope")]:
        try:
            getattr(module, name)
        except AttributeError as err:
            assert name in str(err)
        else:
            raise AssertionError(f"{module.__name__}.{name} resolved")


def test_public_dataclasses_keep_resolvable_type_hints() -> None:
    """Libraries that read field types (``typing.get_type_hints``) see real types: the names
    the annotations use stay imported at run time in the types modules."""
    for name in kubeflow.trainer.__all__:
        obj = getattr(kubeflow.trainer, name)
        if dataclasses.is_dataclass(obj):
            assert typing.get_type_hints(obj), name
