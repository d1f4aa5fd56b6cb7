"""Live training curves: loss (raw and smoothed) and validation loss, accuracy, learning rate and
throughput, over steps or epochs, with hover values and a log scale.

The view never redraws per event: runs' :class:`RunCurves` fill numpy buffers; ``schedule_redraw``
starts a single-shot timer, so at most ~30 redraws a second (and none while nothing changes) touch the
curves whose buffers changed (pyqtgraph peak downsampling, clip to view, 1-px pens).
Several runs can be overlaid; each run then gets its own colour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from studio.ui.training.buffers import RAW_SUFFIX, RunCurves
from studio.ui.training.plot_style import plot_colors, style_plot, style_widget

REDRAW_MS = 33
MAX_MARKERS = 200  # validation points get a dot while there are at most this many (one point is no line)
PLOTS = (("loss", "Loss"), ("accuracy", "Accuracy"), ("lr", "Learning rate"), ("throughput", "Images/s"))
RUN_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


@dataclass(frozen=True)
class Series:
    """How one metric is drawn: in which plot, its legend label, colour and dash."""

    name: str
    plot: str
    label: str
    color: str
    dashed: bool = False
    faint: bool = False
    markers: bool = False  # sparse points (validations): a dot on each


SERIES = (
    Series("train/loss" + RAW_SUFFIX, "loss", "train loss", "#9ecae1", faint=True),
    Series("train/loss", "loss", "train loss (smoothed)", "#1f77b4"),
    Series("val/loss", "loss", "val loss", "#ff7f0e", dashed=True, markers=True),
    Series("train/accuracy", "accuracy", "train accuracy", "#1f77b4"),
    Series("val/accuracy", "accuracy", "val accuracy", "#ff7f0e", dashed=True, markers=True),
    Series("lr", "lr", "learning rate", "#2ca02c"),
    Series("images_per_s", "throughput", "images/s", "#9467bd"),
)
SERIES_BY_NAME = {series.name: series for series in SERIES}


class CurvesView(QWidget):
    """The plots of one or several runs (``set_runs``); redraws on its own timer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runs: list[tuple[str, RunCurves]] = []
        self._drawn: dict[tuple[str, str], int] = {}  # (run, series) -> buffer version drawn
        self._items: dict[tuple[str, str], pg.PlotDataItem] = {}
        self._column = 0  # 0: steps, 1: epochs
        self._lr_framed = False
        self.x_axis = QComboBox()
        self.x_axis.addItems(["steps", "epochs"])
        self.x_axis.currentIndexChanged.connect(self._set_column)
        self.log_scale = QCheckBox("log scale (loss, lr)")
        self.log_scale.toggled.connect(self._set_log)
        self.raw_loss = QCheckBox("raw loss")
        self.raw_loss.setChecked(True)
        self.raw_loss.toggled.connect(self._redraw_all)
        self.hover_label = QLabel(" ")
        self.hover_label.setTextFormat(Qt.TextFormat.RichText)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("x axis:"))
        bar.addWidget(self.x_axis)
        bar.addWidget(self.log_scale)
        bar.addWidget(self.raw_loss)
        bar.addStretch(1)
        self.graphics = pg.GraphicsLayoutWidget()
        style_widget(self.graphics)
        self.plots: dict[str, pg.PlotItem] = {}
        self._lines: dict[str, pg.InfiniteLine] = {}
        for i, (key, title) in enumerate(PLOTS):
            plot = self.graphics.addPlot(row=i // 2, col=i % 2)
            style_plot(plot, title)
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
            plot.showGrid(x=True, y=True, alpha=0.2)
            for axis in ("left", "bottom"):  # major grid lines only: the minor ones cost 5x the paint time
                plot.getAxis(axis).setStyle(maxTickLevel=0)
            legend_corner = (-5, -5) if key == "accuracy" else (-5, 5)  # away from where curves usually go
            plot.addLegend(offset=legend_corner, labelTextSize="8pt", labelTextColor=plot_colors()[1])
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888888", width=1))
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
            self.plots[key], self._lines[key] = plot, line
        first = self.plots[PLOTS[0][0]]
        for plot in self.plots.values():
            if plot is not first:
                plot.setXLink(first)
        self._proxy = pg.SignalProxy(self.graphics.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.hover_label)
        self._timer = QTimer(self)  # single shot: new data asks for one redraw, at most ~30 a second
        self._timer.setSingleShot(True)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self.redraw)

    # ---- content ---------------------------------------------------------------------------------
    def set_runs(self, runs: list[tuple[str, RunCurves]]) -> None:
        """Show these runs (label, curves); one run draws per-series colours, several one colour each."""
        for item in self._items.values():
            item.getViewBox().removeItem(item)
        for plot in self.plots.values():
            plot.legend.clear()
        self._items.clear()
        self._drawn.clear()
        self._runs = list(runs)
        self.redraw()

    def runs(self) -> list[tuple[str, RunCurves]]:
        return list(self._runs)

    def schedule_redraw(self) -> None:
        """New points arrived: redraw soon (several calls within ~33 ms make one redraw)."""
        if not self._timer.isActive():
            self._timer.start()

    def redraw(self) -> None:
        """Redraw every curve whose buffer changed since the last redraw."""
        for index, (label, curves) in enumerate(self._runs):
            for name, buffer in list(curves.buffers.items()):
                key = (label, name)
                if self._drawn.get(key) == buffer.version:
                    continue
                self._drawn[key] = buffer.version
                item = self._items.get(key) or self._make_item(index, label, name)
                if item is not None:
                    self._set_data(item, name, buffer.arrays())
        self._frame_flat_lr()

    def item(self, label: str, name: str) -> pg.PlotDataItem | None:
        """The curve drawn for series ``name`` of run ``label`` (tests and hover)."""
        return self._items.get((label, name))

    # ---- drawing ---------------------------------------------------------------------------------
    def _make_item(self, index: int, label: str, name: str) -> pg.PlotDataItem | None:
        series = SERIES_BY_NAME.get(name)
        if series is None:
            return None
        overlay = len(self._runs) > 1
        if overlay and series.faint:
            return None  # raw loss of several runs is noise over noise
        color = RUN_COLORS[index % len(RUN_COLORS)] if overlay else series.color
        style = Qt.PenStyle.DashLine if series.dashed else Qt.PenStyle.SolidLine
        pen = pg.mkPen(color, width=1, style=style)
        legend = f"{label}: {series.label}" if overlay else series.label
        item = pg.PlotDataItem(pen=pen, name=legend, skipFiniteCheck=True, symbolSize=5, symbolPen=None,
                               symbolBrush=color)
        item.setZValue(-1 if series.faint else 0)
        self.plots[series.plot].addItem(item)
        self._items[(label, name)] = item
        return item

    def _set_data(self, item: pg.PlotDataItem, name: str, arrays: tuple[np.ndarray, ...]) -> None:
        x, y = arrays[self._column], arrays[2]
        keep = np.isfinite(y) & np.isfinite(x)
        series = SERIES_BY_NAME[name]
        if self.log_scale.isChecked() and series.plot in ("loss", "lr"):
            keep &= y > 0
        if series.faint and not self.raw_loss.isChecked():
            keep[:] = False
        symbol = "o" if series.markers and np.count_nonzero(keep) <= MAX_MARKERS else None
        if item.opts["symbol"] != symbol:
            item.setSymbol(symbol)
        item.setData(x[keep], y[keep])

    def _frame_flat_lr(self) -> None:
        """A constant learning rate is drawn from 0 (auto range would centre it in ±0.5)."""
        plot = self.plots["lr"]
        values = [item.yData for item in plot.listDataItems() if item.yData is not None and len(item.yData)]
        if not values or self.log_scale.isChecked():
            return
        low, high = min(float(v.min()) for v in values), max(float(v.max()) for v in values)
        if high > 0 and high - low <= 1e-9 * high:
            plot.setYRange(0, high * 1.15, padding=0)
            self._lr_framed = True
        elif self._lr_framed:
            plot.enableAutoRange(axis="y")
            self._lr_framed = False

    def _redraw_all(self) -> None:
        self._drawn.clear()
        self.redraw()

    def _set_column(self, index: int) -> None:
        self._column = index
        for plot in self.plots.values():
            plot.setLabel("bottom", self.x_axis.currentText())
        self._redraw_all()
        for plot in self.plots.values():
            plot.enableAutoRange()

    def _set_log(self, on: bool) -> None:
        for key in ("loss", "lr"):
            self.plots[key].setLogMode(y=on)
        self._redraw_all()

    # ---- hover -----------------------------------------------------------------------------------
    def _on_mouse(self, event) -> None:
        position = event[0]
        for key, plot in self.plots.items():
            if plot.sceneBoundingRect().contains(position):
                x = plot.vb.mapSceneToView(position).x()
                self.show_values_at(key, x)
                return
        for line in self._lines.values():
            line.setVisible(False)

    def show_values_at(self, plot_key: str, x: float) -> str:
        """Put the guide line at ``x`` and list the nearest value of every curve of that plot."""
        for line in self._lines.values():
            line.setVisible(True)
            line.setValue(x)
        parts = []
        for (label, name), item in self._items.items():
            series = SERIES_BY_NAME[name]
            if series.plot != plot_key or not item.isVisible():
                continue
            curves = dict(self._runs).get(label)
            found = curves.buffers[name].value_at(x, self._column) if curves and name in curves else None
            if found is not None:
                prefix = f"{label}: " if len(self._runs) > 1 else ""
                parts.append(f"<span style='color:{item.opts['pen'].color().name()}'>"
                             f"{prefix}{series.label} = {found[1]:.4g}</span>")
        axis = self.x_axis.currentText()[:-1]
        text = f"{axis} {x:.4g}: " + ", ".join(parts) if parts else " "
        self.hover_label.setText(text)
        return text
