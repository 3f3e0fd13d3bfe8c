"""Constants shared by every Kubeflow client."""

DEFAULT_NAMESPACE = "default"
DEFAULT_TIMEOUT = 120
UNKNOWN = "Unknown"
