"""Convolution kernels drawn as a grid of small images: RGB filters for 3-channel inputs, else one
grey tile per (output, input) channel pair, blue for negative and red for positive weights."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

MAX_OUT = 64  # filters drawn (rows of tiles)
MAX_IN = 16  # input channels drawn per filter
GAP = 2


def is_conv_kernel(shape: tuple[int, ...]) -> bool:
    """A 4-D weight ``[out, in, kh, kw]`` with spatial extent: something worth drawing."""
    return len(shape) == 4 and shape[2] * shape[3] > 1


def filter_grid_image(kernel: np.ndarray, tile: int = 0) -> np.ndarray:
    """An ``H x W x 3`` uint8 grid of the kernels of ``kernel`` ``[out, in, kh, kw]``.

    3-channel inputs become RGB tiles (each filter scaled to 0..255 on its own); others use a
    diverging blue-white-red map scaled by the largest absolute weight. ``tile`` is the tile's
    pixel size (0: chosen from the kernel size).
    """
    kernel = np.asarray(kernel, dtype=np.float32)[:MAX_OUT]
    out_c, in_c, kh, kw = kernel.shape
    scale = tile // max(kh, kw) if tile else max(2, 24 // max(kh, kw))
    rgb = in_c == 3
    cols = 1 if rgb else min(in_c, MAX_IN)
    if rgb:  # one RGB image per filter, laid out in a square-ish grid
        per_row = int(np.ceil(np.sqrt(out_c)))
        rows, cols = int(np.ceil(out_c / per_row)), per_row
    else:
        rows = out_c
    th, tw = kh * scale, kw * scale
    grid = np.full((rows * (th + GAP) + GAP, cols * (tw + GAP) + GAP, 3), 128, np.uint8)
    limit = float(np.abs(kernel[np.isfinite(kernel)]).max(initial=0.0)) or 1.0
    for o in range(out_c):
        if rgb:
            r, c = divmod(o, cols)
            tiles = [(r, c, _rgb_tile(kernel[o]))]
        else:
            tiles = [(o, i, _diverging(kernel[o, i] / limit)) for i in range(cols)]
        for r, c, image in tiles:
            image = image.repeat(scale, axis=0).repeat(scale, axis=1)
            y, x = GAP + r * (th + GAP), GAP + c * (tw + GAP)
            grid[y:y + th, x:x + tw] = image
    return grid


def _rgb_tile(weights: np.ndarray) -> np.ndarray:
    image = np.nan_to_num(np.moveaxis(weights, 0, -1))
    low, high = image.min(), image.max()
    return ((image - low) / ((high - low) or 1.0) * 255).astype(np.uint8)


def _diverging(values: np.ndarray) -> np.ndarray:
    """-1 -> blue, 0 -> white, +1 -> red."""
    v = np.clip(np.nan_to_num(values), -1, 1)[..., None]
    white = np.ones(3, np.float32)
    red, blue = np.array([0.84, 0.19, 0.15], np.float32), np.array([0.17, 0.35, 0.75], np.float32)
    color = np.where(v >= 0, white + v * (red - white), white - v * (blue - white))
    return (color * 255).astype(np.uint8)


def to_qimage(array: np.ndarray) -> QImage:
    """A QImage owning a copy of an ``H x W x 3`` uint8 array."""
    array = np.ascontiguousarray(array)
    height, width, _ = array.shape
    return QImage(array.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


class FilterGrid(QWidget):
    """Shows a conv kernel's filters (scrollable), or a line saying why there is nothing to show."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidget(self.image)
        scroll.setWidgetResizable(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(scroll, 1)
        self.grid: np.ndarray | None = None
        self.show_kernel(None, "")

    def show_kernel(self, kernel: np.ndarray | None, name: str, message: str = "") -> None:
        """Draw ``kernel`` [out, in, kh, kw] (None: clear and show ``message``)."""
        if kernel is None:
            self.grid = None
            self.image.clear()
            self.caption.setText(f"<i>{message or 'Filters are drawn for convolution kernels'}</i>")
            return
        self.grid = filter_grid_image(kernel)
        self.image.setPixmap(QPixmap.fromImage(to_qimage(self.grid)))
        out_c, in_c = kernel.shape[:2]
        shown = min(out_c, MAX_OUT)
        what = "RGB filters" if in_c == 3 else f"filters × {min(in_c, MAX_IN)} of {in_c} input channels"
        self.caption.setText(f"{name}: {shown} of {out_c} {what} (blue < 0 < red)"
                             if in_c != 3 else f"{name}: {shown} of {out_c} {what}")
