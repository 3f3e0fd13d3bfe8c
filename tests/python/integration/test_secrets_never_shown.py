"""No credential is ever shown: bearer tokens (inline and tokenFile), client keys, exec-plugin
output and initializer credentials stay out of exception texts and attributes, reprs, log records
at every level and anything written to stdout or stderr, on success and on every error path.

Each test drives the real API server into the outcome it needs (401, 403, 404, 422, a bad
plugin), then greps everything the user could see for every secret it used.
"""

from __future__ import annotations

import base64
import logging
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubeflow.common.types import KubernetesBackendConfig
from kubeflow.trainer import (
    CustomTrainerContainer,
    HuggingFaceModelInitializer,
    Initializer,
    S3DatasetInitializer,
    TrainerClient,
)
from kubeflow.trainer.errors import (
    AuthError,
    ForbiddenError,
    KubeflowError,
    NotFoundError,
    UnauthorizedError,
    ValidationError,
)
from kubeflow.trainer.options import Labels
from tests.python.integration.k8s_sim import get_trainjob

HF_TOKEN = "hf_initializer_secret_7f3a9c"
S3_SECRET_KEY = "s3-secret-key-4b8e1d"
EXEC_TOKEN_MARK = "exec-plugin-secret-2c6f0a"


def _user(kubeconfig: str) -> dict:
    return yaml.safe_load(Path(kubeconfig).read_text())["users"][0]["user"]


def _key_lines(kubeconfig: str) -> list[str]:
    """The base64 lines of the admin's private key: any one of them shown is a leak."""
    pem = base64.b64decode(_user(kubeconfig)["client-key-data"]).decode()
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


def _described(value: Any, depth: int = 0) -> str:
    """Everything an exception or object shows: str, repr and, for exceptions, every attribute
    and the chained causes."""
    parts = [str(value), repr(value)]
    if isinstance(value, BaseException) and depth < 3:
        parts += [repr(v) for v in vars(value).values()]
        parts += [_described(v, depth + 1) for v in (value.__cause__, value.__context__) if v]
        parts += [repr(a) for a in value.args]
    return "\n".join(parts)


class Exposure:
    """Collects what a user sees during a test: texts added by the test, log records of every
    logger at DEBUG and up, and what reached the process's stdout and stderr (C++ included)."""

    def __init__(self, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]):
        self._caplog, self._capfd = caplog, capfd
        self.texts: list[str] = []

    def add(self, *values: Any) -> None:
        self.texts += [_described(v) for v in values]

    def assert_free_of(self, *secrets: str) -> None:
        out, err = self._capfd.readouterr()
        records = [f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in self._caplog.records]
        seen = "\n".join([*self.texts, *records, out, err])
        assert seen.strip(), "nothing was collected: the test would pass vacuously"
        for secret in secrets:
            assert secret and secret not in seen, "a secret was shown"


@pytest.fixture
def exposure(caplog, capfd) -> Iterator[Exposure]:
    caplog.set_level(logging.DEBUG)  # the root logger: every logger, every level
    yield Exposure(caplog, capfd)


def _client(kubeconfig: str, namespace: str | None = None) -> TrainerClient:
    return TrainerClient(KubernetesBackendConfig(config_file=kubeconfig, namespace=namespace))


def _write_kubeconfig(tmp_path: Path, base: str, name: str, user: dict) -> str:
    config = yaml.safe_load(Path(base).read_text())
    config["users"][0]["user"] = user
    path = tmp_path / f"{name}.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def _errors_of(client: TrainerClient) -> list[BaseException]:
    """The error of each call that fails on a fresh namespace, whoever the user is."""
    caught: list[BaseException] = []
    for call in (
        lambda: client.get_job("no-such-job"),
        lambda: client.get_job_logs("no-such-job"),
        lambda: client.delete_job("no-such-job"),
        lambda: client.get_runtime("no-such-runtime"),
        lambda: client.train(
            trainer=CustomTrainerContainer(image="example.com/img"),
            options=[Labels({"bad label": "x"})],
        ),
    ):
        with pytest.raises(KubeflowError) as raised:
            call()
        caught.append(raised.value)
    return caught


