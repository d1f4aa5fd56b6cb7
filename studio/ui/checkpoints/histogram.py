"""Histogram of one tensor's values (from the engine's TensorStats) with its summary below it."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from studio.engine.checkpoints.stats import TensorStats
from studio.ui.format import bytes_text, shape_text


class HistogramView(QWidget):
    """A step histogram (pyqtgraph) above two lines: shape, type, size, zeros, NaN/inf; min/max/mean/std."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background=None)
        self.plot.setMinimumHeight(150)
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.getPlotItem().hideButtons()
        self.plot.setLabel("bottom", "value")
        self.plot.setLabel("left", "count")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.curve = pg.PlotDataItem(stepMode="center", fillLevel=0, brush=(61, 111, 182, 110),
                                     pen=pg.mkPen((61, 111, 182), width=1), skipFiniteCheck=True)
        self.plot.addItem(self.curve)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(pg.QtCore.Qt.TextFormat.RichText)
        self.summary.setTextInteractionFlags(pg.QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.summary)
        self.stats: TensorStats | None = None
        self.show_stats(None)

    def show_stats(self, stats: TensorStats | None, message: str = "Select a tensor") -> None:
        """Plot ``stats`` (None: clear and show ``message``)."""
        self.stats = stats
        if stats is None or not stats.histogram:
            self.curve.setData([], [])
            self.plot.setTitle(None)
            self.summary.setText(f"<i>{message if stats is None else 'no finite values'}</i>")
            return
        edges = np.asarray(stats.edges, dtype=np.float64)
        counts = np.asarray(stats.histogram, dtype=np.float64)
        self.curve.setData(edges, counts)
        self.plot.setTitle(stats.name, size="9pt")
        self.plot.enableAutoRange()
        first = [shape_text(stats.shape), stats.dtype, bytes_text(stats.nbytes),
                 f"zeros {100 * stats.zero_fraction:.3g}%", f"NaN {stats.nan_count}",
                 f"inf {stats.inf_count}"]
        second = [f"{key} <b>{_num(value)}</b>" for key, value in
                  (("min", stats.min), ("max", stats.max), ("mean", stats.mean), ("std", stats.std))]
        self.summary.setText(" · ".join(first) + "<br>" + " · ".join(second))


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.4g}"
