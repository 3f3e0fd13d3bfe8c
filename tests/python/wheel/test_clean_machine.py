"""Each wheel on a clean machine: Debian's python3 and nothing of the build (no libcurl, yaml-cpp,
fmt, compiler), plus the read-only prefix of the interpreters Debian lacks. ``pip install`` from
local wheels only into a venv of the wheel's version, then the extension loads with every
library resolved, lists the test control plane's runtimes and runs the local-backend example.
The tests taking ``clean_venv`` run once per supported version (cp310 to cp313)."""

from __future__ import annotations

import json

from kubeflow.trainer import KubernetesBackendConfig, TrainerClient
from tests.python.wheel.conftest import EXAMPLES_IN, KUBECONFIG_IN, VENV_IN, CleanVenv

# What the build links against (or bundles), by the name of its shared library or tool.
BUILD_ONLY = ("libcurl", "libyaml-cpp", "libfmt", "libnghttp2", "gcc", "g++", "cc1plus")


def test_image_has_none_of_the_build_dependencies(clean_machine):
    """The machine is clean: otherwise a wheel needing them would pass the tests below."""
    patterns = " -o ".join(
        f"-name '{name}*'" if name.startswith("lib") else f"-name '{name}'" for name in BUILD_ONLY
    )
    # The venvs hold the wheel's own bundled copies (renamed by auditwheel): not the machine's.
    # The mounted interpreters are searched too (other filesystems, which -xdev leaves out of /).
    roots = " ".join(["/", *clean_machine.prefixes])
    found = clean_machine.run(
        f"find {roots} -xdev -path '{VENV_IN}-*' -prune -o ! -type d \\( {patterns} \\) -print"
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == ""
    assert clean_machine.run("find / -xdev -name 'libc.so.6'").stdout  # find finds things


def test_extension_resolves_every_library(clean_venv: CleanVenv, figures):
    """``ldd`` of the installed extension names no missing library."""
    result = clean_venv.run(
        f"ldd {clean_venv.venv}/lib/python3*/site-packages/kubeflow/trainer/_core*.so"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    print(result.stdout)
    assert "=>" in result.stdout  # it is dynamically linked: ldd listed something
    assert "not found" not in result.stdout, result.stdout
    needed = sorted(line.split()[0] for line in result.stdout.splitlines() if "=>" in line)
    figures.append(f"{clean_venv.built.tag} extension on the clean machine needs: {needed}")


def test_installed_from_the_wheel(clean_venv: CleanVenv, figures):
    """The package imported is the wheel's, in the venv of the wheel's version (not a source
    tree), on that version of Python."""
    script = (
        "import time; t = time.perf_counter(); import kubeflow.trainer; "
        "t = time.perf_counter() - t; import kubeflow.trainer._core as c, sys; "
        "print(c.__file__, t, '%d.%d' % sys.version_info[:2])"
    )
    venv, wheel = clean_venv.venv, clean_venv.built.wheel
    result = clean_venv.run(
        f"cd / && {venv}/bin/python -c {_quote(script)} && {venv}/bin/pip show kubeflow"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    first, *rest = result.stdout.splitlines()
    path, seconds, version = first.split()
    assert path.startswith(f"{venv}/lib/python{clean_venv.built.version}/")
    assert version == clean_venv.built.version
    assert f"Version: {wheel.name.split('-')[1]}" in rest
    timings = dict(clean_venv.machine.timings)
    timings["venv + offline pip install"] = clean_venv.install_seconds
    figures.append(
        f"wheel: {wheel.name} {wheel.stat().st_size / 1e6:.1f} MB; on the clean machine "
        f"({clean_venv.python}): "
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
        + f", import kubeflow.trainer {float(seconds) * 1000:.0f} ms"
    )


def test_lists_the_control_planes_runtimes(clean_venv: CleanVenv, cluster):
    """From inside, TrainerClient lists the shipped ClusterTrainingRuntimes, the same the host
    sees through the build tree's extension."""
    script = (
        "import json; from kubeflow.trainer import KubernetesBackendConfig, TrainerClient; "
        f"c = TrainerClient(KubernetesBackendConfig(config_file={KUBECONFIG_IN!r})); "
        "print(json.dumps(sorted((r.name, r.trainer.framework) for r in c.list_runtimes())))"
    )
    result = clean_venv.run(f"cd / && {clean_venv.venv}/bin/python -c {_quote(script)}")
    assert result.returncode == 0, result.stdout + result.stderr
    inside = [tuple(r) for r in json.loads(result.stdout.splitlines()[-1])]
    host = TrainerClient(KubernetesBackendConfig(config_file=cluster.admin_kubeconfig))
    expected = sorted((r.name, r.trainer.framework) for r in host.list_runtimes())
    assert expected  # the control plane has the shipped runtimes
    assert inside == expected


def test_local_backend_example_runs(clean_venv: CleanVenv):
    """``make example``'s program trains to completion on the local backend."""
    result = clean_venv.run(
        f"cd /tmp && {clean_venv.venv}/bin/python {EXAMPLES_IN}/local_quickstart.py --epochs 2"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    print(result.stdout)
    assert "final metrics: test loss" in result.stdout
    assert ": Complete in " in result.stdout


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"
