"""Bad arguments both backends must refuse the same way: a ValidationError (a ValueError) naming
the field, raised before anything is created. Used by tests/python/unit/test_argument_validation.py
(local backend) and tests/python/integration/test_k8s_argument_validation.py (Kubernetes)."""

from __future__ import annotations

from typing import Any

from kubeflow.trainer import CustomTrainer


def train_fn() -> None:
    print("trained")


#: Names no TrainJob can have; every method taking a name must refuse them before any request
#: (an empty name used to address the whole collection: delete_job("") deleted every job).
BAD_JOB_NAMES: list[Any] = ["", None, 5, b"job", "1abc", "Upper", "a/b", "x" * 64]

#: (id, method, extra keyword arguments) of the methods that take a job name.
NAME_METHODS: list[tuple[str, str, dict[str, Any]]] = [
    ("get_job", "get_job", {}),
    ("delete_job", "delete_job", {}),
    ("get_job_logs", "get_job_logs", {}),
    ("get_job_logs_follow", "get_job_logs", {"follow": True}),
    ("wait_for_job_status", "wait_for_job_status", {"timeout": 5, "polling_interval": 1}),
]

#: (id, CustomTrainer keyword arguments, the field the error names).
BAD_CUSTOM_TRAINERS: list[tuple[str, dict[str, Any], str]] = [
    ("packages-str", {"packages_to_install": "numpy"}, "trainer.packages_to_install"),
    ("packages-non-str", {"packages_to_install": ["numpy", 1]}, "trainer.packages_to_install[1]"),
    ("packages-empty-item", {"packages_to_install": [""]}, "trainer.packages_to_install[0]"),
    (
        "index-urls-str",
        {"packages_to_install": ["numpy"], "pip_index_urls": "https://index.example/simple"},
        "trainer.pip_index_urls",
    ),
    ("image-empty", {"image": ""}, "trainer.image"),
    ("image-int", {"image": 5}, "trainer.image"),
    ("num-nodes-0", {"num_nodes": 0}, "trainer.num_nodes"),
    ("num-nodes-false", {"num_nodes": False}, "trainer.num_nodes"),
    ("num-nodes-true", {"num_nodes": True}, "trainer.num_nodes"),
    ("num-nodes-negative", {"num_nodes": -1}, "trainer.num_nodes"),
    ("num-nodes-str", {"num_nodes": "2"}, "trainer.num_nodes"),
    ("num-nodes-float", {"num_nodes": 2.0}, "trainer.num_nodes"),
    ("num-nodes-2**31", {"num_nodes": 2**31}, "trainer.num_nodes"),
    ("env-none", {"env": {"A": None}}, "trainer.env['A']"),
    ("env-int", {"env": {"A": 1}}, "trainer.env['A']"),
    ("env-bytes", {"env": {"A": b"x"}}, "trainer.env['A']"),
    ("env-dict", {"env": {"A": {"b": "c"}}}, "trainer.env['A']"),
    ("env-nul", {"env": {"A": "x\0y"}}, "trainer.env['A']"),
    ("env-int-key", {"env": {1: "x"}}, "trainer.env key"),
    ("env-list", {"env": ["A=1"]}, "trainer.env"),
    ("resources-list", {"resources_per_node": ["cpu"]}, "trainer.resources_per_node"),
    ("resources-int-key", {"resources_per_node": {1: 2}}, "trainer.resources_per_node"),
    (
        "resources-huge",
        {"resources_per_node": {"cpu": 10**30}},
        "trainer.resources_per_node['cpu']",
    ),
    ("resources-bool", {"resources_per_node": {"cpu": True}}, "trainer.resources_per_node['cpu']"),
    ("func-args-nan", {"func_args": {"x": float("nan")}}, "trainer.func_args"),
]


#: The Kubernetes backend's field where it differs: there the core's validate_job_request owns
#: the value rule and names the TrainJob field it checks (the local backend has no core).
K8S_FIELDS: dict[str, str] = {
    "image-empty": "spec.trainer.image",
    "num-nodes-0": "spec.trainer.numNodes",
    "num-nodes-negative": "spec.trainer.numNodes",
    "env-nul": "spec.trainer.env[0].value",
    "resources-bool": 'resources_per_node["cpu"]',
    "runtime-empty": "spec.runtimeRef.name",
}


def custom_trainer(**kwargs: Any) -> CustomTrainer:
    return CustomTrainer(func=train_fn, **kwargs)


#: (id, train() keyword arguments, the field the error names).
BAD_TRAIN_ARGUMENTS: list[tuple[str, dict[str, Any], str]] = [
    ("runtime-int", {"runtime": 123}, "runtime"),
    ("runtime-empty", {"runtime": ""}, "runtime"),
    ("options-not-list", {"options": "Name"}, "options"),
    ("options-junk", {"options": [5]}, "options"),
]

#: (id, wait_for_job_status keyword arguments, the field the error names).
BAD_WAITS: list[tuple[str, dict[str, Any], str]] = [
    ("status-empty-set", {"status": set()}, "status"),
    ("status-unknown", {"status": {"Succeeded"}}, "status"),
    ("status-int", {"status": 5}, "status"),
    ("status-unhashable", {"status": [["Complete"]]}, "status"),
    ("timeout-nan", {"timeout": float("nan")}, "timeout"),
    ("timeout-inf", {"timeout": float("inf")}, "timeout"),
    ("timeout-str", {"timeout": "10"}, "timeout"),
    ("timeout-zero", {"timeout": 0}, "timeout"),
    ("timeout-bool", {"timeout": True}, "timeout"),
    ("interval-none", {"polling_interval": None}, "polling_interval"),
    ("interval-not-below-timeout", {"timeout": 5, "polling_interval": 5}, "polling_interval"),
]

BAD_STEPS: list[Any] = ["", None, 0]
