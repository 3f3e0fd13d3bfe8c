from kubeflow.trainer import _lazy

# Submodules as attributes, imported on first access (see _lazy); hidden from type checkers.
TYPE_CHECKING = False
if not TYPE_CHECKING:
    __getattr__ = _lazy.submodules(__name__, ("constants",))
