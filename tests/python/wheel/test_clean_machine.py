"""The wheel on a clean machine: Debian's python3 and nothing of the build (no libcurl, yaml-cpp,
fmt, compiler). ``pip install`` from local wheels only, then the extension loads with every
library resolved, lists the test control plane's runtimes and runs the local-backend example."""

from __future__ import annotations

import json

from kubeflow.trainer import KubernetesBackendConfig, TrainerClient
from tests.python.wheel.conftest import EXAMPLES_IN, KUBECONFIG_IN, VENV_IN

# What the build links against (or bundles), by the name of its shared library or tool.
BUILD_ONLY = ("libcurl", "libyaml-cpp", "libfmt", "libnghttp2", "gcc", "g++", "cc1plus")


def test_image_has_none_of_the_build_dependencies(clean_machine):
    """The machine is clean: otherwise a wheel needing them would pass the tests below."""
    patterns = " -o ".join(
        f"-name '{name}*'" if name.startswith("lib") else f"-name '{name}'" for name in BUILD_ONLY
    )
    # The venv holds the wheel's own bundled copies (renamed by auditwheel): not the machine's.
    found = clean_machine.run(
        f"find / -xdev -path {VENV_IN} -prune -o ! -type d \\( {patterns} \\) -print"
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == ""
    assert clean_machine.run("find / -xdev -name 'libc.so.6'").stdout  # find finds things


def test_extension_resolves_every_library(clean_machine):
    """``ldd`` of the installed extension names no missing library."""
    result = clean_machine.run(
        f"ldd {VENV_IN}/lib/python3*/site-packages/kubeflow/trainer/_core*.so"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    print(result.stdout)
    assert "=>" in result.stdout  # it is dynamically linked: ldd listed something
    assert "not found" not in result.stdout, result.stdout


def test_installed_from_the_wheel(clean_machine, wheel, figures):
    """The package imported is the wheel's, in the venv (not a source tree)."""
    script = (
        "import time; t = time.perf_counter(); import kubeflow.trainer; "
        "t = time.perf_counter() - t; import kubeflow.trainer._core as c; print(c.__file__, t)"
    )
    result = clean_machine.run(
        f"cd / && {VENV_IN}/bin/python -c {_quote(script)} && {VENV_IN}/bin/pip show kubeflow"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    first, *rest = result.stdout.splitlines()
    path, seconds = first.split()
    assert path.startswith(f"{VENV_IN}/lib/python3")
    version = wheel.name.split("-")[1]
    assert f"Version: {version}" in rest
    figures.append(
        f"wheel: {wheel.name} {wheel.stat().st_size / 1e6:.1f} MB; on the clean machine: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in clean_machine.timings.items())
        + f", import kubeflow.trainer {float(seconds) * 1000:.0f} ms"
    )


def test_lists_the_control_planes_runtimes(clean_machine, cluster):
    """From inside, TrainerClient lists the shipped ClusterTrainingRuntimes, the same the host
    sees through the build tree's extension."""
    script = (
        "import json; from kubeflow.trainer import KubernetesBackendConfig, TrainerClient; "
        f"c = TrainerClient(KubernetesBackendConfig(config_file={KUBECONFIG_IN!r})); "
        "print(json.dumps(sorted((r.name, r.trainer.framework) for r in c.list_runtimes())))"
    )
    result = clean_machine.run(f"cd / && {VENV_IN}/bin/python -c {_quote(script)}")
    assert result.returncode == 0, result.stdout + result.stderr
    inside = [tuple(r) for r in json.loads(result.stdout.splitlines()[-1])]
    host = TrainerClient(KubernetesBackendConfig(config_file=cluster.admin_kubeconfig))
    expected = sorted((r.name, r.trainer.framework) for r in host.list_runtimes())
    assert expected  # the control plane has the shipped runtimes
    assert inside == expected


def test_local_backend_example_runs(clean_machine):
    """``make example``'s program trains to completion on the local backend."""
    result = clean_machine.run(
        f"cd /tmp && {VENV_IN}/bin/python {EXAMPLES_IN}/local_quickstart.py --epochs 2"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    print(result.stdout)
    assert "final metrics: test loss" in result.stdout
    assert ": Complete in " in result.stdout


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"
