"""The local process backend: TrainJobs as processes on this machine (see backend.py)."""
