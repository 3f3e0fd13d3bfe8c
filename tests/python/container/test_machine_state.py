"""After the tier, the host is as it was: the engine's networks, rules, mounts, storage and
cgroups were all its own. Runs last in the tier (files run in name order): it stops the
session's engine itself, after the other tests ran jobs on it."""

from __future__ import annotations

from tests.support.podman_engine import host_state


def test_nothing_left_on_the_host(podman_engine):
    podman_engine.stop()
    assert not podman_engine.dir.exists()
    after = host_state()
    assert after == podman_engine.before
