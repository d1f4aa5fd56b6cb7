"""Pixmaps from decoded images: uint8 arrays ``(C, H, W)`` (C = 1 or 3) or image files on disk."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap

from studio.engine.filenames import shown_name


def array_pixmap(image: np.ndarray, size: int = 48) -> QPixmap:
    """A ``size``-pixel pixmap of a uint8 ``(C, H, W)`` image (nearest-neighbour, keeps pixels crisp)."""
    channels, height, width = image.shape
    if channels == 1:
        data = np.ascontiguousarray(image[0])
        qimage = QImage(data.data, width, height, width, QImage.Format.Format_Grayscale8)
    else:
        data = np.ascontiguousarray(image[:3].transpose(1, 2, 0))
        qimage = QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    pixmap = QPixmap.fromImage(qimage.copy())  # copy: the QImage must not outlive ``data``
    return pixmap.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.FastTransformation)


def file_pixmap(path: str, size: int = 96, sharp_upscale: bool = False) -> QPixmap:
    """A thumbnail of an image file (an empty pixmap when it cannot be read); ``sharp_upscale``
    enlarges small images with whole pixels instead of blurring them."""
    pixmap = QPixmap(path)
    if pixmap.isNull() and shown_name(path) != path:  # Qt cannot open a name that is not UTF-8
        with contextlib.suppress(OSError):
            pixmap.loadFromData(Path(path).read_bytes())
    if pixmap.isNull():
        return pixmap
    smooth = not sharp_upscale or max(pixmap.width(), pixmap.height()) > size
    return pixmap.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.SmoothTransformation if smooth
                         else Qt.TransformationMode.FastTransformation)
