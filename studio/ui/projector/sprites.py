"""``SpriteSheet``: the engine's sprite atlas as Qt pixmaps, at full, half and quarter size.

Each point's thumbnail is one ``cell`` x ``cell`` square of a page; level ``L`` of the sheet holds the
same pages scaled by ``1 / 2**L``, so cell positions divide by ``2**L`` too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QRect
from PySide6.QtGui import QImage, QPixmap

from studio.engine.projector.sprites import SpriteAtlas

_FORMATS = {1: QImage.Format.Format_Grayscale8, 3: QImage.Format.Format_RGB888,
            4: QImage.Format.Format_RGBA8888}


def image_from_array(array: np.ndarray) -> QImage:
    """A QImage copy of a ``[H, W]``, ``[H, W, 1|3|4]`` uint8 array."""
    data = np.ascontiguousarray(array, dtype=np.uint8)
    if data.ndim == 2:
        data = data[:, :, None]
    height, width, channels = data.shape
    image = QImage(data.data, width, height, width * channels, _FORMATS[channels])
    return image.copy()


class SpriteSheet:
    """Pages per level of detail plus, for every point, its page and cell origin (level-0 pixels)."""

    def __init__(self, levels: Sequence[Sequence[np.ndarray | QImage]], cell: int, page: np.ndarray,
                 origin: np.ndarray) -> None:
        self.cell = int(cell)
        self.pixmaps: list[list[QPixmap]] = [
            [QPixmap.fromImage(p if isinstance(p, QImage) else image_from_array(p)) for p in pages]
            for pages in levels]
        self.page = np.asarray(page, dtype=np.int64)
        self.origin = np.asarray(origin, dtype=np.float64).reshape(-1, 2)
        if len(self.page) != len(self.origin):
            raise ValueError("one page index and one cell origin per point")
        self._origins = [self.origin / 2 ** level for level in range(len(self.pixmaps))]

    @classmethod
    def from_atlas(cls, atlas: SpriteAtlas) -> SpriteSheet:
        """The pixmaps of an engine ``SpriteAtlas`` (studio.engine.projector.sprites)."""
        return cls(atlas.levels, atlas.cell, atlas.page, atlas.origin)

    def __len__(self) -> int:
        return len(self.page)

    @property
    def pages(self) -> int:
        return len(self.pixmaps[0]) if self.pixmaps else 0

    @property
    def levels(self) -> int:
        return len(self.pixmaps)

    def origins(self, level: int) -> np.ndarray:
        """``[N, 2]`` cell origins in the pixels of level ``level``'s pages."""
        return self._origins[level]

    def thumbnail(self, index: int, level: int = 0) -> QPixmap:
        """Point ``index``'s thumbnail as its own pixmap."""
        level = min(level, self.levels - 1)
        factor = 2 ** level
        x, y = (self.origin[index] / factor).astype(int)
        size = self.cell // factor
        return self.pixmaps[level][int(self.page[index])].copy(QRect(int(x), int(y), size, size))
