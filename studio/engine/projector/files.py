"""Array bundles on disk: ``NAME.npz`` (numbers, no pickle) + ``NAME.json`` (the rest), both atomic.

The JSON is written last, so a reader that finds it also finds the complete arrays.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from studio.engine.atomic import atomic_write, atomic_write_text
from studio.engine.jsonio import read_json
from studio.engine.projector.errors import ProjectorError


def save_bundle(path: str | Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Path:
    """Write ``arrays`` to ``path`` (.npz) and ``meta`` to the .json beside it; returns the .npz path."""
    path = Path(path).with_suffix(".npz")

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]  # stub: a key could be allow_pickle

    atomic_write(path, write)
    atomic_write_text(path.with_suffix(".json"), json.dumps(meta, indent=1))
    return path


def load_bundle(path: str | Path, fmt: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a bundle written by :func:`save_bundle` whose JSON declares ``"format": fmt``."""
    path = Path(path).with_suffix(".npz")
    sidecar = path.with_suffix(".json")
    if not sidecar.exists() or not path.exists():
        raise ProjectorError(f"nothing saved at {path} (needs {path.name} and {sidecar.name})")
    try:
        meta = read_json(sidecar, error=ProjectorError)
        if not isinstance(meta, dict) or meta.get("format") != fmt:
            raise ProjectorError(f"{sidecar} is not a {fmt} file")
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, KeyError) as exc:
        raise ProjectorError(f"cannot read {path}: {exc}") from None
    return arrays, meta
