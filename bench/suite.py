"""The whole benchmark matrix in one run: our SDK, upstream ``kubeflow`` 0.5.0 and the floor.

Run through bench/run.sh (``make bench``), which starts the test control plane and the venvs.
Arranges the objects directly through the API (concurrent creates), runs each scenario of
bench/measure.py in each client's interpreter one after the other (never two at once), saves
the raw figures to build/bench/results.json and hands them to bench/report.py, which writes
docs/benchmarks.md and draws docs/benchmarks.png.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
sys.path[:0] = [str(REPO), str(BENCH)]

from floor import TRAINER, FloorClient, node_pod, trainjob  # noqa: E402
from real_node import LOG_BYTES, RealNode  # noqa: E402

from tests.support import log_kubelet  # noqa: E402
from tests.support.kube import KubeAdmin  # noqa: E402
from tests.support.log_kubelet import LogKubelet  # noqa: E402

SDKS = ("ours", "upstream", "floor")
# What a notebook's first cell typically runs (a lazy package loads only what it names).
NOTEBOOK_LINE = "from kubeflow.trainer import TrainerClient, CustomTrainer"


def _serve_endless_fast(handler: log_kubelet._Handler, log: log_kubelet._Endless) -> None:
    """The stand-in kubelet's endless log, with its lines built once and sent again and again:
    the stand-in (Python) should not be what limits a follow's throughput."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    stamp = log_kubelet._stamp(time.time()).encode()
    lines = []
    for number in range(512):
        head = b"%s endless %d " % (stamp, number)
        lines.append(head + b"y" * max(0, log.line_bytes - len(head) - 1) + b"\n")
    block = b"".join(lines)
    chunk = b"%x\r\n%s\r\n" % (len(block), block)
    try:
        while True:
            handler.wfile.write(chunk)
    except OSError:
        handler.close_connection = True


