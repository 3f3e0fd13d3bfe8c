"""Container backend without a running engine: engine selection and its errors, arguments, the
environment each node gets, status aggregation. The jobs themselves run in the container tier
(tests/python/container)."""

from __future__ import annotations

import shutil

import pytest

from kubeflow.trainer import ContainerBackendConfig, TrainerClient
from kubeflow.trainer.backends.container import runtimes
from kubeflow.trainer.backends.container.engine import _event
from kubeflow.trainer.backends.container.errors import ContainerEngineError
from kubeflow.trainer.backends.container.status import JobRecord, Node
from kubeflow.trainer.errors import ValidationError


def test_no_engine_installed_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # neither docker nor podman can be found
    with pytest.raises(ContainerEngineError) as error:
        TrainerClient(ContainerBackendConfig())
    assert isinstance(error.value, RuntimeError)
    assert error.value.attempts == (
        "docker: no 'docker' command on PATH",
        "podman: no 'podman' command on PATH",
    )
    assert "install docker or podman" in str(error.value)
    assert "LocalProcessBackendConfig" in str(error.value)


def test_an_engine_that_does_not_answer_names_the_socket(tmp_path):
    kind = next((k for k in ("podman", "docker") if shutil.which(k)), None)
    if kind is None:
        pytest.skip("needs the podman or docker CLI (scripts/setup.sh installs podman)")
    socket = f"unix://{tmp_path}/absent.sock"
    with pytest.raises(ContainerEngineError) as error:
        TrainerClient(ContainerBackendConfig(container_runtime=kind, container_host=socket))
    # The configured URL alone is tried: never another engine behind the user's back.
    assert len(error.value.attempts) == 1
    assert error.value.attempts[0].startswith(f"{kind} at {socket}: ")
    assert "start the engine" in str(error.value)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"container_runtime": "rkt"}, "container_runtime"),
        ({"pull_policy": "Sometimes"}, "pull_policy"),
        ({"container_host": ""}, "container_host"),
    ],
)
def test_bad_config_is_a_validation_error(fields, field):
    with pytest.raises(ValidationError) as error:
        TrainerClient(ContainerBackendConfig(**fields))
    assert error.value.field == field


def test_runtimes_are_the_trainer_ones_it_can_launch():
    names = [r.name for r in runtimes.list_runtimes()]
    assert names == ["torch-distributed", "jax-distributed", "xgboost-distributed"]
    assert runtimes.resolve(None).name == "torch-distributed"
    with pytest.raises(ValueError, match="Container runtimes: torch-distributed"):
        runtimes.get_runtime("deepspeed-distributed")


def test_node_env_points_every_node_at_node_zero():
    assert runtimes.node_env("torch", "job", 3, 2, 1) == {
        "PET_NNODES": "3",
        "PET_NPROC_PER_NODE": "1",
        "PET_NODE_RANK": "2",
        "PET_MASTER_ADDR": "job-node-0",
        "PET_MASTER_PORT": "29500",
    }
    assert runtimes.node_env("jax", "job", 2, 1, 1)["JAX_COORDINATOR_ADDRESS"] == "job-node-0:29500"
    assert runtimes.node_env("xgboost", "job", 2, 1, 1)["DMLC_NUM_WORKER"] == "2"


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([], "Unknown"),
        ([("dead", None), ("dead", None)], "Unknown"),
        ([("exited", 0), ("exited", 0)], "Complete"),
        ([("exited", 0), ("dead", None)], "Complete"),
        ([("exited", 0), ("exited", 1)], "Failed"),
        ([("running", None), ("exited", 0)], "Running"),
        ([("created", None), ("dead", None)], "Created"),
    ],
)
def test_status_aggregation_as_upstream(states, expected):
    nodes = [Node(f"j-node-{i}", f"node-{i}", s, c) for i, (s, c) in enumerate(states)]
    record = JobRecord("j", {"trainer.kubeflow.org/num-nodes": str(len(nodes))}, "j-net", nodes)
    assert record.status() == expected


def test_a_job_still_being_created_is_not_complete():
    record = JobRecord(
        "j",
        {"trainer.kubeflow.org/num-nodes": "2"},
        "j-net",
        [Node("j-node-0", "node-0", "exited", 0)],
    )
    assert record.status() == "Created"


def test_events_of_both_engines_read_alike():
    # The shapes `podman events --format json` and `docker events --format '{{json .}}'` print.
    podman = {
        "Name": "j-node-0",
        "Status": "died",
        "Time": "2026-11-30T09:57:51.870580327Z",
        "Type": "container",
        "ContainerExitCode": 3,
        "Attributes": {"trainer.kubeflow.org/trainjob-name": "j"},
    }
    docker = {
        "status": "die",
        "Type": "container",
        "Action": "die",
        "Actor": {"ID": "bb17", "Attributes": {"name": "j-node-0", "exitCode": "3"}},
        "time": 1796032671,
        "timeNano": 1796032671870580327,
    }
    assert _event(podman) == {
        "name": "j-node-0",
        "action": "died",
        "time": pytest.approx(1796032671.87058),
        "exit_code": 3,
    }
    assert _event(docker) == {
        "name": "j-node-0",
        "action": "die",
        "time": pytest.approx(1796032671.87058),
        "exit_code": 3,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-30T09:57:51Z", 1796032671.0),
        ("2026-11-30T09:57:51.5Z", 1796032671.5),
        ("2026-11-30T10:57:51.500000001+01:00", 1796032671.5),
    ],
)
def test_podman_event_times(text, expected):
    assert _event({"Name": "n", "Status": "start", "Time": text})["time"] == pytest.approx(expected)


def test_last_log_lines_are_cut_from_the_whole_log(tmp_path):
    # An engine counts --tail in the records of its log file: a line stored as a partial record
    # and its end comes back as the end alone. This CLI answers --tail with such an end, and the
    # whole log otherwise; the SDK must cut the last lines itself.
    from kubeflow.trainer.backends.container.engine import Engine

    cli = tmp_path / "podman"
    cli.write_text(
        "#!/bin/sh\n"
        'echo "$@" >> "$0.calls"\n'
        'case " $* " in *" --tail "*) echo ""; exit 0;; esac\n'
        "printf 'first\\nsecond\\nlast line\\n'\n"
        "printf 'from stderr\\n' >&2\n"
    )
    cli.chmod(0o755)
    engine = Engine(kind="podman", binary=str(cli))
    assert engine.logs("node", tail=2) == "last line\nfrom stderr\n"
    assert engine.logs("node", tail=0) == ""
    assert engine.logs("node", tail=1, since_seconds=60) == "from stderr\n"
    assert engine.logs("node") == "first\nsecond\nlast line\nfrom stderr\n"
    calls = (tmp_path / "podman.calls").read_text().splitlines()
    assert calls == ["logs node", "logs node", "logs --since 60s node", "logs node"]
