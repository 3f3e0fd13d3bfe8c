"""Submodules reached as attributes of their package, imported on first access (PEP 562).

``import kubeflow.trainer`` used to load most subpackages, so code written against that could
reach ``kubeflow.trainer.types.types.TrainJob`` without importing ``kubeflow.trainer.types.types``
itself. The packages are lazy now; each one's ``__getattr__`` (made here) imports the named
submodule the first time the attribute is read, so those attribute chains keep working.
"""

# typing.TYPE_CHECKING without importing typing (a few ms); type checkers read the name as True.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType


def submodules(package: str, names: tuple[str, ...]) -> "Callable[[str], ModuleType]":
    """A module ``__getattr__`` for ``package`` that imports the submodules ``names`` on access."""

    def __getattr__(name: str) -> "ModuleType":
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        import importlib

        return importlib.import_module(f"{package}.{name}")  # the import binds it on the package

    return __getattr__
