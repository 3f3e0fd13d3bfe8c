"""The Python side of the v1 converter: argument types, the Migration value, the local backend's
refusal, and the CLI's ``migrate`` in-process (the conversion itself: tests/cpp)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubeflow import trainer_cli
from kubeflow.trainer import (
    LocalProcessBackendConfig,
    Migration,
    MigrationNote,
    TrainerClient,
    migrate_v1_jobs,
)
from kubeflow.trainer.errors import ValidationError

FIXTURES = Path(__file__).resolve().parents[2] / "cpp" / "fixtures" / "v1"


def test_a_dict_a_yaml_text_and_a_list_convert_alike():
    text = (FIXTURES / "xgboostjob.yaml").read_text()
    job = yaml.safe_load(text)
    from_text = migrate_v1_jobs(text)
    assert migrate_v1_jobs(job) == from_text
    assert migrate_v1_jobs([job]) == from_text
    assert isinstance(from_text.report[0], MigrationNote)
    assert from_text.report_text().startswith("XGBoostJob/iris-xgb: ")


def test_to_yaml_reads_back_as_the_manifests():
    migration = migrate_v1_jobs((FIXTURES / "tfjob.yaml").read_text())
    assert list(yaml.safe_load_all(migration.to_yaml())) == migration.manifests


@pytest.mark.parametrize(
    ("jobs", "field"), [(42, "jobs"), ([{"kind": "x"}, 3], "jobs[1]"), (b"x", "jobs")]
)
def test_arguments_of_the_wrong_type_are_named(jobs, field):
    with pytest.raises(ValidationError) as raised:
        migrate_v1_jobs(jobs)
    assert raised.value.field == field


def test_allow_mxjob_must_be_a_bool():
    with pytest.raises(ValidationError, match="allow_mxjob"):
        migrate_v1_jobs({}, allow_mxjob="yes")  # type: ignore[arg-type]


def test_the_local_backend_has_no_v1_jobs():
    client = TrainerClient(LocalProcessBackendConfig())
    with pytest.raises(ValidationError, match="list_v1_jobs"):
        client.list_v1_jobs()
    with pytest.raises(ValidationError, match="create_migration"):
        client.create_migration(Migration(manifests=[]))


def test_cli_migrate_in_process(capsys):
    assert trainer_cli.main(["migrate", "-f", str(FIXTURES / "paddlejob.yaml"), "-o", "json"]) == 0
    out, err = capsys.readouterr()
    assert [i["kind"] for i in yaml.safe_load(out)["items"]] == ["TrainingRuntime", "TrainJob"]
    assert "note: PaddleJob/resnet-paddle: spec.elasticPolicy: not carried" in err
    assert trainer_cli.main(["migrate", "-f", str(FIXTURES / "mxjob.yaml")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "removed in v1.9" in err
