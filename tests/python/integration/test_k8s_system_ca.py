"""A cluster whose kubeconfig names no CA is verified against the system's CA store, and
SSL_CERT_FILE / SSL_CERT_DIR choose that store (docs/install.md: the wheel's TLS)."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from kubeflow.trainer import KubernetesBackendConfig, TrainerClient
from kubeflow.trainer.errors import ConfigError


def _kubeconfig_without_ca(cluster, tmp_path: Path) -> str:
    config = yaml.safe_load(Path(cluster.token_kubeconfig).read_text())
    ca = config["clusters"][0]["cluster"].pop("certificate-authority-data")
    (tmp_path / "ca.crt").write_bytes(base64.b64decode(ca))
    path = tmp_path / "no-ca.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def _runtimes(kubeconfig: str, namespace: str) -> list[str]:
    client = TrainerClient(KubernetesBackendConfig(config_file=kubeconfig, namespace=namespace))
    return [r.name for r in client.list_runtimes()]


def test_the_system_store_does_not_trust_the_test_ca(cluster, namespace, tmp_path, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    kubeconfig = _kubeconfig_without_ca(cluster, tmp_path)
    with pytest.raises(ConfigError, match="cannot be verified"):
        _runtimes(kubeconfig, namespace)


def test_ssl_cert_file_names_the_trusted_bundle(cluster, namespace, tmp_path, monkeypatch):
    kubeconfig = _kubeconfig_without_ca(cluster, tmp_path)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.crt"))
    assert _runtimes(kubeconfig, namespace)


def test_ssl_cert_dir_names_a_hashed_certificate_directory(
    cluster, namespace, tmp_path, monkeypatch
):
    kubeconfig = _kubeconfig_without_ca(cluster, tmp_path)
    certs = tmp_path / "certs"
    certs.mkdir()
    shutil.copy(tmp_path / "ca.crt", certs / "test-ca.pem")
    subprocess.run(["openssl", "rehash", str(certs)], check=True)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", str(certs))
    assert _runtimes(kubeconfig, namespace)
