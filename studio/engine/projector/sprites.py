"""Sprite atlas: a thumbnail per point packed into pages, with half and quarter size copies.

Point ``i`` sits on page ``i // per_page`` at cell ``i % per_page`` (row-major, ``columns`` cells per
row), so the index is a formula; ``page`` and ``origin`` spell it out for every point. Pages have no
size ceiling beyond ``max_page`` pixels a side: more points make more pages. Level ``L`` of the atlas
holds each page scaled by ``1 / 2**L`` (a 2x2 box filter), for drawing many small sprites quickly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from studio.engine.atomic import atomic_write, atomic_write_text
from studio.engine.jsonio import read_json
from studio.engine.projector.errors import Cancelled, ProjectorError

FORMAT = "studio.sprites/1"
LEVEL_NAMES = ("", "-half", "-quarter")


@dataclass(frozen=True, eq=False)
class SpriteAtlas:
    """``levels[L][p]`` is page ``p`` at level ``L`` as a uint8 ``[H, W, C]`` array (C = 1 or 3)."""

    cell: int
    columns: int
    per_page: int
    count: int
    levels: tuple[tuple[np.ndarray, ...], ...]

    @property
    def pages(self) -> tuple[np.ndarray, ...]:
        return self.levels[0]

    @property
    def page(self) -> np.ndarray:
        """``[N]`` page index of every point."""
        return np.arange(self.count) // self.per_page

    @property
    def origin(self) -> np.ndarray:
        """``[N, 2]`` (x, y) of every point's cell on its page, in level-0 pixels."""
        within = np.arange(self.count) % self.per_page
        return np.stack([within % self.columns, within // self.columns], axis=1) * self.cell

    def cell_of(self, index: int) -> tuple[int, int, int]:
        """``(page, x, y)`` of point ``index``'s thumbnail."""
        if not 0 <= index < self.count:
            raise IndexError(f"point {index} is not in the atlas of {self.count}")
        x, y = self.origin[index]
        return int(index // self.per_page), int(x), int(y)

    def thumbnail(self, index: int) -> np.ndarray:
        """The ``[cell, cell, C]`` thumbnail of point ``index``."""
        page, x, y = self.cell_of(index)
        return self.pages[page][y:y + self.cell, x:x + self.cell]

    def save(self, directory: str | Path, name: str = "sprites") -> Path:
        """Write ``name-000.png`` (and ``-half``/``-quarter`` copies) plus ``name.json``; returns the JSON."""
        directory = Path(directory)
        files = []
        for level, pages in enumerate(self.levels):
            names = [f"{name}-{p:03d}{LEVEL_NAMES[level]}.png" for p in range(len(pages))]
            for file, page in zip(names, pages, strict=True):
                save_png(directory / file, page)
            files.append(names)
        meta = {"format": FORMAT, "cell": self.cell, "columns": self.columns, "per_page": self.per_page,
                "count": self.count, "levels": files}
        return atomic_write_text(directory / f"{name}.json", json.dumps(meta, indent=1))

    @classmethod
    def load(cls, path: str | Path) -> SpriteAtlas:
        """Read an atlas saved by :meth:`save` (``path`` is its JSON file)."""
        path = Path(path)
        try:
            meta = read_json(path, f"the sprite atlas {path}", error=ProjectorError)
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise ProjectorError(f"{path} is not a Studio sprite atlas")
            levels = tuple(tuple(_read_png(path.parent / f) for f in names) for names in meta["levels"])
            return cls(int(meta["cell"]), int(meta["columns"]), int(meta["per_page"]), int(meta["count"]),
                       levels)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ProjectorError(f"cannot read the sprite atlas {path}: {exc}") from None


def build_atlas(images: np.ndarray, cell: int = 32, *, max_page: int = 4096, levels: int = 3,
                progress: Callable[[int, int], None] | None = None,
                should_stop: Callable[[], bool] | None = None) -> SpriteAtlas:
    """Pack ``images`` (uint8 ``[N, C, H, W]``, e.g. an image cache; resized to ``cell`` when needed)
    into pages of at most ``max_page`` pixels a side. ``levels`` counts the full, half and quarter size
    copies kept (fewer when ``cell`` does not halve evenly)."""
    count = len(images)
    if count == 0:
        raise ProjectorError("no images to make sprites of")
    if not 4 <= cell <= max_page:
        raise ProjectorError(f"the thumbnail size must be between 4 and {max_page} pixels, got {cell}")
    columns = max_page // cell
    per_page = columns * columns
    usable = 1
    while usable < min(levels, len(LEVEL_NAMES)) and cell % (2 ** usable) == 0 and cell // 2 ** usable >= 2:
        usable += 1
    pages = []
    for start in range(0, count, per_page):
        if should_stop is not None and should_stop():
            raise Cancelled("sprite atlas cancelled")
        stop = min(start + per_page, count)
        pages.append(_page(thumbnails(images[start:stop], cell), columns))
        if progress is not None:
            progress(stop, count)
    pyramid = [tuple(pages)]
    for _ in range(1, usable):
        pyramid.append(tuple(_half(page) for page in pyramid[-1]))
    return SpriteAtlas(cell, columns, per_page, count, tuple(pyramid))


def thumbnails(images: np.ndarray, cell: int, batch: int = 1024) -> np.ndarray:
    """``[N, cell, cell, C]`` uint8 thumbnails of uint8 ``[N, C, H, W]`` images (antialiased resize,
    a batch at a time; images already ``cell`` pixels are only transposed)."""
    array = np.asarray(images)
    if array.ndim != 4 or array.shape[1] not in (1, 3) or array.dtype != np.uint8:
        raise ProjectorError(f"sprites need uint8 images [N, 1 or 3, H, W], got {array.dtype} {array.shape}")
    if array.shape[2:] == (cell, cell):
        return np.ascontiguousarray(array.transpose(0, 2, 3, 1))
    out = np.empty((len(array), cell, cell, array.shape[1]), np.uint8)
    for lo in range(0, len(array), batch):
        x = torch.from_numpy(np.ascontiguousarray(array[lo:lo + batch]))
        x = x.contiguous(memory_format=torch.channels_last)  # torch's fast uint8 resize path
        x = F.interpolate(x, size=(cell, cell), mode="bilinear", antialias=True, align_corners=False)
        out[lo:lo + batch] = x.permute(0, 2, 3, 1).numpy()
    return out


def grid(thumbs: np.ndarray, columns: int, rows: int | None = None) -> np.ndarray:
    """Thumbnails ``[N, c, c, C]`` laid row-major ``columns`` wide, in ``rows`` rows (default: as few as
    hold them); unused cells are black."""
    count, cell, _, channels = thumbs.shape
    rows = rows or math.ceil(count / columns)
    padded = np.zeros((rows * columns, cell, cell, channels), np.uint8)
    padded[:count] = thumbs
    return padded.reshape(rows, columns, cell, cell, channels).transpose(0, 2, 1, 3, 4).reshape(
        rows * cell, columns * cell, channels)


def _page(thumbs: np.ndarray, columns: int) -> np.ndarray:
    return grid(thumbs, min(columns, len(thumbs)))


def _half(page: np.ndarray) -> np.ndarray:
    """Half size by a 2x2 box filter (PIL's ``reduce``, rounding to nearest)."""
    image = Image.fromarray(page[:, :, 0] if page.shape[2] == 1 else page).reduce(2)
    array = np.asarray(image)
    return array[:, :, None] if array.ndim == 2 else array


def save_png(path: Path, array: np.ndarray) -> Path:
    """Write a uint8 ``[H, W, 1|3]`` array as a PNG, atomically."""
    image = Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)
    return atomic_write(path, lambda tmp: image.save(tmp, format="PNG", compress_level=1))


def _read_png(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        array = np.asarray(image.convert("L" if image.mode in ("L", "1", "I;16") else "RGB"))
    return array[:, :, None] if array.ndim == 2 else array
