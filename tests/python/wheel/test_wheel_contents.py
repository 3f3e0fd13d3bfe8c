"""What the wheel says about itself and carries: metadata, license, typing, and an extension
that needs nothing outside the manylinux base libraries (docs/install.md)."""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Iterator
from email.parser import Parser
from pathlib import Path

import pytest
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile

import kubeflow
from tests.python.wheel.wheelhouse import SUPPORTED, built, wheelhouse

REPO_ROOT = Path(__file__).resolve().parents[3]

# The wheel tier's switch (scripts/test.sh): KUBEFLOW_TEST_WHEEL=1; the wheels: wheelhouse.py.
pytestmark = pytest.mark.skipif(
    os.environ.get("KUBEFLOW_TEST_WHEEL") != "1",
    reason="wheel tier: scripts/test.sh (KUBEFLOW_TEST_WHEEL=1)",
)


@pytest.fixture(scope="module", params=SUPPORTED, ids=lambda v: "cp" + v.replace(".", ""))
def wheel_path(request) -> Path:
    """Each supported version's built, repaired wheel in turn."""
    return built(request.param).wheel


@pytest.fixture(scope="module")
def wheel(wheel_path) -> Iterator[zipfile.ZipFile]:
    """The wheel, opened as the zip archive it is."""
    with zipfile.ZipFile(wheel_path) as archive:
        yield archive


# The manylinux policies' base libraries that our extension may need (PEP 600; auditwheel's
# policy list).
BASE_LIBRARIES = {
    "libstdc++.so.6",
    "libgcc_s.so.1",
    "libc.so.6",
    "libm.so.6",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "ld-linux-x86-64.so.2",
}


def _metadata(wheel):
    name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    return Parser().parsestr(wheel.read(name).decode())


def _extension(wheel) -> str:
    return next(n for n in wheel.namelist() if re.search(r"trainer/_core\..*\.so$", n))


def test_the_file_name_carries_a_manylinux_tag(wheel_path):
    pattern = r"kubeflow-[\w.]+-(cp3\d+)-(cp3\d+)-manylinux_2_\d+_x86_64\.whl"
    match = re.fullmatch(pattern, wheel_path.name)
    assert match
    assert match[1] == match[2]  # a CPython-specific wheel, not abi3


def test_the_wheelhouse_lists_every_supported_version():
    """scripts/wheel.sh's list of versions is this tier's (and pyproject.toml's, below)."""
    assert tuple(wheelhouse()) == SUPPORTED


def test_metadata_is_complete(wheel):
    meta = _metadata(wheel)
    assert meta["Name"] == "kubeflow"
    assert meta["Version"] == kubeflow.__version__  # the one place the version lives
    assert meta["Summary"]
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert meta["Requires-Python"] == ">=3.10"
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert {"Homepage", "Documentation", "Source", "Issues"} <= urls.keys()
    classifiers = meta.get_all("Classifier")
    assert "Typing :: Typed" in classifiers
    for version in SUPPORTED:
        assert f"Programming Language :: Python :: {version}" in classifiers
    assert meta.get_payload().startswith("# kubeflow")  # the README is the long description


def test_license_typing_marker_and_stub_are_shipped(wheel):
    names = wheel.namelist()
    license_file = next(n for n in names if n.endswith(".dist-info/licenses/LICENSE"))
    assert b"Apache License" in wheel.read(license_file)
    assert "kubeflow/py.typed" in names
    assert "kubeflow/trainer/_core.pyi" in names


def test_the_extension_needs_only_manylinux_base_libraries(wheel):
    elf = ELFFile(io.BytesIO(wheel.read(_extension(wheel))))
    dynamic = next(s for s in elf.iter_sections() if isinstance(s, DynamicSection))
    needed = {t.needed for t in dynamic.iter_tags() if t.entry.d_tag == "DT_NEEDED"}
    libs = [n for n in wheel.namelist() if n.startswith("kubeflow.libs/") and not n.endswith("/")]
    bundled = {n.split("/")[-1] for n in libs}
    assert needed <= BASE_LIBRARIES | bundled, needed - BASE_LIBRARIES - bundled
    # libcurl, OpenSSL, nghttp2, zlib and fmt are linked in; only yaml-cpp is bundled (renamed by
    # auditwheel: Debian's static yaml-cpp is not position-independent).
    assert [b.split("-")[0] for b in bundled] == ["libyaml"], bundled


def test_the_extension_exports_only_its_module_init(wheel):
    elf = ELFFile(io.BytesIO(wheel.read(_extension(wheel))))
    exported = {
        s.name
        for s in elf.get_section_by_name(".dynsym").iter_symbols()
        if s["st_shndx"] != "SHN_UNDEF" and s["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK")
    }
    # No OpenSSL/curl symbol can interpose on another copy in the process (issue: coexistence).
    assert exported == {"PyInit__core"}
