"""Ctrl-C interrupts a blocking wait promptly, and the wait's watch is closed."""

from __future__ import annotations

import signal
import threading

import pytest

from kubeflow.trainer import CustomTrainerContainer, KubernetesBackendConfig, TrainerClient


def test_ctrl_c_interrupts_wait_for_job_status(
    cluster, namespace, sigint_raises_keyboard_interrupt
) -> None:
    client = TrainerClient(
        KubernetesBackendConfig(config_file=cluster.admin_kubeconfig, namespace=namespace)
    )
    name = client.train(
        runtime="torch-distributed", trainer=CustomTrainerContainer(image="example.com/train:1")
    )
    timer = threading.Timer(0.5, signal.raise_signal, args=(signal.SIGINT,))
    timer.start()
    # The job never changes and the wait's own timeout is an hour: only the interrupt can end
    # it (if it were ignored, pytest-timeout would fail the test).
    with pytest.raises(KeyboardInterrupt):
        client.wait_for_job_status(name, timeout=3600)
    timer.join()
    # The client still works after the interrupt.
    assert client.get_job(name).status == "Created"
