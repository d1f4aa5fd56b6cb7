"""Decoded images kept between runs: a second run on the same folder skips decoding.

An entry is keyed by the files (absolute path, size, modification time, in order), the target shape,
the resize mode and the pixel limit, so a changed, added or removed file gives another key. It is two
files in the cache folder: ``<key>.npy`` (the uint8 ``(N, C, H, W)`` array) and ``<key>.json`` (the
files that failed and why, source sizes and modes), each written atomically, the JSON last: an entry
without it is incomplete and ignored. When the folder outgrows its cap the least recently used entries
go. The folder is ``$STUDIO_CACHE_DIR``, else ``$XDG_CACHE_HOME/studio/decoded`` (``~/.cache``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.engine.atomic import atomic_write, atomic_write_text
from studio.engine.data.errors import DataError
from studio.engine.jsonio import read_json

VERSION = 1
ENV_DIR = "STUDIO_CACHE_DIR"
STALE_SECONDS = 3600.0  # an array without metadata this old is a write that never finished


def default_dir() -> Path:
    """Where entries go unless a config names a folder."""
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "studio" / "decoded"


@dataclass(frozen=True)
class Entry:
    """A cached decode: ``images`` (in memory, or a copy-on-write memmap) and what ``load_images``
    reports."""

    images: np.ndarray
    ok: np.ndarray
    failures: dict[int, str]
    source_sizes: np.ndarray
    source_modes: list[str]


@dataclass(frozen=True)
class DecodeStore:
    """The cache folder ``root``, holding at most ``max_bytes``."""

    @classmethod
    def at(cls, folder: str | os.PathLike | None, max_mb: int) -> DecodeStore:
        """The store in ``folder`` (None: :func:`default_dir`) capped at ``max_mb`` MiB."""
        return cls(Path(folder) if folder else default_dir(), int(max_mb) << 20)

    root: Path
    max_bytes: int

    def key(self, paths: Sequence[str | os.PathLike], shape: Sequence[int], resize: str,
            max_pixels: int) -> str:
        """The entry name for these files (as they are now) decoded this way."""
        digest = hashlib.sha256(json.dumps([VERSION, [int(v) for v in shape], resize, max_pixels]).encode())
        for path in paths:
            try:
                stat = os.stat(path)
                signature = f"{stat.st_size}:{stat.st_mtime_ns}"
            except OSError:
                signature = "missing"
            # the name's bytes as the OS gives them (any name, also one that is not UTF-8)
            digest.update(os.fsencode(os.path.abspath(path)) + f"\0{signature}\n".encode())
        return digest.hexdigest()[:40]

    def load(self, key: str, shape: tuple[int, ...], mmap: bool) -> Entry | None:
        """The entry ``key`` if complete and of ``shape`` ``(N, C, H, W)`` (a memmap when ``mmap``: writes
        to it stay in this process)."""
        meta_path, array_path = self._paths(key)
        try:
            meta = read_json(meta_path, error=DataError)
            images = np.load(array_path, mmap_mode="c" if mmap else None, allow_pickle=False)
            if meta.get("version") != VERSION or images.shape != shape or images.dtype != np.uint8:
                return None
            failures = {int(k): str(v) for k, v in meta["failures"].items()}
            entry = Entry(images, np.array(meta["ok"], bool), failures,
                          np.array(meta["source_sizes"], np.int64).reshape(shape[0], 2), list(meta["modes"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, DataError):
            return None  # missing, half-written or damaged: decoded again
        if len(entry.ok) != shape[0] or len(entry.source_modes) != shape[0]:
            return None
        with contextlib.suppress(OSError):  # (a read-only cache folder still serves its entries)
            os.utime(meta_path)  # recently used: evicted last
        return entry

    def save(self, key: str, images: np.ndarray, ok: np.ndarray, failures: dict[int, str],
             source_sizes: np.ndarray, source_modes: list[str]) -> bool:
        """Store an entry (False when it alone exceeds the cap or the folder is not writable)."""
        if images.nbytes > self.max_bytes:
            return False
        meta_path, array_path = self._paths(key)
        meta = {"version": VERSION, "ok": ok.tolist(), "failures": {str(k): v for k, v in failures.items()},
                "source_sizes": source_sizes.tolist(), "modes": list(source_modes)}
        try:
            atomic_write(array_path, lambda tmp: _save_array(tmp, images))
            atomic_write_text(meta_path, json.dumps(meta))
            self._evict(keep=key)
        except OSError:
            return False
        return True

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.root / f"{key}.json", self.root / f"{key}.npy"

    def _evict(self, keep: str) -> None:
        """Drop the least recently used entries (and leftovers without metadata) beyond the cap."""
        entries: list[tuple[float, int, str]] = []
        for meta in self.root.glob("*.json"):
            array = meta.with_suffix(".npy")
            try:
                entries.append((meta.stat().st_mtime, meta.stat().st_size + array.stat().st_size, meta.stem))
            except OSError:
                meta.unlink(missing_ok=True)
        known = {stem for _, _, stem in entries}
        for leftover in [*self.root.glob("*.npy"), *self.root.glob(".*.tmp")]:
            if leftover.stem not in known and _age(leftover) > STALE_SECONDS:  # (not another's write)
                leftover.unlink(missing_ok=True)
        total = sum(size for _, size, _ in entries)
        for _, size, stem in sorted(entries):
            if total <= self.max_bytes:
                break
            if stem != keep:
                for path in self._paths(stem):
                    path.unlink(missing_ok=True)
                total -= size


def _save_array(path: Path, images: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.lib.format.write_array(handle, np.ascontiguousarray(images), allow_pickle=False)


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0
