"""The uint8 image cache: every image decoded once into one ``(N, C, H, W)`` array.

The array lives in memory when it fits (``storage="auto"``), else in a disk memmap, so epochs after
the first never decode again and a batch is one numpy gather.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from studio.engine.data.decode import MAX_PIXELS, RESIZE_MODES, BadImage, decode_image
from studio.engine.data.decode_store import DecodeStore
from studio.engine.data.errors import DataError

STORAGES = ("auto", "memory", "disk")
Progress = Callable[[int, int], None]  # (images done, total)


class ImageCache:
    """Decoded images: ``images[i]`` is file ``i``; ``ok[i]`` is False for files that failed to decode
    (their row is zeros, the reason in ``failures[i]``). ``source_sizes[i]`` is (width, height).
    ``reused``: read from the persistent decode store instead of decoded."""

    def __init__(self, images: np.ndarray, ok: np.ndarray, failures: dict[int, str],
                 source_sizes: np.ndarray, source_modes: list[str], storage: str,
                 directory: Path | None = None, seconds: float = 0.0, reused: bool = False) -> None:
        self.images = images
        self.ok = ok
        self.failures = failures
        self.source_sizes = source_sizes
        self.source_modes = source_modes
        self.storage = storage
        self.seconds = seconds
        self.reused = reused
        self._directory = directory

    @property
    def shape(self) -> tuple[int, ...]:
        """Per-image shape ``(C, H, W)``."""
        return tuple(self.images.shape[1:])

    def __len__(self) -> int:
        return len(self.images)

    def close(self) -> None:
        """Release the memmap file of a disk cache (the cache is unusable afterwards)."""
        if self._directory is not None:
            self.images = np.empty((0, *self.images.shape[1:]), np.uint8)
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None


def load_images(paths: Sequence[str | os.PathLike], shape: Sequence[int], *, resize: str = "crop",
                workers: int | None = None, storage: str = "auto", directory: str | os.PathLike | None = None,
                max_pixels: int = MAX_PIXELS, progress: Progress | None = None,
                store: DecodeStore | None = None) -> ImageCache:
    """Decode ``paths`` into an :class:`ImageCache` of per-image ``shape`` ``(C, H, W)``.

    Files that fail are marked in ``cache.ok``/``cache.failures``, never raised. ``storage`` is
    ``memory``, ``disk`` (a memmap in ``directory`` or a temp folder) or ``auto`` (memory when the
    array takes under half the available RAM). With a ``store``, an earlier decode of the same files
    is reused (``cache.reused``) and a new one is kept for the next run.
    """
    channels, height, width = _check_shape(shape)
    if resize not in RESIZE_MODES:
        raise DataError(f"resize must be one of {', '.join(RESIZE_MODES)}, not {resize!r}")
    if storage not in STORAGES:
        raise DataError(f"cache storage must be one of {', '.join(STORAGES)}, not {storage!r}")
    count = len(paths)
    nbytes = count * channels * height * width
    if storage == "auto":
        storage = "memory" if nbytes <= _memory_budget() else "disk"
    key = store.key(paths, (channels, height, width), resize, max_pixels) if store is not None else None
    if store is not None and key is not None:
        start = time.perf_counter()
        entry = store.load(key, (count, channels, height, width), mmap=storage == "disk")
        if entry is not None:
            return ImageCache(entry.images, entry.ok, entry.failures, entry.source_sizes, entry.source_modes,
                              storage, seconds=time.perf_counter() - start, reused=True)
    folder = None
    if storage == "memory":
        images = np.zeros((count, channels, height, width), np.uint8)
    else:
        folder = Path(tempfile.mkdtemp(prefix="studio-cache-", dir=directory))
        images = np.lib.format.open_memmap(folder / "images.npy", mode="w+", dtype=np.uint8,
                                           shape=(count, channels, height, width))
    ok = np.zeros(count, bool)
    sizes = np.zeros((count, 2), np.int64)
    modes = [""] * count
    failures: dict[int, str] = {}
    start = time.perf_counter()

    def decode_chunk(bounds: tuple[int, int]) -> int:
        for i in range(*bounds):
            try:
                images[i], sizes[i], modes[i] = decode_image(paths[i], channels, height, width, resize,
                                                             max_pixels)
                ok[i] = True
            except BadImage as exc:
                failures[i] = str(exc)
        return bounds[1] - bounds[0]

    chunk = 64
    chunks = [(lo, min(lo + chunk, count)) for lo in range(0, count, chunk)]
    done = 0
    with ThreadPoolExecutor(max_workers=workers or min(8, os.cpu_count() or 1)) as pool:
        for n in pool.map(decode_chunk, chunks):
            done += n
            if progress is not None:
                progress(done, count)
    if isinstance(images, np.memmap):
        images.flush()
    seconds = time.perf_counter() - start
    if store is not None and key is not None:
        store.save(key, images, ok, failures, sizes, modes)
    return ImageCache(images, ok, failures, sizes, modes, storage, folder, seconds)


def _check_shape(shape: Sequence[int]) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise DataError("image data needs a model input of shape [channels, height, width], "
                        f"not {list(shape)}")
    channels, height, width = (int(v) for v in shape)
    if channels not in (1, 3):
        raise DataError(f"the model input has {channels} channels; images can feed 1 (gray) or 3 (RGB)")
    if height < 1 or width < 1:
        raise DataError(f"invalid image size {height}x{width}")
    return channels, height, width


def _memory_budget() -> int:
    """Half the available RAM (Linux/macOS), else 2 GiB."""
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        return 2 << 30
