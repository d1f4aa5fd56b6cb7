"""Frame time of a full repaint of the projector view at 1280x800 with 10k and 50k thumbnails.

Compares Studio's ProjectorCanvas (one widget, numpy culling, one drawPixmapFragments call per atlas
page, half/quarter-size atlas copies when many points are visible) with the naive ways, measured in the
same run on the same points and thumbnails:
  - one QGraphicsPixmapItem per point in a QGraphicsView;
  - a pyqtgraph ScatterPlotItem with one QBrush(thumbnail) per point;
and, for reference, Studio without level of detail and pyqtgraph's plain coloured dots. "cpu" is the
CPU time of Studio's repaint: on a shared machine the wall-clock figures include waiting for a core.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/projector_render.py [--quick]

Thumbnails: at most 4096 distinct images (one 4096 px atlas page at 64 px) reused round-robin, so 50k x
64 px fits in memory; each point is still drawn from its own atlas cell.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from figures import Figures, add_json_option
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QApplication, QGraphicsPixmapItem, QGraphicsScene, QGraphicsView

from studio.engine.projector.sprites import build_atlas
from studio.ui.projector.canvas import ProjectorCanvas
from studio.ui.projector.sprites import SpriteSheet

WIDTH, HEIGHT = 1280, 800
TARGET_MS = 33.0
UNIQUE = 4096
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")


def make_points(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Ten Gaussian clusters filling the view, like a t-SNE layout."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count)
    angle = labels * (2 * np.pi / 10)
    coords = rng.normal(scale=1.2, size=(count, 2)) + np.stack([np.cos(angle), np.sin(angle)], 1) * 4
    return coords, labels


def make_sheet(count: int, cell: int, labels: np.ndarray) -> SpriteSheet:
    rng = np.random.default_rng(1)
    unique = min(count, UNIQUE)
    images = rng.integers(0, 120, (unique, 3, cell, cell), dtype=np.uint8)
    tint = (np.array([QColor(c).getRgb()[:3] for c in PALETTE], np.uint8) // 2)[labels[:unique]]
    images += tint[:, :, None, None]
    atlas = build_atlas(images, cell)
    full = SpriteSheet.from_atlas(atlas)
    reuse = np.arange(count) % unique
    return SpriteSheet([[p.toImage() for p in level] for level in full.pixmaps], cell, full.page[reuse],
                       full.origin[reuse])


def frame_ms(repaint, frames: int, cpu: bool = False) -> float:
    """Median milliseconds of ``repaint()`` over ``frames`` calls after one warm-up: wall-clock, or this
    process's CPU time with ``cpu`` (steadier when other programs compete for the cores)."""
    clock = time.process_time if cpu else time.perf_counter
    repaint()
    times = []
    for _ in range(frames):
        start = clock()
        repaint()
        times.append((clock() - start) * 1000)
    return statistics.median(times)


def studio_ms(coords, labels, sheet, cell: int, frames: int, lod: bool = True) -> tuple[float, float, str]:
    canvas = ProjectorCanvas()
    canvas.resize(WIDTH, HEIGHT)
    canvas.show()
    QApplication.processEvents()
    canvas.look.sprite_size = cell
    if not lod:
        canvas.look.pixel_budget = float("inf")
    canvas.set_points(coords, sheet)
    canvas.renderer.set_colors(labels, PALETTE)

    def repaint() -> None:
        canvas.refresh()  # drop the cached frame: a full repaint
        canvas.repaint()

    ms, cpu = frame_ms(repaint, frames), frame_ms(repaint, frames, cpu=True)
    drawn = canvas.drawn()
    canvas.close()
    return ms, cpu, f"{len(drawn.order)} drawn at {drawn.size:.0f} px (atlas level {drawn.level})"


