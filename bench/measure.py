"""One scenario of the benchmark for one client; run with the interpreter of the SDK under test.

    python bench/measure.py <ours|upstream|floor> <scenario> '<JSON parameters>'

Prints one JSON object on its last line. ``ours`` and ``upstream`` both import
``kubeflow.trainer`` (the interpreter decides which one); ``floor`` is bench/floor.py. Request
counts come from the API server's ``apiserver_request_total`` read before and after a call.
Only ``os``, ``sys`` and ``time`` are imported before the start-up scenario is timed.
"""

import os
import sys
import threading
import time


def rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def startup(sdk: str, p: dict) -> dict:
    """Import wall time and RSS added (in this process), then the notebook line's names, then
    the first client's construction.

    ``notebook_s`` is the import plus ``from kubeflow.trainer import TrainerClient,
    CustomTrainer``: with a lazy package the names load their modules; upstream's import has
    loaded them already. ``client_s`` is then the construction alone for every SDK.
    """
    rss0, cpu0, t0 = rss_kib(), time.process_time(), time.perf_counter()
    if sdk == "floor":
        import http.client  # noqa: F401
        import json  # noqa: F401
        import ssl  # noqa: F401
    else:
        import kubeflow.trainer  # noqa: F401
    t1, cpu1, rss1 = time.perf_counter(), time.process_time(), rss_kib()
    if sdk != "floor":
        from kubeflow.trainer import CustomTrainer, TrainerClient  # noqa: F401
    t_names = time.perf_counter()
    if sdk == "floor":
        import yaml  # noqa: F401 - the floor's kubeconfig reader, not part of its construction
    t2 = time.perf_counter()
    client(sdk, p)
    t3 = time.perf_counter()
    return {
        "import_s": t1 - t0,
        "import_cpu_s": cpu1 - cpu0,
        "import_rss_kib": rss1 - rss0,
        "notebook_s": t_names - t0,
        "client_s": t3 - t2,
    }


def client(sdk: str, p: dict):
    if sdk == "floor":
        from floor import FloorClient

        return FloorClient(p["kubeconfig"])
    from kubeflow.trainer import KubernetesBackendConfig, TrainerClient

    config = KubernetesBackendConfig(config_file=p["kubeconfig"], namespace=p["namespace"])
    return TrainerClient(config)


def train_fn() -> None:
    """What the submitted jobs would run (nothing runs: the control plane has no controller)."""
    import platform

    print("training on", platform.node())


def counted(counter, fn):
    """(seconds, requests, result) of one call."""
    before = counter.request_count()
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    return elapsed, counter.request_count() - before, result


def median(values: list) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def call(sdk: str, c, p: dict, what: str, name: str = ""):
    """The call ``what`` with the SDK's own method, or the floor's same requests."""
    ns = p["namespace"]
    if sdk == "floor":
        return {"list_jobs": lambda: c.list_jobs(ns), "get_job": lambda: c.get_job(ns, name)}[what]
    return {"list_jobs": c.list_jobs, "get_job": lambda: c.get_job(name)}[what]


def train(sdk: str, p: dict, counter) -> dict:
    c = client(sdk, p)
    names = [f"{p['prefix']}-{sdk[:2]}-{i}" for i in range(p["repeats"])]
    if sdk == "floor":
        import inspect

        script = inspect.getsource(train_fn) + "\ntrain_fn()\n"
        command = ["bash", "-c", f"python3 -c {script!r}"]
        path = f"/apis/trainer.kubeflow.org/v1alpha1/namespaces/{p['namespace']}/trainjobs"
        from floor import trainjob

        submit = [lambda n=n: c.create(path, trainjob(n, 2, command)) for n in names]
    else:
        from kubeflow.trainer import CustomTrainer

        trainer = CustomTrainer(func=train_fn, num_nodes=2)
        submit = [lambda: c.train(runtime="torch-distributed", trainer=trainer) for _ in names]
    runs = [counted(counter, fn)[:2] for fn in submit]
    warm = runs[1:] or runs
    return {
        "first_s": runs[0][0],
        "first_requests": runs[0][1],
        "median_s": median([r[0] for r in warm]),
        "requests": median([r[1] for r in warm]),
    }


def timed(sdk: str, p: dict, counter) -> dict:
    """``list_jobs`` or ``get_job`` (p["call"]): the first call of a fresh client, then warm."""
    c = client(sdk, p)
    fn = call(sdk, c, p, p["call"], p.get("name", ""))
    first_s, first_requests, result = counted(counter, fn)
    if p["call"] == "list_jobs":
        listed = len(result[0]["items"]) if sdk == "floor" else len(result)
        if listed != p["expect"]:
            raise SystemExit(f"{sdk} listed {listed} jobs, expected {p['expect']}")
    samples, requests = [], None
    for _ in range(p["repeats"]):
        elapsed, count, _ = counted(counter, fn)
        samples.append(elapsed)
        requests = count
    return {
        "first_s": first_s,
        "first_requests": first_requests,
        "samples": samples,
        "median_s": median(samples) if samples else first_s,
        "requests": requests if requests is not None else first_requests,
    }


