"""Times one SDK's TrainerClient calls; run with the interpreter of the SDK under test.

Usage: python bench/measure.py <kubeconfig> <namespace> <job name> <repeats>
Prints one JSON object of seconds (medians) on stdout.
"""

from __future__ import annotations

import json
import statistics
import sys
import time


def median_time(fn, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    kubeconfig, namespace, job, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    start = time.perf_counter()
    from kubeflow.trainer import KubernetesBackendConfig, TrainerClient

    import_s = time.perf_counter() - start
    start = time.perf_counter()
    client = TrainerClient(KubernetesBackendConfig(config_file=kubeconfig, namespace=namespace))
    client_s = time.perf_counter() - start
    jobs = client.list_jobs()  # warm-up (connections, caches) before the timed runs
    result = {
        "import_s": import_s,
        "client_s": client_s,
        "jobs_listed": len(jobs),
        "list_jobs_s": median_time(client.list_jobs, repeats),
        "get_job_s": median_time(lambda: client.get_job(job), repeats),
        "list_runtimes_s": median_time(client.list_runtimes, repeats),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
