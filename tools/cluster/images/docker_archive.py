"""Wraps root-filesystem tars (the first is the base, later ones are applied on top) into a
docker-archive (the `docker save` format) that `ctr images import` reads, tagged with every name
given. Layers stay uncompressed: the images live only in the node's containerd, so compressing
would cost time and save nothing."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import tarfile
from pathlib import Path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))


def write_archive(
    layers: list[Path], out: Path, tags: list[str], entrypoint: list[str], env: list[str]
) -> None:
    """Writes ``out`` holding ``layers`` (bottom first) as an image tagged ``tags``."""
    diff_ids = [_sha256(layer) for layer in layers]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": env, "Entrypoint": entrypoint or None, "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{d}" for d in diff_ids]},
        "history": [{"created_by": "tools/cluster/images/build.sh"}],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    layer_names = [f"{d}/layer.tar" for d in diff_ids]
    manifest = [{"Config": config_name, "RepoTags": tags, "Layers": layer_names}]
    with tarfile.open(out, "w") as archive:
        _add_bytes(archive, config_name, config_bytes)
        for layer, name in zip(layers, layer_names, strict=True):
            archive.add(layer, arcname=name)
        _add_bytes(archive, "manifest.json", json.dumps(manifest).encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("layers", type=Path, nargs="+")
    parser.add_argument("--tag", action="append", required=True)
    parser.add_argument("--entrypoint", action="append", default=[])
    parser.add_argument("--env", action="append", default=[])
    args = parser.parse_args()
    write_archive(args.layers, args.out, args.tag, args.entrypoint, args.env)


if __name__ == "__main__":
    main()
