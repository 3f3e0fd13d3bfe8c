"""Errors from the real API server surface as typed exceptions that keep the server's own words
and still subclass the built-in type upstream raises (kubeflow-sdk.md §9 "Exceptions")."""

from __future__ import annotations

import socket

import pytest
import yaml

from kubeflow.trainer import CustomTrainerContainer
from kubeflow.trainer.errors import (
    AlreadyExistsError,
    ApiError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    TransportError,
    ValidationError,
)
from kubeflow.trainer.options import Labels, Name
from tests.python.integration.k8s_sim import client, trainjob_names


def _set_deadline_zero(job_spec, trainer, backend):
    """A hand-made option, as users write them: ``option(job_spec, trainer, backend)``."""
    job_spec.setdefault("spec", {})["activeDeadlineSeconds"] = 0


@pytest.mark.parametrize(
    "options,field",
    [
        ([Name("Bad-Name")], "metadata.name"),
        ([Name("a" * 64)], "metadata.name"),
        ([Name("ok-name"), _set_deadline_zero], "spec.activeDeadlineSeconds"),
        (
            [
                Labels({"team": "ml"}),
                lambda spec, trainer, backend: spec["metadata"].update(labels={"n": 1}),
            ],
            'metadata.labels["n"]',
        ),
    ],
)
def test_local_checks_fail_before_any_request(cluster, namespace, options, field):
    c = client(cluster, namespace)
    with pytest.raises(ValidationError) as raised:
        c.train(options=options)
    assert isinstance(raised.value, ValueError)
    assert raised.value.field == field
    # Nothing was sent: not even the runtime lookup.
    assert c.backend.request_count == 0
    assert trainjob_names(cluster, namespace) == []


def test_upper_case_name_is_named_in_the_message(cluster, namespace):
    c = client(cluster, namespace)
    with pytest.raises(ValueError, match='invalid TrainJob name "Bad-Name"'):
        c.train(options=[Name("Bad-Name")])


def test_invalid_label_value_is_rejected_by_the_server_as_invalid_error(cluster, namespace):
    c = client(cluster, namespace)
    with pytest.raises(InvalidError) as raised:
        c.train(options=[Labels({"team": "has space"})])
    error = raised.value
    assert isinstance(error, ValueError) and isinstance(error, ApiError)
    assert isinstance(error, RuntimeError)  # upstream raises RuntimeError for any create failure
    assert error.status == 422
    assert error.reason == "Invalid"
    assert error.kind == "TrainJob" and error.namespace == namespace
    assert error.causes, "the server's field causes are kept"
    assert error.causes[0].field == "metadata.labels"
    assert 'Invalid value: "has space"' in error.causes[0].message
    # The server's own message, verbatim, inside ours.
    assert "is invalid: metadata.labels" in error.server_message
    assert error.server_message in str(error)
    assert trainjob_names(cluster, namespace) == []


def test_too_long_image_is_rejected_by_the_crd_schema(cluster, namespace):
    c = client(cluster, namespace)
    with pytest.raises(InvalidError) as raised:
        c.train(trainer=CustomTrainerContainer(image="example.com/" + "x" * 500))
    error = raised.value
    assert error.status == 422
    assert any(
        cause.field == "spec.trainer.image" and "Too long" in cause.message
        for cause in error.causes
    )
    assert "spec.trainer.image: Too long" in str(error)
    assert trainjob_names(cluster, namespace) == []


def test_name_clash_is_already_exists(cluster, namespace):
    c = client(cluster, namespace)
    c.train(options=[Name("twice")])
    with pytest.raises(AlreadyExistsError) as raised:
        c.train(options=[Name("twice")])
    assert isinstance(raised.value, RuntimeError)
    assert raised.value.status == 409 and raised.value.reason == "AlreadyExists"
    assert '"twice" already exists' in str(raised.value)


def test_limited_user_is_forbidden_to_train_but_may_list(cluster):
    c = client(cluster, cluster.limited_namespace, cluster.limited_kubeconfig)
    before = {j.name for j in c.list_jobs()}  # allowed: get/list/watch
    with pytest.raises(ForbiddenError) as raised:
        c.train(trainer=CustomTrainerContainer(image="example.com/img"))
    error = raised.value
    assert isinstance(error, RuntimeError)
    assert error.status == 403 and error.reason == "Forbidden"
    message = str(error)
    assert "create" in message and "trainjobs" in message
    assert '"kubeflow-test-limited" cannot create resource "trainjobs"' in error.server_message
    assert {j.name for j in c.list_jobs()} == before

    with pytest.raises(ForbiddenError, match="delete"):
        c.delete_job("anything")


def test_unreachable_server_is_a_transport_error(cluster, namespace, tmp_path):
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with open(cluster.admin_kubeconfig, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    for entry in config["clusters"]:
        entry["cluster"]["server"] = f"https://127.0.0.1:{port}"
    kubeconfig = tmp_path / "unreachable.kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config), encoding="utf-8")

    c = client(cluster, namespace, str(kubeconfig))
    with pytest.raises(TransportError) as raised:
        c.list_jobs()
    assert isinstance(raised.value, RuntimeError)
    assert isinstance(raised.value, ConnectionError)
    assert f"127.0.0.1:{port}" in str(raised.value)


def test_train_on_a_missing_runtime_is_not_found_and_creates_nothing(cluster, namespace):
    c = client(cluster, namespace)
    with pytest.raises(NotFoundError, match="no-such-runtime"):
        c.train(runtime="no-such-runtime")
    assert trainjob_names(cluster, namespace) == []
