"""The PKI of a test cluster, made with the openssl CLI: a CA and the API server's serving
certificate (127.0.0.1, localhost), a client CA and an admin client certificate, and the
service-account key pair; and how a secret file is written (0600, atomically)."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path

from .harness import ControlPlaneError

_OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def _openssl(*args: str, cwd: Path) -> None:
    if shutil.which("openssl") is None:
        raise ControlPlaneError("the openssl CLI is not installed (scripts/setup.sh installs it)")
    proc = subprocess.run(
        ["openssl", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise ControlPlaneError(f"openssl {' '.join(args)} failed:\n{proc.stdout}")


def generate_pki(pki: Path, admin_user: str) -> None:
    """CA + serving cert (127.0.0.1, localhost), client CA + client cert for `admin_user`
    (O=system:masters), and the service-account signing key, all in `pki`."""
    pki.mkdir(parents=True, exist_ok=True)
    (pki / "openssl.cnf").write_text(_OPENSSL_CONFIG)
    old_umask = os.umask(0o077)
    try:
        for key in ("ca", "apiserver", "client-ca", "admin", "sa"):
            _openssl(
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                f"{key}.key",
                cwd=pki,
            )
        for ca, cn in (("ca", "kubeflow-test-ca"), ("client-ca", "kubeflow-test-client-ca")):
            _openssl(
                "req",
                "-x509",
                "-new",
                "-key",
                f"{ca}.key",
                "-config",
                "openssl.cnf",
                "-extensions",
                "v3_ca",
                "-subj",
                f"/CN={cn}",
                "-days",
                "3650",
                "-out",
                f"{ca}.crt",
                cwd=pki,
            )
        for name, ca, subject, ext in (
            ("apiserver", "ca", "/CN=kube-apiserver", "v3_server"),
            ("admin", "client-ca", f"/O=system:masters/CN={admin_user}", "v3_client"),
        ):
            _openssl(
                "req",
                "-new",
                "-key",
                f"{name}.key",
                "-config",
                "openssl.cnf",
                "-subj",
                subject,
                "-out",
                f"{name}.csr",
                cwd=pki,
            )
            _openssl(
                "x509",
                "-req",
                "-in",
                f"{name}.csr",
                "-CA",
                f"{ca}.crt",
                "-CAkey",
                f"{ca}.key",
                "-set_serial",
                str(secrets.randbits(63)),
                "-days",
                "3650",
                "-extfile",
                "openssl.cnf",
                "-extensions",
                ext,
                "-out",
                f"{name}.crt",
                cwd=pki,
            )
        _openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)
    finally:
        os.umask(old_umask)


def write_private(path: Path, text: str) -> None:
    """Writes `text` to `path` readable by us alone (0600), atomically."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
