"""
Private C++ core of kubeflow.trainer; use the public TrainerClient instead.
"""
from __future__ import annotations
import typing
__all__: list[str] = ['ConditionInfo', 'ConnectionInfo', 'EnvVar', 'EventInfo', 'ExplicitSettings', 'InitializerSpec', 'JobRequest', 'JobStream', 'Launcher', 'LineStream', 'Migration', 'MigrationNote', 'RuntimeInfo', 'StepInfo', 'TrainJobInfo', 'TrainerApi', 'TrainerSpec', 'TrainerStatusInfo', 'V1JobInfo', 'V1ReplicaInfo', 'build_trainjob', 'load_connection', 'manifest_from_text', 'manifest_to_yaml', 'migrate_v1_jobs', 'parse_runtime', 'resources_per_node', 'v1_jobs_from_text', 'v1_kind_names', 'validate_job_request']
class ConnectionInfo:
    """
    Where the client connects; credentials are not exposed.
    """
    def __repr__(self) -> str:
        ...
    @property
    def context(self) -> str:
        ...
    @property
    def has_client_cert(self) -> bool:
        ...
    @property
    def has_token(self) -> bool:
        ...
    @property
    def namespace(self) -> str:
        ...
    @property
    def server(self) -> str:
        ...
    @property
    def source(self) -> str:
        ...
class EnvVar:
    """
    One {name, value} environment entry.
    """
    name: str
    value: str
    @typing.overload
    def __init__(self) -> None:
        ...
    @typing.overload
    def __init__(self, name: str, value: str) -> None:
        ...
class TrainerSpec:
    """
    spec.trainer of a TrainJob; None fields are omitted.
    """
    args: list[str] | None
    command: list[str] | None
    env: list[EnvVar] | None
    image: str | None
    num_nodes: int | None
    resources_per_node: typing.Any
    def __init__(self) -> None:
        ...
class InitializerSpec:
    """
    spec.initializer.dataset or .model.
    """
    env: list[EnvVar]
    secret_ref: str | None
    storage_uri: str
    def __init__(self) -> None:
        ...
class JobRequest:
    """
    Everything needed to build one TrainJob body.
    """
    active_deadline_seconds: int | None
    annotations: typing.Any
    dataset: InitializerSpec | None
    labels: typing.Any
    model: InitializerSpec | None
    name: str
    runtime_kind: str | None
    runtime_name: str
    runtime_patches: typing.Any
    trainer: TrainerSpec | None
    def __init__(self) -> None:
        ...
class Launcher:
    """
    How a runtime launches a CustomTrainer's code.
    
    Members:
    
      torchtune
    
      torchrun
    
      mpirun
    
      python
    """
    __members__: typing.ClassVar[dict[str, Launcher]]
    mpirun: typing.ClassVar[Launcher]
    python: typing.ClassVar[Launcher]
    torchrun: typing.ClassVar[Launcher]
    torchtune: typing.ClassVar[Launcher]
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: int) -> None:
        ...
    def __int__(self) -> int:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: int) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class RuntimeInfo:
    """
    A parsed TrainingRuntime/ClusterTrainingRuntime.
    """
    @property
    def device(self) -> str:
        ...
    @property
    def device_count(self) -> str:
        ...
    @property
    def framework(self) -> str:
        ...
    @property
    def image(self) -> str:
        ...
    @property
    def kind(self) -> str:
        ...
    @property
    def launcher(self) -> Launcher:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def num_nodes(self) -> int:
        ...
    @property
    def trainer_type(self) -> str:
        ...
