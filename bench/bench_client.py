"""Side-by-side timing of our SDK and the upstream `kubeflow` SDK against the same real API server.

Creates N TrainJobs (each with two node pods) in a fresh namespace of the test control plane, then
runs bench/measure.py once with each SDK's interpreter and prints the medians and the ratios
upstream / ours (higher means we are faster). Run through bench/run.sh.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.kube import KubeAdmin  # noqa: E402


def make_jobs(kube: KubeAdmin, namespace: str, count: int) -> list[str]:
    names = []
    for i in range(count):
        name = f"bench-{i:03d}"
        kube.create(
            f"/apis/trainer.kubeflow.org/v1alpha1/namespaces/{namespace}/trainjobs",
            {
                "apiVersion": "trainer.kubeflow.org/v1alpha1",
                "kind": "TrainJob",
                "metadata": {"name": name},
                "spec": {
                    "runtimeRef": {"name": "torch-distributed", "kind": "ClusterTrainingRuntime"},
                    "trainer": {"numNodes": 2},
                },
            },
        )
        for index in range(2):
            kube.create(
                f"/api/v1/namespaces/{namespace}/pods",
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": f"{name}-node-0-{index}",
                        "labels": {
                            "jobset.sigs.k8s.io/jobset-name": name,
                            "jobset.sigs.k8s.io/replicatedjob-name": "node",
                            "batch.kubernetes.io/job-completion-index": str(index),
                        },
                    },
                    "spec": {"containers": [{"name": "node", "image": "example.com/train:1"}]},
                },
            )
        names.append(name)
    return names


def measure(python: str, env: dict[str, str], args: list[str]) -> dict:
    out = subprocess.run(
        [python, str(REPO / "bench" / "measure.py"), *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--upstream-python", required=True)
    parser.add_argument("--ours-python", required=True)
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    kube = KubeAdmin(args.kubeconfig)
    namespace = f"bench-{secrets.token_hex(3)}"
    kube.create_namespace(namespace)
    names = make_jobs(kube, namespace, args.jobs)
    measure_args = [args.kubeconfig, namespace, names[0], str(args.repeats)]

    ours_env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    upstream_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    ours = measure(args.ours_python, ours_env, measure_args)
    upstream = measure(args.upstream_python, upstream_env, measure_args)

    print(
        f"{args.jobs} TrainJobs x 2 pods, median of {args.repeats}, real kube-apiserver on loopback"
    )
    print(f"{'measure':<16}{'upstream':>12}{'ours':>12}{'upstream/ours':>15}")
    for key in ("import_s", "client_s", "list_runtimes_s", "get_job_s", "list_jobs_s"):
        ratio = upstream[key] / ours[key] if ours[key] > 0 else float("inf")
        print(f"{key:<16}{upstream[key] * 1000:>10.1f}ms{ours[key] * 1000:>10.1f}ms{ratio:>14.1f}x")
    assert ours["jobs_listed"] == upstream["jobs_listed"] == args.jobs, (ours, upstream)


if __name__ == "__main__":
    main()