def pixmap_items_ms(coords, sheet, cell: int, frames: int) -> float:
    scene = QGraphicsScene()
    pixmaps = [sheet.thumbnail(i) for i in range(min(len(coords), UNIQUE))]
    scale = 60.0
    for i, (x, y) in enumerate(coords):
        item = QGraphicsPixmapItem(pixmaps[i % len(pixmaps)])
        item.setOffset(-cell / 2, -cell / 2)
        item.setPos(x * scale, -y * scale)
        scene.addItem(item)
    view = QGraphicsView(scene)
    view.resize(WIDTH, HEIGHT)
    view.show()
    QApplication.processEvents()
    view.fitInView(scene.itemsBoundingRect())
    view.resetTransform()  # 1:1 so thumbnails keep their size, like the projector
    view.centerOn(0, 0)
    ms = frame_ms(view.viewport().repaint, frames)
    view.close()
    return ms


def pyqtgraph_ms(coords, labels, sheet, cell: int, frames: int, thumbnails: bool) -> float:
    import pyqtgraph as pg

    widget = pg.PlotWidget()
    widget.resize(WIDTH, HEIGHT)
    if thumbnails:
        pixmaps = [sheet.thumbnail(i) for i in range(min(len(coords), UNIQUE))]
        brushes = [QBrush(pixmaps[i % len(pixmaps)]) for i in range(len(coords))]
        item = pg.ScatterPlotItem(coords[:, 0], coords[:, 1], size=cell, symbol="s", brush=brushes,
                                  pen=None, pxMode=True)
    else:
        brushes = [pg.mkBrush(PALETTE[k]) for k in labels]
        item = pg.ScatterPlotItem(coords[:, 0], coords[:, 1], size=8, brush=brushes, pen=None, pxMode=True)
    widget.addItem(item)
    widget.show()
    QApplication.processEvents()
    ms = frame_ms(widget.viewport().repaint, frames)
    widget.close()
    return ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames, skip the slowest baseline")
    add_json_option(parser)
    args = parser.parse_args()
    figures = Figures("projector_render")
    app = QApplication.instance() or QApplication([])
    app.processEvents()
    frames = 3 if args.quick else 7
    print(f"projector repaint at {WIDTH}x{HEIGHT}, median of {frames} frames (ms); "
          f"target < {TARGET_MS:.0f} ms")
    print(f"{'points':>7} {'px':>3} | {'studio':>7} {'cpu':>5} {'no LOD':>7} | {'items':>7} {'pg brush':>8} "
          f"{'pg dots':>7} | {'items/studio':>12} {'brush/studio':>12} | drawn")
    for count, cell in ((10_000, 32), (50_000, 32), (10_000, 64), (50_000, 64)):
        coords, labels = make_points(count)
        sheet = make_sheet(count, cell, labels)
        ours, cpu, note = studio_ms(coords, labels, sheet, cell, frames)
        plain, _, _ = studio_ms(coords, labels, sheet, cell, max(2, frames // 2), lod=False)
        items = pixmap_items_ms(coords, sheet, cell, max(2, frames // 2))
        skip = args.quick and count > 10_000 and cell == 64
        brush = float("nan") if skip else pyqtgraph_ms(coords, labels, sheet, cell, 2, thumbnails=True)
        dots = pyqtgraph_ms(coords, labels, sheet, cell, frames, thumbnails=False)
        verdict = "ok" if ours < TARGET_MS else "OVER TARGET"
        print(f"{count:>7} {cell:>3} | {ours:>7.1f} {cpu:>5.1f} {plain:>7.1f} | {items:>7.1f} {brush:>8.1f} "
              f"{dots:>7.1f} | {items / ours:>11.1f}x {brush / ours:>11.1f}x | {note}; {verdict}")
        figures.add(f"repaint {count:,} x {cell} px", ours, "ms", baseline=items,
                    baseline_name="QGraphicsPixmapItem per point", target=f"< {TARGET_MS:.0f} ms",
                    passed=ours < TARGET_MS)
        del sheet
    app.processEvents()
    figures.write(args.json)


if __name__ == "__main__":
    main()