def test_a_bearer_token_is_never_shown(cluster, namespace, exposure, tmp_path):
    token = _user(cluster.token_kubeconfig)["token"]
    client = _client(cluster.token_kubeconfig, namespace)
    exposure.add(client, client.backend, client.list_jobs(), client.list_runtimes())
    caught = _errors_of(client)
    assert isinstance(caught[0], NotFoundError)
    assert isinstance(caught[-1], ValueError)  # the server refuses the label key (422)
    exposure.add(*caught)

    wrong = token[::-1]
    refused = _client(_write_kubeconfig(tmp_path, cluster.token_kubeconfig, "w", {"token": wrong}))
    with pytest.raises(UnauthorizedError) as raised:
        refused.list_jobs()
    exposure.add(refused, raised.value)
    exposure.assert_free_of(token, wrong)


def test_a_token_file_is_reread_when_it_rotates_and_never_shown(
    cluster, namespace, exposure, tmp_path
):
    admin, limited = (
        _user(cluster.token_kubeconfig)["token"],
        _user(cluster.limited_kubeconfig)["token"],
    )
    token_file = tmp_path / "token"
    token_file.write_text(admin + "\n")
    kubeconfig = _write_kubeconfig(
        tmp_path, cluster.token_kubeconfig, "file", {"tokenFile": str(token_file)}
    )
    client = _client(kubeconfig, cluster.limited_namespace)
    created = client.train(trainer=CustomTrainerContainer(image="example.com/img"))
    exposure.add(client, client.get_job(created))

    # Rotated, as a projected service-account token is: the next call uses the new one, and
    # the new identity (read-only in this namespace) is what the server sees.
    token_file.write_text(limited + "\n")
    assert created in [j.name for j in client.list_jobs()]  # the namespace is shared
    with pytest.raises(ForbiddenError) as forbidden:
        client.train(trainer=CustomTrainerContainer(image="example.com/img"))
    exposure.add(forbidden.value)

    token_file.write_text("revoked-" + limited[::-1] + "\n")
    with pytest.raises(UnauthorizedError) as refused:
        client.list_jobs()
    exposure.add(refused.value)
    token_file.write_text(admin + "\n")
    client.delete_job(created)
    exposure.assert_free_of(admin, limited, limited[::-1])


def test_a_client_key_is_never_shown(cluster, namespace, exposure):
    client = _client(cluster.admin_kubeconfig, namespace)
    exposure.add(client, client.backend, client.list_jobs(), *_errors_of(client))
    exposure.assert_free_of(*_key_lines(cluster.admin_kubeconfig))


PLUGIN = """\
import sys
mode, token = sys.argv[1], sys.argv[2]
if mode == "good":
    print('{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",'
          ' "status": {"token": "%s"}}' % token)
elif mode == "not-json":
    print("token=%s and nothing else" % token)
elif mode == "wrong-kind":
    print('{"apiVersion": "v1", "kind": "Secret", "status": {"token": "%s"}}' % token)
else:
    print(token)
    sys.exit(3)
"""


def _plugin_kubeconfig(tmp_path: Path, base: str, namespace: str, mode: str, token: str) -> str:
    script = tmp_path / "plugin.py"
    script.write_text(f"#!{sys.executable}\n{PLUGIN}")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": str(script),
            "args": [mode, token],
            "interactiveMode": "Never",
        }
    }
    path = _write_kubeconfig(tmp_path, base, mode, user)
    config = yaml.safe_load(Path(path).read_text())
    config["contexts"][0]["context"]["namespace"] = namespace
    Path(path).write_text(yaml.safe_dump(config))
    return path


