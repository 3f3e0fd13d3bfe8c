"""A PyTorchJob of Training Operator v1, converted by the SDK, runs to Complete on the full
cluster: the shipped torch-distributed runtime, a JobSet, two pods and a real torchrun
rendezvous between them."""

from __future__ import annotations

import time

from kubeflow.trainer import KubernetesBackendConfig, TrainerClient, migrate_v1_jobs

WAIT_TIMEOUT = 600  # a cold node imports torch for the first time in each pod

# torchrun needs a script file: the command writes it, then runs it under torchrun, which takes
# the rendezvous from the PET_* variables torch-distributed sets.
SCRIPT = """\
import torch.distributed as dist
dist.init_process_group("gloo")
import torch
value = torch.tensor([float(dist.get_rank() + 1)])
dist.all_reduce(value)
print(f"v1-e2e: rank {dist.get_rank()} of {dist.get_world_size()} sum={value.item():g}", flush=True)
dist.destroy_process_group()
"""
COMMAND = (
    "import os\n"
    f"open('/tmp/v1_e2e.py', 'w').write({SCRIPT!r})\n"
    "os.execvp('torchrun', ['torchrun', '/tmp/v1_e2e.py'])\n"
)


def pytorchjob(image: str) -> dict:
    def replica(replicas: int) -> dict:
        return {
            "replicas": replicas,
            "restartPolicy": "OnFailure",
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "pytorch",
                            "image": image,
                            "command": ["python3", "-c", COMMAND],
                            "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}},
                        }
                    ]
                }
            },
        }

    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": "v1-ddp"},
        "spec": {"pytorchReplicaSpecs": {"Master": replica(1), "Worker": replica(1)}},
    }


def test_a_converted_pytorchjob_runs_to_complete(full_cluster, namespace, figures):
    client = TrainerClient(
        KubernetesBackendConfig(config_file=full_cluster.admin_kubeconfig, namespace=namespace)
    )
    image = client.get_runtime("torch-distributed").trainer.image  # prebuilt on the node
    migration = migrate_v1_jobs(pytorchjob(image))
    assert [n.field for n in migration.report] == [
        "spec.pytorchReplicaSpecs.Master.restartPolicy",
        "spec.pytorchReplicaSpecs.Worker.restartPolicy",
    ]
    t0 = time.monotonic()
    client.create_migration(migration)
    job = client.wait_for_job_status("v1-ddp", {"Complete"}, timeout=WAIT_TIMEOUT)
    figures.append(
        f"converted PyTorchJob (Master+Worker) to Complete: {time.monotonic() - t0:.1f} s"
    )
    assert job.num_nodes == 2
    assert sorted(s.name for s in job.steps) == ["node-0", "node-1"]
    sums = [
        line
        for step in ("node-0", "node-1")
        for line in client.get_job_logs("v1-ddp", step=step)
        if "v1-e2e:" in line
    ]
    assert sorted(sums) == ["v1-e2e: rank 0 of 2 sum=3", "v1-e2e: rank 1 of 2 sum=3"]
