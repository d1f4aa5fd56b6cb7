"""Histogram of one tensor's values (from the engine's TensorStats) with its summary beside it."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from studio.engine.checkpoints.stats import TensorStats
from studio.ui.format import bytes_text, shape_text


class HistogramView(QWidget):
    """A step histogram (pyqtgraph) and a text block with min/max/mean/std, zeros and NaN/inf."""

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
        self.summary.setMinimumWidth(190)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(pg.QtCore.Qt.TextFormat.RichText)
        layout = QHBoxLayout(self)
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
        rows = [("shape", shape_text(stats.shape)), ("type", stats.dtype), ("size", bytes_text(stats.nbytes)),
                ("min", _num(stats.min)), ("max", _num(stats.max)), ("mean", _num(stats.mean)),
                ("std", _num(stats.std)), ("zeros", f"{100 * stats.zero_fraction:.3g}%"),
                ("NaN", str(stats.nan_count)), ("inf", str(stats.inf_count))]
        body = "".join(f"<tr><td>{key}</td><td align='right'>&nbsp;{value}</td></tr>" for key, value in rows)
        self.summary.setText(f"<table>{body}</table>")


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.5g}"
