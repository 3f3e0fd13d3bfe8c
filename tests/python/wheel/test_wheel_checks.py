"""Each wheel (one per supported CPython) as PyPI and auditwheel see it: a manylinux tag that
PyPI accepts, with every library outside the manylinux base set bundled (``auditwheel show``),
and metadata that ``twine check`` passes."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile

# PyPI accepts manylinux_X_Y (PEP 600) and the legacy manylinux1/2010/2014 aliases.
MANYLINUX = re.compile(r"manylinux(_\d+_\d+|1|2010|2014)_x86_64")


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *argv], capture_output=True, text=True, check=False, timeout=300
    )


def test_wheel_has_a_manylinux_tag(each_wheel):
    platform = each_wheel.name.removesuffix(".whl").split("-")[-1]
    assert all(MANYLINUX.fullmatch(tag) for tag in platform.split(".")), each_wheel.name


def test_auditwheel_show_finds_it_consistent(each_wheel):
    """``auditwheel show`` agrees with the tag: the wheel needs nothing beyond its policy's
    base set (everything else is inside the wheel, under kubeflow.libs or statically linked)."""
    result = _run("auditwheel", "show", str(each_wheel))
    assert result.returncode == 0, result.stdout + result.stderr
    text = " ".join(result.stdout.split())
    print(text)
    tags = each_wheel.name.removesuffix(".whl").split("-")[-1].split(".")
    assert f'is consistent with the following platform tag: "{tags[0]}"' in text, text
    for library in ("libcurl", "libyaml-cpp", "libfmt", "libssl", "libcrypto"):
        # Bundled libraries are renamed (libssl-<hash>.so...); an unrenamed system one is not.
        assert not re.search(rf"\b{library}\.so", text), f"{library} is a system dependency"


def test_twine_check_passes(each_wheel):
    result = _run("twine", "check", "--strict", str(each_wheel))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASSED" in result.stdout


def test_wheel_carries_the_extension_and_the_typing_marker(each_wheel):
    names = zipfile.ZipFile(each_wheel).namelist()
    assert any(re.fullmatch(r"kubeflow/trainer/_core\.cpython-.*\.so", n) for n in names), names
    assert "kubeflow/trainer/_core.pyi" in names
