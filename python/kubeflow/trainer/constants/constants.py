"""Public constants of the Trainer SDK (same names and values as upstream)."""

from __future__ import annotations

import os

from kubeflow.common.constants import DEFAULT_NAMESPACE as DEFAULT_NAMESPACE
from kubeflow.common.constants import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from kubeflow.common.constants import UNKNOWN as UNKNOWN

GROUP = "trainer.kubeflow.org"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
CLUSTER_TRAINING_RUNTIME_PLURAL = "clustertrainingruntimes"
TRAINING_RUNTIME_PLURAL = "trainingruntimes"
TRAINJOB_KIND = "TrainJob"
TRAINJOB_PLURAL = "trainjobs"

TRAINJOB_CREATED = "Created"
TRAINJOB_RUNNING = "Running"
TRAINJOB_COMPLETE = "Complete"
TRAINJOB_FAILED = "Failed"
POD_SUCCEEDED = "Succeeded"
POD_PENDING = "Pending"

TRAINJOB_ANCESTOR_LABEL = "trainer.kubeflow.org/trainjob-ancestor-step"
RUNTIME_FRAMEWORK_LABEL = "trainer.kubeflow.org/framework"
JOBSET_NAME_LABEL = "jobset.sigs.k8s.io/jobset-name"
JOBSET_RJOB_NAME_LABEL = "jobset.sigs.k8s.io/replicatedjob-name"
JOB_INDEX_LABEL = "batch.kubernetes.io/job-completion-index"
RUNTIME_PATCH_MANAGER = "trainer.kubeflow.org/kubeflow-sdk"

DATASET_INITIALIZER = "dataset-initializer"
MODEL_INITIALIZER = "model-initializer"
LAUNCHER = "launcher"
NODE = "node"

POD_LABEL_SELECTOR = (
    f"{JOBSET_NAME_LABEL}={{trainjob_name}},"
    f"{JOBSET_RJOB_NAME_LABEL} in ({DATASET_INITIALIZER}, {MODEL_INITIALIZER}, {LAUNCHER}, {NODE})"
)

WORKSPACE_PATH = "/workspace"
DATASET_PATH = f"{WORKSPACE_PATH}/dataset"
MODEL_PATH = f"{WORKSPACE_PATH}/model"
DEFAULT_MPI_USER_HOME = os.getenv("DEFAULT_MPI_USER_HOME", "/home/mpiuser")

INITIALIZER_ENV_ACCESS_TOKEN = "ACCESS_TOKEN"
INITIALIZER_DEFAULT_IGNORE_PATTERNS = ["*.msgpack", "*.h5", "*.bin", "*.pt", "*.pth"]

CPU_LABEL = "cpu"
GPU_LABEL = "nvidia.com/gpu"
GPU_MIG_PREFIX = "nvidia.com/mig-"
TPU_LABEL = "google.com/tpu"
NPU_LABEL = "huawei.com/Ascend910"
TORCH_ENV_NUM_PROC_PER_NODE = "PET_NPROC_PER_NODE"

# The shipped function is written with a *quoted* here-document delimiter, so bash expands
# nothing inside it ($, backticks and backslashes stay literal). Upstream's delimiter is
# unquoted; see docs/differences.md.
EXEC_FUNC_SCRIPT = """
read -r -d '' SCRIPT << 'EOM'

{func_code}
EOM
printf "%s" "$SCRIPT" > "{func_file}"
__ENTRYPOINT__ "{func_file}\""""

DEFAULT_COMMAND = ("bash", "-c", EXEC_FUNC_SCRIPT.replace("__ENTRYPOINT__", "python"))
TORCH_COMMAND = ("bash", "-c", EXEC_FUNC_SCRIPT.replace("__ENTRYPOINT__", "torchrun"))
MPI_COMMAND = ("mpirun", "--hostfile", "/etc/mpi/hostfile", *DEFAULT_COMMAND)
TORCH_TUNE_COMMAND = ("tune", "run")
TORCH_TUNE_INSTRUCT_DATASET = "torchtune.datasets.instruct_dataset"

DEFAULT_TRAINING_RUNTIME = os.getenv("DEFAULT_TRAINING_RUNTIME", "torch-distributed")
DEFAULT_PIP_INDEX_URLS = os.getenv("DEFAULT_PIP_INDEX_URLS", "https://pypi.org/simple").split(",")
DEFAULT_FRAMEWORK_IMAGES = {"torch": "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime"}
JOB_NAME_UUID_LENGTH = 11

KUBEFLOW_SYSTEM_NAMESPACE = os.getenv("KUBEFLOW_SYSTEM_NAMESPACE", "kubeflow-system")
TRAINER_PUBLIC_CONFIGMAP = "kubeflow-trainer-public"
TRAINER_VERSION_KEY = "kubeflow_trainer_version"