class StepInfo:
    @property
    def device(self) -> str:
        ...
    @property
    def device_count(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def pod_name(self) -> str:
        ...
    @property
    def status(self) -> str | None:
        ...
    @property
    def waiting_message(self) -> str:
        ...
    @property
    def waiting_reason(self) -> str:
        ...
class ConditionInfo:
    @property
    def last_transition_time(self) -> str:
        ...
    @property
    def message(self) -> str:
        ...
    @property
    def reason(self) -> str:
        ...
    @property
    def status(self) -> str:
        ...
    @property
    def type(self) -> str:
        ...
class TrainerStatusInfo:
    @property
    def estimated_remaining_seconds(self) -> int | None:
        ...
    @property
    def last_updated_time(self) -> str:
        ...
    @property
    def metrics(self) -> list[tuple[str, str]]:
        ...
    @property
    def progress_percentage(self) -> int | None:
        ...
class TrainJobInfo:
    @property
    def conditions(self) -> list[ConditionInfo]:
        ...
    @property
    def creation_timestamp(self) -> str:
        ...
    @property
    def message(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def namespace(self) -> str:
        ...
    @property
    def num_nodes(self) -> int:
        ...
    @property
    def queue_name(self) -> str:
        ...
    @property
    def resource_version(self) -> str:
        ...
    @property
    def runtime(self) -> RuntimeInfo:
        ...
    @property
    def runtime_kind(self) -> str:
        ...
    @property
    def runtime_name(self) -> str:
        ...
    @property
    def status(self) -> str:
        ...
    @property
    def steps(self) -> list[StepInfo]:
        ...
    @property
    def trainer_status(self) -> TrainerStatusInfo | None:
        ...
class EventInfo:
    @property
    def event_time(self) -> str:
        ...
    @property
    def involved_object_kind(self) -> str:
        ...
    @property
    def involved_object_name(self) -> str:
        ...
    @property
    def message(self) -> str:
        ...
    @property
    def reason(self) -> str:
        ...
class LineStream:
    """
    Lines of a followed log, pulled one at a time.
    """
    def __iter__(self) -> LineStream:
        ...
    def __next__(self) -> str:
        ...
    def close(self) -> None:
        """
        Stop the stream and wait for its thread (at most ~100 ms).
        """
    def next(self, timeout: float) -> str | None:
        """
        The next item, or None after `timeout` seconds; StopIteration at the end.
        """
    def next_batch(self) -> list[str]:
        """
        The items waiting (at least one, waiting for it); an empty list at the end.
        """
class JobStream:
    """
    States of a watched TrainJob, pulled one at a time.
    """
    def __iter__(self) -> JobStream:
        ...
    def __next__(self) -> TrainJobInfo:
        ...
    def close(self) -> None:
        """
        Stop the stream and wait for its thread (at most ~100 ms).
        """
    def next(self, timeout: float) -> TrainJobInfo | None:
        """
        The next item, or None after `timeout` seconds; StopIteration at the end.
        """
    def next_batch(self) -> list[TrainJobInfo]:
        """
        The items waiting (at least one, waiting for it); an empty list at the end.
        """
class V1ReplicaInfo:
    @property
    def active(self) -> int:
        ...
    @property
    def failed(self) -> int:
        ...
    @property
    def image(self) -> str:
        ...
    @property
    def replicas(self) -> int:
        ...
    @property
    def restart_policy(self) -> str:
        ...
    @property
    def succeeded(self) -> int:
        ...
    @property
    def type(self) -> str:
        ...
class V1JobInfo:
    @property
    def completion_time(self) -> str:
        ...
    @property
    def conditions(self) -> list[ConditionInfo]:
        ...
    @property
    def creation_timestamp(self) -> str:
        ...
    @property
    def kind(self) -> str:
        ...
    @property
    def message(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def namespace(self) -> str:
        ...
    @property
    def replicas(self) -> list[V1ReplicaInfo]:
        ...
    @property
    def start_time(self) -> str:
        ...
    @property
    def status(self) -> str:
        ...
    @property
    def steps(self) -> list[StepInfo]:
        ...
class MigrationNote:
    @property
    def field(self) -> str:
        ...
    @property
    def job(self) -> str:
        ...
    @property
    def reason(self) -> str:
        ...
class Migration:
    @property
    def manifests(self) -> list[typing.Any]:
        ...
    @property
    def report(self) -> list[MigrationNote]:
        ...
class ExplicitSettings:
    ca_file: str
    cert_file: str
    key_file: str
    server: str
    tls_server_name: str
    token: str
    verify_ssl: bool
    def __init__(self) -> None:
        ...
class TrainerApi:
    @typing.overload
    def __init__(self, config_file: str | None, context: str | None, namespace: str, request_timeout: float) -> None:
        ...
    @typing.overload
    def __init__(self, settings: ExplicitSettings, namespace: str, request_timeout: float) -> None:
        ...
    def create_migrated(self, manifest: typing.Any, dry_run: bool) -> typing.Any:
        ...
    def delete_job(self, name: str) -> None:
        ...
    def follow_job_logs(self, name: str, step: str) -> LineStream:
        ...
    def get_job(self, name: str) -> TrainJobInfo:
        ...
    def get_job_events(self, name: str) -> list[EventInfo]:
        ...
    def get_job_logs(self, name: str, step: str) -> list[str]:
        ...
    def get_runtime(self, name: str) -> RuntimeInfo:
        ...
    def get_v1_job(self, kind: str, name: str) -> V1JobInfo:
        ...
    def get_v1_job_logs(self, kind: str, name: str, step: str) -> list[str]:
        ...
    def job_manifest(self, request: JobRequest, validate_on_server: bool) -> typing.Any:
        ...
    def list_jobs(self, runtime: str | None, runtime_kind: str | None = None) -> list[TrainJobInfo]:
        ...
    def list_runtimes(self) -> list[RuntimeInfo]:
        ...
    def list_v1_jobs(self, kind: str | None) -> list[V1JobInfo]:
        ...
    def stored_job_manifest(self, name: str) -> typing.Any:
        ...
    def stored_v1_job_manifest(self, kind: str, name: str, allow_mxjob: bool) -> typing.Any:
        ...
    def stream_job_logs(self, name: str, steps: list[str], follow: bool, tail_lines: int | None, since_seconds: int | None, previous: bool) -> LineStream:
        ...
    def submit_job(self, manifest: typing.Any) -> str:
        ...
    def train(self, request: JobRequest) -> str:
        ...
    def trainer_version(self, system_namespace: str) -> str | None:
        ...
    def watch_job(self, name: str) -> JobStream:
        ...
    @property
    def namespace(self) -> str:
        ...
    @property
    def request_count(self) -> int:
        ...
    @property
    def server(self) -> str:
        ...
    @property
    def skips_tls_verification(self) -> bool:
        ...
def _shutdown() -> bool:
    """
    Cancel and join every stream and transfer of the core; runs at interpreter exit.
    """
def build_trainjob(request: JobRequest) -> typing.Any:
    """
    The TrainJob body as a dict, as upstream's to_dict() gives it; validates first.
    """
def load_connection(config_file: str | None = None, context: str | None = None) -> ConnectionInfo:
    """
    Resolve the kubeconfig or in-cluster configuration, as KubernetesBackendConfig does.
    """
def manifest_from_text(text: str, source: str) -> typing.Any:
    """
    One manifest (a dict) from YAML or JSON text; raises ValidationError.
    """
def manifest_to_yaml(manifest: typing.Any) -> str:
    """
    A manifest as YAML that reads back as the same object.
    """
def migrate_v1_jobs(jobs: list[typing.Any], allow_mxjob: bool) -> Migration:
    """
    v2 manifests and a report from v1 job objects; raises ValidationError.
    """
def parse_runtime(runtime: typing.Any, kind_hint: str = '') -> RuntimeInfo:
    """
    A RuntimeInfo from a runtime object (dict); raises ValidationError naming the field.
    """
def resources_per_node(resources: typing.Any) -> typing.Any:
    """
    {'requests': R, 'limits': R} with upstream's key normalization; raises ValidationError.
    """
def v1_jobs_from_text(text: str, source: str) -> list[typing.Any]:
    """
    The v1 job objects of YAML/JSON text (documents, Lists); raises ValidationError.
    """
def v1_kind_names() -> list[str]:
    """
    The v1.9 job kinds.
    """
def validate_job_request(request: JobRequest) -> None:
    """
    Local checks of a JobRequest; raises ValidationError naming the field.
    """
__version__: str = '0.5.0'