log_kubelet._Handler._serve_endless = _serve_endless_fast  # type: ignore[method-assign]


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        ours, upstream = os.path.abspath(args.ours_python), os.path.abspath(args.upstream_python)
        floor = os.path.abspath(args.floor_python or args.ours_python)
        self.python = {"ours": ours, "upstream": upstream, "floor": floor}
        no_path = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        self.env = {
            # The dev build is python/ of this tree; an installed wheel is found by its venv.
            "ours": no_path
            if args.ours_build != "dev"
            else dict(os.environ, PYTHONPATH=str(REPO / "python")),
            "upstream": {k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
            "floor": {k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        }
        self.admin = FloorClient(args.kubeconfig)
        self.local = threading.local()
        self.results: dict = {
            "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "ours_build": args.ours_build,
        }

    def log(self, message: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)

    def measure(
        self, sdk: str, scenario: str, timeout: float | None = None, **params: object
    ) -> dict:
        """One scenario in the client's interpreter. Past ``timeout`` seconds the process is
        stopped and the result is that lower bound (``lower_bound``: the call took longer)."""
        params.setdefault("kubeconfig", self.args.kubeconfig)
        try:
            out = subprocess.run(
                [self.python[sdk], str(BENCH / "measure.py"), sdk, scenario, json.dumps(params)],
                env=self.env[sdk],
                cwd=BENCH,
                check=False,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            self.log(f"  {sdk} {scenario} stopped after {timeout:.0f} s")
            return {
                "first_s": timeout,
                "median_s": timeout,
                "samples": [],
                "lower_bound": True,
                "first_requests": None,
                "requests": None,
            }
        if out.returncode:
            raise SystemExit(f"{sdk} {scenario} failed:\n{out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    # Arranging objects.

    def _client(self) -> FloorClient:
        if not hasattr(self.local, "client"):
            self.local.client = FloorClient(self.args.kubeconfig)
        return self.local.client

    def create_jobs(self, namespace: str, names: list[str], pods: int, node: str = "") -> None:
        """TrainJobs with ``pods`` node pods each, created by 8 threads at once."""

        def one(name: str) -> None:
            c = self._client()
            c.create(f"{TRAINER}/namespaces/{namespace}/trainjobs", trainjob(name, pods))
            for i in range(pods):
                c.create(f"/api/v1/namespaces/{namespace}/pods", node_pod(name, i, node))

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(one, names))

    def namespace(self, prefix: str) -> str:
        name = f"{prefix}-{secrets.token_hex(3)}"
        self.admin.create("/api/v1/namespaces", {"metadata": {"name": name}})
        return name

    def populated(self, size: int) -> str:
        """Namespace bench-list-<size> holding ``size`` TrainJobs × 2 pods: made once a control
        plane, then reused by later runs on it (objects the SDKs only read)."""
        name = f"bench-list-{size}"
        if self.admin.request_status("GET", f"/api/v1/namespaces/{name}") == 404:
            self.admin.create("/api/v1/namespaces", {"metadata": {"name": name}})
        listed = self.admin.get(f"{TRAINER}/namespaces/{name}/trainjobs")["items"]
        have = {job["metadata"]["name"] for job in listed}
        missing = [f"job-{i:05d}" for i in range(size) if f"job-{i:05d}" not in have]
        if len(have) > size or (have and missing):
            raise SystemExit(f"{name} holds {len(have)} TrainJobs, not {size}: delete it")
        if missing:
            self.log(f"creating {len(missing)} TrainJobs x 2 pods in {name}")
            start = time.perf_counter()
            self.create_jobs(name, missing, 2)
            self.log(f"  {len(missing)} jobs in {time.perf_counter() - start:.1f} s")
        return name

    # Scenarios.

    def wait4(self, argv: list[str], env: dict) -> tuple[float, float, int]:
        """Wall seconds, user+sys CPU seconds and peak RSS (KiB) of one process."""
        start = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        if status:
            raise SystemExit(f"{argv} failed")
        return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss

    def processes(self, runs: int) -> dict:
        """Whole processes (wait4): a bare interpreter, one that imports the SDK, the CLI."""
        cli = "import sys; from kubeflow.trainer_cli import main; sys.exit(main())"
        commands = {
            "bare_ours": ([self.python["ours"], "-c", "pass"], self.env["ours"]),
            "bare_upstream": ([self.python["upstream"], "-c", "pass"], self.env["upstream"]),
            "import_ours": (
                [self.python["ours"], "-c", "import kubeflow.trainer"],
                self.env["ours"],
            ),
            "import_upstream": (
                [self.python["upstream"], "-c", "import kubeflow.trainer"],
                self.env["upstream"],
            ),
            "notebook_ours": ([self.python["ours"], "-c", NOTEBOOK_LINE], self.env["ours"]),
            "notebook_upstream": (
                [self.python["upstream"], "-c", NOTEBOOK_LINE],
                self.env["upstream"],
            ),
            "import_floor": (
                [self.python["floor"], "-c", "import http.client, json, ssl"],
                self.env["floor"],
            ),
            "cli_ours": ([self.python["ours"], "-c", cli, "--help"], self.env["ours"]),
        }
        out = {}
        for key, (argv, env) in commands.items():
            self.wait4(argv, env)  # warm-up: page cache and bytecode
            samples = [self.wait4(argv, env) for _ in range(runs)]
            out[key] = {
                "wall_s": sorted(s[0] for s in samples)[runs // 2],
                "cpu_s": sorted(s[1] for s in samples)[runs // 2],
                "rss_kib": sorted(s[2] for s in samples)[runs // 2],
            }
        return out

    def run(self) -> dict:
        a, r = self.args, self.results
        r["load_before"] = os.getloadavg()
        self.log("start-up: processes and in-process import")
        r["processes"] = self.processes(a.startup_runs)
        small = self.namespace("bench-small")
        r["startup"] = {}
        for sdk in SDKS:
            runs = [self.measure(sdk, "startup", namespace=small) for _ in range(a.startup_runs)]
            r["startup"][sdk] = {k: sorted(x[k] for x in runs)[len(runs) // 2] for k in runs[0]}

        self.log("train()")
        r["train"] = {
            sdk: self.measure(sdk, "train", namespace=small, prefix="submit", repeats=a.repeats + 1)
            for sdk in SDKS
        }

        self.log("get_job on 64 node pods; threads on 2")
        self.create_jobs(small, ["wide"], 64)
        self.create_jobs(small, ["narrow"], 2)
        r["get_job"] = {
            sdk: self.measure(
                sdk,
                "timed",
                namespace=small,
                call="get_job",
                name="wide",
                repeats=a.repeats * (2 if sdk != "upstream" else 1),
            )
            for sdk in SDKS
        }
        r["threads"] = {
            sdk: self.measure(
                sdk, "threads", namespace=small, name="narrow", threads=16, seconds=a.thread_seconds
            )
            for sdk in SDKS
        }

        self.log("wait_for_job_status reaction")
        r["wait"] = {
            sdk: self.measure(sdk, "wait", namespace=small, prefix="waited", repeats=a.repeats)
            for sdk in SDKS
        }

        self.log("get_job_logs(follow=True) through the stand-in kubelet")
        cluster = SimpleNamespace(state_dir=a.state_dir, kube=KubeAdmin(a.kubeconfig))
        with LogKubelet(cluster) as kubelet:
            r["logs"] = {}
            for sdk in SDKS:
                name = f"logged-{sdk}"
                self.create_jobs(small, [name], 1, node=kubelet.node_name)
                pod = f"{name}-node-0-0"
                self.admin.patch_status(
                    f"/api/v1/namespaces/{small}/pods/{pod}", {"phase": "Running"}
                )
                kubelet.add_endless(small, pod, "node", first_line=0, line_bytes=a.line_bytes)
                r["logs"][sdk] = self.measure(
                    sdk, "logs", namespace=small, name=name, seconds=a.log_seconds
                )

        if a.real_node:
            r["logs_node"] = self.follow_on_real_node()

        r["list_jobs"] = {}
        for size in a.sizes:
            big = self.populated(size)
            r["list_jobs"][size] = {}
            for sdk in SDKS:
                repeats = a.repeats
                if sdk == "upstream":  # three requests per job: seconds to minutes a call
                    repeats = 2 if size <= 100 else 1 if size <= 1000 else 0
                self.log(f"  list_jobs {sdk} at {size} ({repeats} warm repeats)")
                limit = a.upstream_limit if sdk == "upstream" and a.upstream_limit else None
                r["list_jobs"][size][sdk] = self.measure(
                    sdk,
                    "timed",
                    timeout=limit,
                    namespace=big,
                    call="list_jobs",
                    expect=size,
                    repeats=repeats,
                )
        r["load_after"] = os.getloadavg()
        r["machine"] = self.machine()
        return r

    def follow_on_real_node(self) -> dict:
        """get_job_logs(follow=True) of one 6 MB container log through the full cluster's real
        kubelet (bench/real_node.py), read to its end by each SDK in turn."""
        a = self.args
        self.log("get_job_logs(follow=True) on the full cluster's real node (starting it)")
        out: dict = {}
        with RealNode(Path(a.state_dir).with_name(Path(a.state_dir).name + "-full")) as node:
            name, namespace = "printed", "bench-logs"
            node.start_printer(namespace, name, a.line_bytes)
            whole = LOG_BYTES // a.line_bytes * a.line_bytes
            for sdk in SDKS:
                out[sdk] = self.measure(
                    sdk,
                    "logs",
                    kubeconfig=node.kubeconfig,
                    namespace=namespace,
                    name=name,
                    bytes=whole,
                    seconds=a.node_log_limit,
                )
            node.stop_printer(namespace, name)
        return out

    def machine(self) -> dict:
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )

        def version(sdk: str) -> str:
            code = "import importlib.metadata as m; print(m.version('kubeflow'))"
            if sdk == "ours":
                code = "import kubeflow; print(kubeflow.__version__)"
            return (
                subprocess.run(
                    [self.python[sdk], "-c", code],
                    env=self.env[sdk],
                    text=True,
                    capture_output=True,
                    check=False,
                ).stdout.strip()
                or "unknown"
            )

        return {
            "cores": os.cpu_count(),
            "cpu": model,
            "kernel": platform.release(),
            "python": platform.python_version(),
            "ours": version("ours"),
            "upstream": version("upstream"),
            "apiserver": self.admin.get("/version").get("gitVersion", "unknown"),
            "commit": subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"],
                cwd=REPO,
                text=True,
                capture_output=True,
                check=False,
            ).stdout.strip(),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--upstream-python", required=True)
    parser.add_argument("--ours-python", required=True)
    parser.add_argument(
        "--ours-build",
        default="dev",
        help="what --ours-python runs: 'dev' (python/ of this tree, PYTHONPATH) or a label such "
        "as 'wheel <file>' (installed in that interpreter's venv)",
    )
    parser.add_argument("--floor-python", help="interpreter of the floor (default: ours)")
    parser.add_argument("--plot-python", required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--startup-runs", type=int, default=7)
    parser.add_argument("--thread-seconds", type=float, default=3.0)
    parser.add_argument("--log-seconds", type=float, default=4.0)
    parser.add_argument("--line-bytes", type=int, default=128)
    parser.add_argument(
        "--upstream-limit",
        type=float,
        default=120.0,
        help="seconds one upstream list_jobs measurement may take (0: no limit; its 5,000-job call "
        "takes about half an hour); past it the "
        "figure is that lower bound",
    )
    parser.add_argument(
        "--node-log-limit",
        type=float,
        default=120.0,
        help="seconds a follow of the real node's log may take; past it, what arrived is counted",
    )
    parser.add_argument(
        "--real-node",
        action=argparse.BooleanOptionalAction,
        default=os.geteuid() == 0,
        help="also follow a log on the real node of the full test cluster (root; minutes to "
        "start it; the default when root)",
    )
    parser.add_argument("--out", default=str(REPO / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    args.kubeconfig = os.path.abspath(args.kubeconfig)
    started = time.perf_counter()
    results = Bench(args).run()
    results["duration_s"] = time.perf_counter() - started
    raw = REPO / "build" / "bench" / "results.json"
    raw.write_text(json.dumps(results, indent=1))
    subprocess.run(
        [
            sys.executable,
            str(BENCH / "report.py"),
            str(raw),
            args.out,
            "--plot-python",
            args.plot_python,
        ],
        check=True,
    )


if __name__ == "__main__":
    main()
