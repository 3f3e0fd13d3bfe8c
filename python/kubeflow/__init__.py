"""Kubeflow SDK: Python client for Kubeflow Trainer, backed by a C++ core."""

__version__ = "0.5.0"
