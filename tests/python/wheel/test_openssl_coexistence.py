"""The wheel's TLS stack next to the others a process may load: Python's ``ssl``, cryptography,
grpcio and torch, imported in both orders into one process (coexist_probe.py) that then makes
HTTPS calls from our client and from urllib to the control plane, a TLS gRPC call, an X.509
signature check and a torch operation. The interpreter is the frameworks environment's (torch,
scripts/frameworks-env.sh); the wheel, cryptography and grpcio are ``pip install --target``-ed
into a directory of the session put on PYTHONPATH."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.python.wheel.conftest import REPO_ROOT

PROBE = Path(__file__).resolve().parent / "coexist_probe.py"


@pytest.fixture(scope="session")
def frameworks_python() -> str:
    """The frameworks environment's interpreter (cached; built by scripts/test.sh earlier)."""
    proc = subprocess.run(
        ["bash", "scripts/frameworks-env.sh"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail("scripts/frameworks-env.sh failed", pytrace=False)
    return proc.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def target(frameworks_python, wheel, tmp_path_factory) -> Path:
    """The wheel, cryptography and grpcio installed for the frameworks interpreter."""
    out = tmp_path_factory.mktemp("coexist") / "site"
    subprocess.run(
        [frameworks_python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "--target", str(out), str(wheel), "cryptography", "grpcio"],
        check=True,
    )  # fmt: skip
    return out


def _token_kubeconfig(path: str) -> tuple[dict, str, str]:
    config = yaml.safe_load(Path(path).read_text())
    cluster = config["clusters"][0]["cluster"]
    return config, cluster["server"], config["users"][0]["user"]["token"]


def _probe(frameworks_python, target, tmp_path, order, kubeconfig, ca_pem: bytes):
    config, server, token = _token_kubeconfig(kubeconfig)
    ca_file = tmp_path / "ca.crt"
    ca_file.write_bytes(ca_pem)
    config["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(
        ca_pem
    ).decode()
    config_file = tmp_path / "kubeconfig"
    config_file.write_text(yaml.safe_dump(config))
    proc = subprocess.run(
        [frameworks_python, str(PROBE), "--order", order, "--kubeconfig", str(config_file),
         "--server", server, "--ca-file", str(ca_file), "--token", token,
         "--expect-package-under", str(target)],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # fmt: skip
    lines = proc.stdout.strip().splitlines()
    try:
        results = json.loads(lines[-1])
    except (IndexError, ValueError):
        pytest.fail(
            f"the probe died (exit {proc.returncode}) without its results:\n"
            f"{proc.stdout}\n{proc.stderr}",
            pytrace=False,
        )
    return proc.returncode, results, proc.stderr


def _cluster_ca(kubeconfig: str) -> bytes:
    config = yaml.safe_load(Path(kubeconfig).read_text())
    return base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"])


@pytest.mark.parametrize("order", ["ours-first", "theirs-first"])
def test_every_tls_stack_works_in_one_process(
    frameworks_python, target, cluster, tmp_path, order, figures
):
    code, results, stderr = _probe(
        frameworks_python,
        target,
        tmp_path,
        order,
        cluster.token_kubeconfig,
        _cluster_ca(cluster.token_kubeconfig),
    )
    failed = {name: r for name, r in results.items() if not r["ok"]}
    assert not failed, f"{json.dumps(failed, indent=2)}\n{stderr}"
    assert code == 0
    if order == "ours-first":
        figures.append(f"coexistence: {json.dumps(results['versions']['value'])}")
    assert results["ours https"]["value"] == results["python https"]["value"]
    assert results["ours https"]["value"]  # the shipped runtimes
    assert results["both at once"]["value"] == 16
    assert results["grpc tls"]["value"] == "echo:hello"
    assert results["torch"]["value"] == 6.0


def test_the_probe_sees_a_broken_tls_setup(frameworks_python, target, cluster, tmp_path):
    """With a CA that did not sign the API server's certificate, both HTTPS stacks must refuse:
    the probe reports it, so a stack that stopped verifying (or stopped working) fails the
    test above."""
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-subj", "/CN=not-the-cluster-ca", "-days", "1",
         "-keyout", str(wrong / "ca.key"), "-out", str(wrong / "ca.crt")],
        check=True,
        capture_output=True,
    )  # fmt: skip
    code, results, _ = _probe(
        frameworks_python,
        target,
        tmp_path,
        "ours-first",
        cluster.token_kubeconfig,
        (wrong / "ca.crt").read_bytes(),
    )
    assert code == 1
    assert not results["ours https"]["ok"]
    assert "certificate" in results["ours https"]["error"].lower()
    assert not results["python https"]["ok"]
    assert "CERTIFICATE_VERIFY_FAILED" in results["python https"]["error"]
    # The rest does not depend on the cluster's CA.
    assert results["cryptography x509"]["ok"]
    assert results["grpc tls"]["ok"]
    assert results["torch"]["ok"]
