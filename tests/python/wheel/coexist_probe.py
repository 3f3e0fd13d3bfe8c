"""One process, every TLS stack: the installed wheel's extension, Python's ``ssl``,
cryptography, grpcio and torch, imported in the order given, then each used for real.

    python coexist_probe.py --order ours-first|theirs-first --kubeconfig K --server URL
        --ca-file CA --token T --expect-package-under DIR

Run by test_openssl_coexistence.py under the frameworks environment's interpreter (torch) with
the wheel, cryptography and grpcio on PYTHONPATH. Prints one JSON object (check name -> {"ok",
"value" or "error"}) on its last line; exits 0 only if every check passed. A crash of the
process (two OpenSSL copies tripping over each other) is a non-zero exit without that line.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import ipaddress
import json
import sys
import traceback
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

OURS = "kubeflow.trainer._core"
THEIRS = [
    "ssl",
    "cryptography.x509",
    "cryptography.hazmat.primitives.asymmetric.ec",
    "grpc",
    "torch",
]
RUNTIMES_PATH = "/apis/trainer.kubeflow.org/v1alpha1/clustertrainingruntimes"
ROUNDS = 8


def _check(results: dict[str, Any], name: str, func: Callable[[], Any]) -> Any:
    try:
        value = func()
    except BaseException as error:  # noqa: BLE001 - every failure is a result to report
        results[name] = {
            "ok": False,
            "error": f"{type(error).__module__}.{type(error).__name__}: {error}",
            "trace": traceback.format_exc(limit=3),
        }
        return None
    results[name] = {"ok": True, "value": value}
    return value


def _ours(kubeconfig: str) -> list[str]:
    from kubeflow.trainer import KubernetesBackendConfig, TrainerClient

    client = TrainerClient(KubernetesBackendConfig(config_file=kubeconfig))
    return sorted(r.name for r in client.list_runtimes())


def _python(server: str, ca_file: str, token: str) -> list[str]:
    import ssl

    context = ssl.create_default_context(cafile=ca_file)
    request = urllib.request.Request(
        server + RUNTIMES_PATH, headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        items = json.load(response)["items"]
    return sorted(item["metadata"]["name"] for item in items)


def _interleaved(args: argparse.Namespace) -> int:
    """Both stacks at once from two threads (ours releases the GIL around its calls)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        ours = pool.submit(lambda: [_ours(args.kubeconfig) for _ in range(ROUNDS)])
        theirs = pool.submit(
            lambda: [_python(args.server, args.ca_file, args.token) for _ in range(ROUNDS)]
        )
        answers = ours.result() + theirs.result()
    if any(a != answers[0] for a in answers):
        raise AssertionError(f"the answers differ: {answers}")
    return len(answers)


def _cryptography(ca_file: str) -> dict[str, str]:
    """Loads the API server's CA and verifies its self-signature; makes a key and a
    certificate for the gRPC check."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    with open(ca_file, "rb") as f:
        ca = x509.load_pem_x509_certificate(f.read())
    public = ca.public_key()
    assert ca.signature_hash_algorithm is not None
    if isinstance(public, rsa.RSAPublicKey):
        public.verify(
            ca.signature, ca.tbs_certificate_bytes, padding.PKCS1v15(), ca.signature_hash_algorithm
        )
    else:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(ca.signature, ca.tbs_certificate_bytes, ec.ECDSA(ca.signature_hash_algorithm))
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "coexist-probe")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return {
        "ca_subject": ca.subject.rfc4514_string(),
        "key": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        "cert": cert.public_bytes(serialization.Encoding.PEM).decode(),
    }


def _grpc(material: dict[str, str]) -> str:
    """A TLS gRPC call to a server in this process (grpcio's own TLS stack on both ends)."""
    import grpc

    def echo(request: bytes, context: object) -> bytes:
        return b"echo:" + request

    handler = grpc.method_handlers_generic_handler(
        "probe.Echo", {"Say": grpc.unary_unary_rpc_method_handler(echo)}
    )
    server = grpc.server(ThreadPoolExecutor(max_workers=2), handlers=[handler])
    credentials = grpc.ssl_server_credentials(
        [(material["key"].encode(), material["cert"].encode())]
    )
    port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    try:
        roots = grpc.ssl_channel_credentials(root_certificates=material["cert"].encode())
        with grpc.secure_channel(f"127.0.0.1:{port}", roots) as channel:
            reply = channel.unary_unary("/probe.Echo/Say")(b"hello", timeout=30)
    finally:
        server.stop(grace=None)
    if reply != b"echo:hello":
        raise AssertionError(f"gRPC answered {reply!r}")
    return reply.decode()


def _torch() -> float:
    import torch

    return float(torch.tensor([1.0, 2.0, 3.0]).sum().item())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--order", choices=["ours-first", "theirs-first"], required=True)
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--ca-file", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--expect-package-under", required=True)
    args = parser.parse_args()

    order = [OURS, *THEIRS] if args.order == "ours-first" else [*THEIRS, OURS]
    modules = {name: importlib.import_module(name) for name in order}
    results: dict[str, Any] = {"order": {"ok": True, "value": order}}

    import kubeflow

    def where() -> str:
        if not kubeflow.__file__ or not kubeflow.__file__.startswith(args.expect_package_under):
            raise AssertionError(f"kubeflow imported from {kubeflow.__file__}")
        return str(modules[OURS].__file__)

    def versions() -> dict[str, str]:
        from cryptography.hazmat.backends.openssl import backend

        return {
            "python ssl": modules["ssl"].OPENSSL_VERSION,
            "cryptography": backend.openssl_version_text(),
            "grpc": modules["grpc"].__version__,
            "torch": modules["torch"].__version__,
            # Which TLS copies this process holds: ours (bundled by auditwheel), Python's,
            # cryptography's and grpcio's (linked into their extensions).
            "mapped": sorted(
                {
                    line.split()[-1].rsplit("/", 2)[-2] + "/" + line.split()[-1].rsplit("/", 1)[-1]
                    for line in Path("/proc/self/maps").read_text().splitlines()
                    if any(k in line for k in ("libssl", "libcrypto", "_rust", "cygrpc"))
                }
            ),
        }

    _check(results, "wheel extension", where)
    _check(results, "versions", versions)
    _check(results, "ours https", lambda: _ours(args.kubeconfig))
    _check(results, "python https", lambda: _python(args.server, args.ca_file, args.token))
    _check(results, "both at once", lambda: _interleaved(args))
    material = _check(results, "cryptography x509", lambda: _cryptography(args.ca_file))
    if material is not None:
        _check(results, "grpc tls", lambda: _grpc(material))
        material.pop("key")
    _check(results, "torch", _torch)
    # The same answer from both stacks.
    ours, theirs = results["ours https"], results["python https"]
    if ours["ok"] and theirs["ok"] and ours["value"] != theirs["value"]:
        results["same answer"] = {"ok": False, "error": f"{ours['value']} != {theirs['value']}"}
    print(json.dumps(results), flush=True)
    return 0 if all(r["ok"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