def test_exec_plugin_output_is_never_shown(cluster, namespace, exposure, tmp_path):
    token = _user(cluster.token_kubeconfig)["token"]
    good = _client(_plugin_kubeconfig(tmp_path, cluster.token_kubeconfig, namespace, "good", token))
    exposure.add(good, good.list_jobs(), *_errors_of(good))

    fake = EXEC_TOKEN_MARK
    for mode in ("not-json", "wrong-kind", "fails"):
        broken = _client(
            _plugin_kubeconfig(tmp_path, cluster.token_kubeconfig, namespace, mode, fake)
        )
        with pytest.raises(AuthError) as raised:
            broken.list_jobs()
        exposure.add(broken, raised.value)
    refused = _client(
        _plugin_kubeconfig(tmp_path, cluster.token_kubeconfig, namespace, "good", fake)
    )
    with pytest.raises(UnauthorizedError) as raised:
        refused.list_jobs()
    exposure.add(raised.value)
    exposure.assert_free_of(token, fake)


def _initializer() -> Initializer:
    return Initializer(
        dataset=S3DatasetInitializer(
            storage_uri="s3://bucket/data",
            access_key_id="AKIDEXAMPLE",
            secret_access_key=S3_SECRET_KEY,
        ),
        model=HuggingFaceModelInitializer(storage_uri="hf://org/model", access_token=HF_TOKEN),
    )


def test_initializer_credentials_are_never_shown(cluster, namespace, exposure):
    initializer = _initializer()
    exposure.add(initializer, initializer.dataset, initializer.model)
    client = _client(cluster.token_kubeconfig, namespace)
    with pytest.raises(ValueError) as invalid:
        client.train(
            initializer=initializer,
            trainer=CustomTrainerContainer(image="example.com/img"),
            options=[Labels({"bad label": "x"})],
        )
    with pytest.raises(KubeflowError) as unknown_runtime:
        client.train(runtime="no-such-runtime", initializer=initializer)
    name = client.train(initializer=initializer)
    exposure.add(invalid.value, unknown_runtime.value, client.get_job(name), client.list_jobs())

    limited = _client(cluster.limited_kubeconfig)
    with pytest.raises(ForbiddenError) as forbidden:
        limited.train(initializer=initializer)
    exposure.add(forbidden.value)
    exposure.assert_free_of(HF_TOKEN, S3_SECRET_KEY)


def test_a_secret_ref_keeps_initializer_credentials_out_of_the_trainjob(cluster, namespace):
    client = _client(cluster.token_kubeconfig, namespace)
    name = client.train(
        initializer=Initializer(
            dataset=S3DatasetInitializer(storage_uri="s3://bucket/data", secret_ref="s3-creds"),
            model=HuggingFaceModelInitializer(storage_uri="hf://org/model", secret_ref="hf-token"),
        )
    )
    spec = get_trainjob(cluster, namespace, name)["spec"]["initializer"]
    assert spec["dataset"]["secretRef"] == {"name": "s3-creds"}
    assert spec["model"]["secretRef"] == {"name": "hf-token"}
    assert spec["dataset"].get("env", []) == []
    assert [e["name"] for e in spec["model"]["env"]] == ["IGNORE_PATTERNS"]


@pytest.mark.parametrize(
    "secret_ref,field",
    [
        ("Not_A_Secret_Name", "spec.initializer.model.secretRef.name"),
        ("", "spec.initializer.model.secretRef.name"),
        (42, "initializer.model.secret_ref"),
    ],
)
def test_a_bad_secret_ref_is_refused_and_nothing_is_created(cluster, namespace, secret_ref, field):
    client = _client(cluster.token_kubeconfig, namespace)
    model = HuggingFaceModelInitializer(storage_uri="hf://org/model", secret_ref=secret_ref)
    with pytest.raises(ValidationError) as raised:
        client.train(initializer=Initializer(model=model))
    assert raised.value.field == field
    assert client.list_jobs() == []
