"""Kubeconfig problems surface from _core as one clear, typed exception naming file and field."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from kubeflow.common.types import KubernetesBackendConfig
from kubeflow.trainer import TrainerClient, _core, errors

SECRET = "dummy-secret-token-3f9a"


def _kubeconfig(user: str, current_context: str = "dev") -> str:
    return (
        f"current-context: {current_context}\n"
        "clusters:\n- name: c\n  cluster:\n    server: https://c.example.test\n"
        f"users:\n- name: alice\n  user:\n{user}"
        "contexts:\n- name: dev\n  context:\n    cluster: c\n    user: alice\n"
        "    namespace: team-dev\n"
    )


@dataclass(frozen=True)
class Case:
    """One broken setup and what its error must say."""

    name: str
    make: Callable[[Path], tuple[str, str | None]]  # writes files, returns (config_file, context)
    error: type[errors.KubeflowError]
    file: Callable[[Path], str]
    field: str
    message_parts: tuple[str, ...]


def _write(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.write_text(text)
    return str(path)


CASES = [
    Case(
        name="missing kubeconfig file",
        make=lambda tmp: (str(tmp / "absent.yaml"), None),
        error=errors.ConfigError,
        file=lambda tmp: str(tmp / "absent.yaml"),
        field="config_file",
        message_parts=("kubeconfig not found", "(from config_file)", "KubernetesBackendConfig"),
    ),
    Case(
        name="unknown context",
        make=lambda tmp: (_write(tmp, "config", _kubeconfig(f"    token: {SECRET}\n")), "prod"),
        error=errors.ConfigError,
        file=lambda tmp: str(tmp / "config"),
        field="contexts",
        message_parts=('context "prod" not found', "available contexts: dev"),
    ),
    Case(
        name="malformed YAML",
        make=lambda tmp: (_write(tmp, "config", f"users:\n- name: a\n  token: [{SECRET}\n"), None),
        error=errors.ConfigError,
        file=lambda tmp: str(tmp / "config"),
        field="",
        message_parts=("is not valid YAML: line ", "column"),
    ),
    Case(
        name="missing client-certificate file",
        make=lambda tmp: (
            _write(
                tmp,
                "config",
                _kubeconfig("    client-certificate: certs/me.crt\n    client-key: certs/me.key\n"),
            ),
            None,
        ),
        error=errors.AuthError,
        file=lambda tmp: str(tmp / "certs" / "me.crt"),
        field="users[alice].user.client-certificate",
        message_parts=("cannot read client certificate", "No such file or directory"),
    ),
    Case(
        name="exec credential plugin without apiVersion",
        make=lambda tmp: (
            _write(tmp, "config", _kubeconfig(f"    token: {SECRET}\n    exec: {{command: x}}\n")),
            None,
        ),
        error=errors.ConfigError,
        file=lambda tmp: str(tmp / "config"),
        field="users[alice].user.exec.apiVersion",
        message_parts=("users[alice].user.exec.apiVersion", "client.authentication.k8s.io/v1"),
    ),
]


def _via_core(config_file: str, context: str | None) -> None:
    _core.load_connection(config_file, context)


def _via_public_api(config_file: str, context: str | None) -> None:
    TrainerClient(KubernetesBackendConfig(config_file=config_file, context=context))


@pytest.mark.parametrize("load", [_via_core, _via_public_api], ids=["core", "public"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_kubeconfig_error_is_clear(
    case: Case, load: Callable[[str, str | None], None], tmp_path: Path
) -> None:
    config_file, context = case.make(tmp_path)
    with pytest.raises(errors.KubeflowError) as info:
        load(config_file, context)
    error = info.value
    assert type(error) is case.error
    assert isinstance(error, RuntimeError)
    message = str(error)
    assert case.file(tmp_path) in message
    assert error.file == case.file(tmp_path)
    assert error.field == case.field
    if case.field:
        assert case.field in message
    for part in case.message_parts:
        assert part in message
    assert error.hint and message.endswith(error.hint)
    assert SECRET not in message
    assert error.__cause__ is None
    assert error.__context__ is None
    rendered = "".join(traceback.format_exception(error))
    assert rendered.count("Error:") == 1  # one exception, no "During handling of ..." chain
    for noise in ("pybind11", ".cpp", "std::", "C++", "what()"):
        assert noise not in rendered


def test_kubeconfig_env_list_is_used_and_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _write(tmp_path, "first", _kubeconfig("    token: t1\n"))
    second = _write(tmp_path, "second", _kubeconfig("    token: t2\n", current_context="other"))
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'absent'}:{first}:{second}")
    info = _core.load_connection(None, None)
    assert (info.server, info.namespace, info.context) == (
        "https://c.example.test",
        "team-dev",
        "dev",
    )
    assert info.source == f"{first}:{second}"


def test_connection_info_exposes_no_secret(tmp_path: Path) -> None:
    config_file = _write(tmp_path, "config", _kubeconfig(f"    token: {SECRET}\n"))
    info = _core.load_connection(config_file, None)
    assert info.has_token and not info.has_client_cert
    public = {name for name in dir(info) if not name.startswith("_")}
    assert public == {"server", "namespace", "context", "source", "has_token", "has_client_cert"}
    assert all(SECRET not in str(getattr(info, name)) for name in public)
    assert SECRET not in repr(info)
    with pytest.raises(AttributeError):
        info.server = "https://elsewhere"  # type: ignore[misc]
