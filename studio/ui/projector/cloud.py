"""``CloudRenderer``: paints every point of a projection as a thumbnail or a dot, fast.

One frame: project the points to pixels and cull them with numpy, choose a level of detail (half or
quarter size atlas copies when so many points are visible that full-size thumbnails would cover the
screen many times over), then one ``drawPixmapFragments`` call for the colour frames and one per atlas
page for the thumbnails. Emphasised points (search matches, neighbours, the selection) are drawn again on
top of a faded layer, with outlines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPen

from studio.ui.projector import fragments as fr
from studio.ui.projector.camera import Camera
from studio.ui.projector.markers import dot_atlas, swatch_atlas
from studio.ui.projector.sprites import SpriteSheet

PIXEL_BUDGET = 16e6  # thumbnail pixels per frame before switching to smaller atlas copies
NEUTRAL = "#9aa0a6"  # colour of points without a colour (index -1)
ROLE_COLORS = {"matches": "#e6b800", "neighbours": "#1e90ff", "selected": "#ff4f1f", "hovered": "#d0208c"}
EMPHASIS_ORDER = ("matches", "neighbours", "selected")
MAX_OUTLINES = 2000  # emphasised points outlined one by one (outlines cost as much as thumbnails)
FRAME = 2  # px of colour frame around a thumbnail (1 px around small ones: a frame costs its area)


@dataclass
class CloudStyle:
    """How points look: ``mode`` "sprites" or "dots", sizes in pixels, colour frames on thumbnails."""

    mode: str = "sprites"
    sprite_size: int = 32
    dot_size: int = 8
    frames: bool = True
    fade: bool = True
    background: QColor = field(default_factory=lambda: QColor("#ffffff"))
    pixel_budget: float = PIXEL_BUDGET


@dataclass(frozen=True)
class Drawn:
    """What a frame drew, in drawing order: point ``order[i]`` at pixel ``positions[i]``, ``half[i]`` wide."""

    order: np.ndarray
    positions: np.ndarray
    half: np.ndarray
    level: int = 0
    size: float = 0.0


def choose_level(visible: int, size: float, cell: int, levels: int, budget: float) -> tuple[int, float]:
    """``(atlas level, drawn size)``: halve the size (at most twice) while the thumbnails would cover more
    than ``budget`` pixels, then draw from the smallest atlas copy still at least that large."""
    drawn, steps = float(size), 0
    while visible * drawn * drawn > budget and steps < 2:
        drawn, steps = drawn / 2, steps + 1
    level = int(np.floor(np.log2(max(cell / max(drawn, 1.0), 1.0))))
    return min(level, max(levels - 1, 0)), drawn


class CloudRenderer:
    """Holds the points (coordinates, colours, sprites, emphasis) and paints them for a camera."""

    def __init__(self) -> None:
        self.coords = np.zeros((0, 2))
        self.colors = np.zeros(0, dtype=np.int64)  # palette index per point, -1 for none
        self.palette: tuple[str, ...] = ()
        self.sheet: SpriteSheet | None = None
        self.emphasis: dict[str, np.ndarray] = {}

    def set_points(self, coords: np.ndarray, sheet: SpriteSheet | None = None) -> None:
        self.coords = np.asarray(coords, dtype=np.float64)[:, :2]
        self.sheet = sheet if sheet is not None and len(sheet) == len(self.coords) else None
        if len(self.colors) != len(self.coords):
            self.colors = np.full(len(self.coords), -1, dtype=np.int64)

    def set_colors(self, colors: np.ndarray, palette: tuple[str, ...]) -> None:
        self.colors = np.asarray(colors, dtype=np.int64)
        self.palette = tuple(palette)

    # ---- painting ---------------------------------------------------------------------------------
    def paint(self, painter: QPainter, camera: Camera, style: CloudStyle) -> Drawn:
        """Paint one frame on ``painter`` (a ``camera.width`` x ``camera.height`` device)."""
        base = self.paint_points(painter, camera, style)
        return self.paint_emphasis(painter, camera, style, base)

    def paint_points(self, painter: QPainter, camera: Camera, style: CloudStyle) -> Drawn:
        """The background and every visible point (without emphasis)."""
        painter.fillRect(0, 0, camera.width, camera.height, style.background)
        sprites, size = self._kind(style)
        screen = camera.to_screen(self.coords)
        order = self._visible(screen, camera, size / 2 + FRAME)
        level, drawn = self._level(len(order), size, sprites, style)
        order = self._draw(painter, screen, order, sprites, level, drawn, style.frames)
        return Drawn(order, screen[order], np.full(len(order), drawn / 2), level, drawn)

    def paint_emphasis(self, painter: QPainter, camera: Camera, style: CloudStyle, base: Drawn) -> Drawn:
        """Over a frame painted by :meth:`paint_points` (``base``): fade it, then draw the emphasised
        points again with outlines; returns ``base`` extended by them (they are on top for picking)."""
        emphasised = [(role, idx) for role in EMPHASIS_ORDER if len(idx := self.emphasis.get(role, ())) > 0]
        if not emphasised:
            return base
        if style.fade:
            fade = QColor(style.background)
            fade.setAlpha(170)
            painter.fillRect(0, 0, camera.width, camera.height, fade)
        sprites, size = self._kind(style)
        parts = [(base.order, base.positions, base.half)]
        for role, idx in emphasised:
            screen = camera.to_screen(self.coords[idx])
            keep = self._visible(screen, camera, size / 2 + FRAME)
            idx, screen = idx[keep], screen[keep]
            level, drawn = self._level(len(idx), size, sprites, style)
            if len(idx) <= MAX_OUTLINES:  # many matches stand out by the fade alone
                # under the images: overlapping ones stay visible, the group gets one coloured rim
                self.outline(painter, screen, drawn, ROLE_COLORS[role])
            order = self._draw(painter, screen, np.arange(len(idx)), sprites, level, drawn, style.frames,
                               points=idx)
            parts.append((idx[order], screen[order], np.full(len(idx), drawn / 2)))
        return Drawn(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                     np.concatenate([p[2] for p in parts]), base.level, base.size)

    def _kind(self, style: CloudStyle) -> tuple[bool, float]:
        sprites = style.mode == "sprites" and self.sheet is not None
        return sprites, float(style.sprite_size if sprites else style.dot_size)

    def _level(self, visible: int, size: float, sprites: bool, style: CloudStyle) -> tuple[int, float]:
        if not sprites:
            return 0, size
        return choose_level(visible, size, self.sheet.cell, self.sheet.levels, style.pixel_budget)

    @staticmethod
    def _visible(screen: np.ndarray, camera: Camera, margin: float) -> np.ndarray:
        x, y = screen[:, 0], screen[:, 1]
        keep = (x > -margin) & (x < camera.width + margin) & (y > -margin) & (y < camera.height + margin)
        return np.flatnonzero(keep)

    def _draw(self, painter: QPainter, screen: np.ndarray, idx: np.ndarray, sprites: bool, level: int,
              size: float, frames: bool, points: np.ndarray | None = None) -> np.ndarray:
        """Draw rows ``idx`` of ``screen`` (the positions of points ``points[idx]``, by default of points
        ``idx``); returns ``idx`` in the order drawn."""
        if len(idx) == 0:
            return idx
        ids = idx if points is None else points[idx]
        colors = self.palette + (NEUTRAL,)
        color_cell = np.where(self.colors[ids] < 0, len(colors) - 1, self.colors[ids])
        if not sprites:
            diameter = max(2, int(round(size)))
            atlas = dot_atlas(colors, diameter)
            frags = self._fragments(screen[idx], color_cell * (diameter + 2), 0, diameter + 2, 1.0)
            fr.draw_fragments(painter, frags, atlas)
            return idx
        if frames and self.palette:
            side = int(round(size)) + 2 * (FRAME if size >= 24 else 1)
            fr.draw_fragments(painter, self._fragments(screen[idx], color_cell * side, 0, side, 1.0),
                              swatch_atlas(colors, side))
        sheet = self.sheet
        cell = sheet.cell / 2 ** level
        origins = sheet.origins(level)
        pages = sheet.page[ids]
        groups = [np.arange(len(idx))] if sheet.pages == 1 else [np.flatnonzero(pages == p)
                                                                for p in range(sheet.pages)]
        for page, rows in enumerate(groups):
            if len(rows):
                on_page = idx[rows]
                origin = origins[ids[rows]]
                frags = self._fragments(screen[on_page], origin[:, 0], origin[:, 1], cell, size / cell)
                fr.draw_fragments(painter, frags, sheet.pixmaps[level][page])
        return np.concatenate([idx[rows] for rows in groups])

    @staticmethod
    def _fragments(centres: np.ndarray, left, top, cell: float, scale: float) -> np.ndarray:
        frags = fr.fragment_array(len(centres))
        frags[:, fr.X], frags[:, fr.Y] = centres[:, 0], centres[:, 1]
        frags[:, fr.SOURCE_LEFT], frags[:, fr.SOURCE_TOP] = left, top
        frags[:, fr.WIDTH] = frags[:, fr.HEIGHT] = cell
        frags[:, fr.SCALE_X] = frags[:, fr.SCALE_Y] = scale
        return frags

    @staticmethod
    def outline(painter: QPainter, centres: np.ndarray, size: float, color: str) -> None:
        """Square outlines around points of ``size`` px centred at ``centres``."""
        if len(centres) == 0:
            return
        side = size + 2 * FRAME + 2
        rects = np.empty((len(centres), 4))
        rects[:, :2] = centres - side / 2
        rects[:, 2:] = side
        painter.setPen(QPen(QColor(color), 2.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        fr.draw_rects(painter, rects)