def threads(sdk: str, p: dict, counter) -> dict:
    """get_job calls per second from 1 thread, then from p["threads"] sharing one client (the
    floor cannot share a connection: each thread has its own)."""
    import threading

    shared = client(sdk, p)
    out = {}
    for n in (1, p["threads"]):
        clients = [client(sdk, p) for _ in range(n)] if sdk == "floor" else [shared] * n
        fns = [call(sdk, c, p, "get_job", p["name"]) for c in clients]
        for fn in fns:
            fn()  # connections and caches warm
        done = [0] * n
        stop = time.perf_counter() + p["seconds"]

        def loop(i: int, fns=fns, done=done, stop=stop) -> None:
            while time.perf_counter() < stop:
                fns[i]()
                done[i] += 1

        start = time.perf_counter()
        workers = [threading.Thread(target=loop, args=(i,)) for i in range(n)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        out[f"calls_per_s_{n}"] = sum(done) / (time.perf_counter() - start)
    return out


def wait(sdk: str, p: dict, counter) -> dict:
    """From the status write of the Complete condition to the return of the waiting call."""
    import json
    import random
    import threading
    from datetime import datetime, timezone

    from floor import TRAINER, FloorClient, trainjob

    admin = FloorClient(p["kubeconfig"])
    c = client(sdk, p)
    path = f"{TRAINER}/namespaces/{p['namespace']}/trainjobs"
    rng = random.Random(7)
    reactions = []
    for i in range(p["repeats"]):
        name = f"{p['prefix']}-{sdk[:2]}-{i}"
        admin.create(path, trainjob(name, 2))
        returned: list[float] = []

        def waiter(name: str = name, returned: list = returned) -> None:
            if sdk == "floor":
                url = f"{path}?watch=1&fieldSelector=metadata.name%3D{name}"
                buffer = b""
                for chunk in c.stream(url):
                    buffer += chunk
                    *events, buffer = buffer.split(b"\n")
                    for event in events:
                        conditions = json.loads(event)["object"].get("status", {})
                        if any(
                            x["type"] == "Complete" and x["status"] == "True"
                            for x in conditions.get("conditions", [])
                        ):
                            returned.append(time.perf_counter())
                            return
            else:
                c.wait_for_job_status(name, status={"Complete"}, timeout=120)
                returned.append(time.perf_counter())

        thread = threading.Thread(target=waiter)
        thread.start()
        time.sleep(rng.uniform(0.5, 2.5))  # a random phase against upstream's 2 s poll
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        condition = {
            "type": "Complete",
            "status": "True",
            "reason": "JobSetCompleted",
            "message": "done",
            "lastTransitionTime": now,
        }
        written = time.perf_counter()
        admin.patch_status(f"{path}/{name}", {"conditions": [condition]})
        thread.join(130)
        reactions.append(returned[0] - written)
    return {"samples": reactions, "median_s": median(reactions)}


def logs(sdk: str, p: dict, counter) -> dict:
    """Follow a log for p["seconds"] (an endless one) or until p["bytes"] have arrived (a finite
    one): MB/s after the first line, and peak RSS added."""
    import resource

    c = client(sdk, p)
    if sdk == "floor":
        pod = f"{p['name']}-node-0-0"
        url = f"/api/v1/namespaces/{p['namespace']}/pods/{pod}/log?container=node&follow=true"

        def lines():
            rest = ""
            for chunk in c.stream(url):
                *done, rest = (rest + chunk.decode()).split("\n")
                yield from done

        stream = lines()
    elif sdk == "upstream":
        stream = c.get_job_logs(p["name"], follow=True, step="node-0")
    else:
        stream = c.get_job_logs(p["name"], follow=True)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    want = p.get("bytes", float("inf"))
    seconds = p.get("seconds", float("inf"))
    got = {"size": 0, "count": 0, "first": None, "last": None}
    finished = threading.Event()

    def consume() -> None:
        for line in stream:
            now = time.perf_counter()
            if got["first"] is None:
                got["first"] = now
            got["size"] += len(line) + 1
            got["count"] += 1
            got["last"] = now
            if got["size"] >= want:
                break  # a finite log (the real node's): all of it has arrived
            if got["count"] % 1024 == 0 and now > got["first"] + seconds:
                break  # an endless log: the time is up
        finished.set()

    # On its own thread: a client that holds back the log's last lines while the container is
    # quiet never returns them, and that must not hang the measurement.
    start = time.perf_counter()
    threading.Thread(target=consume, daemon=True).start()
    finished.wait(seconds + 30 if seconds != float("inf") else None)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    first, last = got["first"], got["last"]
    result = {
        # Up to the last line that arrived: a stall at the end is reported as bytes missing.
        "mb_per_s": got["size"] / (last - first) / 1e6 if last and last > first else 0.0,
        "bytes": got["size"],
        "complete": finished.is_set(),
        "lines": got["count"],
        "first_line_s": (first - start) if first else None,
        "rss_growth_kib": peak - before,
        "rss_before_kib": before,
    }
    if finished.is_set():
        stream.close()
    return result


def main() -> None:
    sdk, scenario, params = sys.argv[1], sys.argv[2], sys.argv[3]
    if scenario == "startup":
        import json

        result = startup(sdk, json.loads(params))
    else:
        import json

        from floor import FloorClient

        p = json.loads(params)
        counter = FloorClient(p["kubeconfig"])
        scenarios = {"train": train, "timed": timed, "threads": threads, "wait": wait, "logs": logs}
        result = scenarios[scenario](sdk, p, counter)
    print(json.dumps(result), flush=True)
    if scenario == "logs":
        os._exit(0)  # a stalled follow may still block its thread in a read


if __name__ == "__main__":
    main()
