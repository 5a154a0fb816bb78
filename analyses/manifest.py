"""manifest.json: what an output was built from (log offsets or input hash, known_on, gazetteer)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_source(path: Path) -> dict[str, Any]:
    """A replay file as a source: its hash, and the replay's own manifest (offsets) if beside it."""
    info: dict[str, Any] = {
        "kind": "file",
        "path": str(path),
        "sha256": sha256_file(path),
        "bytes": path.stat().st_size,
    }
    upstream = sidecar(path)
    if upstream.exists():
        info["replay_manifest"] = json.loads(upstream.read_text("utf-8"))
    return info


def sidecar(path: Path) -> Path:
    """Where `popreg replay --out FILE` puts the manifest of FILE."""
    return path.with_name(path.name + ".manifest.json")


def kafka_source(bootstrap: str, topic: str, offsets: dict[int, tuple[int, int]], isolation: str) -> dict[str, Any]:
    return {
        "kind": "kafka",
        "bootstrap": bootstrap,
        "topic": topic,
        "isolation_level": isolation,
        "offsets": {str(p): {"from": lo, "to": hi} for p, (lo, hi) in sorted(offsets.items())},
    }


def write_manifest(
    out_dir: Path, body: dict[str, Any], files: list[str] | None = None, name: str = MANIFEST
) -> dict[str, Any]:
    """Write the manifest with a sha256 and size of every listed output file."""
    manifest = {"created_at": datetime.now(UTC).isoformat(timespec="seconds"), **body}
    if files is not None:
        manifest["files"] = {
            f: {"sha256": sha256_file(out_dir / f), "bytes": (out_dir / f).stat().st_size}
            for f in sorted(files)
            if (out_dir / f).exists()
        }
    (out_dir / name).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    return manifest


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"{directory} has no {MANIFEST}: not a popreg export")
    return json.loads(path.read_text("utf-8"))
