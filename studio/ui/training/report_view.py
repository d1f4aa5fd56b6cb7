"""The data report before (or of) a run: counts per class as a bar chart, sample thumbnails per class,
skipped files with their reasons, image sizes and the engine's warnings.

It shows a report dict (``DataReport.to_dict()``, also ``data_report.json`` of a run) and thumbnails
the caller made, so a live check and a run directory look the same.
"""

from __future__ import annotations

import html
import math
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.engine.filenames import shown_name
from studio.ui.elided import ElidedLabel
from studio.ui.scrolling import VerticalScroll
from studio.ui.training.layouts import column
from studio.ui.training.plot_style import style_plot, style_widget
from studio.ui.training.thumb_rows import ThumbRows

PLACEHOLDER = "Choose a folder and press Check data to see what Studio will train on."
MIN_LABEL_PX = 44  # a class name gets at least this much room on the chart's axis, else it is skipped


class ClassAxis(pg.AxisItem):
    """An axis of class names that never run together: each name is elided in the middle to the room
    its class has, and when even that is too little, only every n-th class is named."""

    def __init__(self, orientation: str = "bottom") -> None:
        super().__init__(orientation)
        self.names: list[str] = []
        self._label_px = MIN_LABEL_PX

    def set_names(self, names: list[str]) -> None:
        self.names = list(names)
        self.picture = None  # redraw the ticks
        self.update()

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 - pyqtgraph naming
        if not self.names or size <= 0 or maxVal <= minVal:
            return []
        per_class = size / (maxVal - minVal)
        step = max(1, math.ceil(MIN_LABEL_PX / per_class))
        self._label_px = int(per_class * step) - 6
        first, last = max(0, math.ceil(minVal)), min(len(self.names) - 1, math.floor(maxVal))
        return [(step, [i for i in range(first, last + 1) if i % step == 0])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph naming
        metrics = QFontMetrics(self.style.get("tickFont") or QFont())
        return [metrics.elidedText(self.names[int(v)], Qt.TextElideMode.ElideMiddle, self._label_px)
                if 0 <= int(v) < len(self.names) else "" for v in values]


def report_summary(report: dict[str, Any]) -> str:
    """Rich text: totals, sizes, modes, input shape, normalisation and split of a report dict."""
    counts = report.get("counts", {})
    names = report.get("class_names", [])
    train, val = sum(counts.get("train", [])), sum(counts.get("val", []))
    lines = [f"<b>{train:,}</b> training and <b>{val:,}</b> validation images in <b>{len(names)}</b> classes",
             f"folder: {html.escape(shown_name(str(report.get('root', ''))))}"]
    if report.get("val_root"):
        lines.append(f"validation folder: {html.escape(shown_name(str(report['val_root'])))}")
    split = report.get("split") or {}
    if split.get("mode") == "fraction":
        lines.append(f"split: {split.get('fraction', 0):.0%} held out for validation "
                     f"(seed {split.get('seed')})")
    sizes = report.get("image_sizes") or {}
    if sizes:
        w, h = sizes.get("width", {}), sizes.get("height", {})
        lines.append(f"source sizes: width {w.get('min')}–{w.get('max')} (mean {w.get('mean')}), "
                     f"height {h.get('min')}–{h.get('max')} (mean {h.get('mean')})")
    modes = report.get("modes") or {}
    if modes:
        lines.append("modes: " + ", ".join(f"{mode or '?'} {n}" for mode, n in modes.items()))
    shape = report.get("input_shape")
    if shape:
        lines.append(f"decoded to {'×'.join(str(v) for v in shape)} ({report.get('storage', '?')} cache, "
                     f"{report.get('decode_seconds', 0):.2f} s)")
    norm = report.get("normalization") or {}
    if norm.get("mean"):
        lines.append("normalised with mean " + ", ".join(f"{v:.3f}" for v in norm["mean"])
                     + " / std " + ", ".join(f"{v:.3f}" for v in norm.get("std", [])))
    return "<br>".join(lines)


class ReportView(QWidget):
    """Shows one data report; ``show_report(report, thumbnails)``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = ElidedLabel()  # "Check of /a/long/folder": the folder's own name stays in view
        bold = self.source.font()
        bold.setBold(True)
        self.source.setFont(bold)
        self.source.hide()
        self.summary = QLabel(PLACEHOLDER)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warnings = QLabel()
        self.warnings.setTextFormat(Qt.TextFormat.RichText)  # escaped once, in show_report
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #b8860b;")
        self.warnings.hide()
        self.axis = ClassAxis()
        self.chart = pg.PlotWidget(axisItems={"bottom": self.axis})
        style_widget(self.chart)
        style_plot(self.chart.getPlotItem(), "Images per class<br><span style='color:#1f77b4'>training</span>"
                   " + <span style='color:#ff7f0e'>validation</span>")  # two lines: whole on a narrow chart
        self.chart.setMinimumSize(200, 170)
        self.chart.setMouseEnabled(x=False, y=False)
        self.thumbs = ThumbRows()
        scroll = VerticalScroll(self.thumbs)  # a row of thumbnails per class (as many as fit), up and down
        self.skipped = QTableWidget(0, 2)
        self.skipped.setHorizontalHeaderLabels(["skipped file", "reason"])
        self.skipped.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)  # both fit
        self.skipped.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # the file name at the end shows
        self.skipped.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.skipped.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.skipped.verticalHeader().hide()
        self.skipped.hide()  # until a file was skipped
        self.skipped_title = QLabel("Skipped files: none")
        self.skipped_title.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        top = QSplitter()
        top.addWidget(column(self.source, self.summary, self.warnings, stretch_last=False))
        top.addWidget(self.chart)
        top.setSizes([330, 330])
        self.summary.setMinimumWidth(160)
        splitter = QSplitter(Qt.Orientation.Vertical)  # stacked: each part has the report's width
        splitter.addWidget(top)
        splitter.addWidget(column(QLabel("Samples per class (as the model sees them)"), scroll))
        splitter.addWidget(column(self.skipped_title, self.skipped))
        splitter.setSizes([240, 300, 140])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.report: dict[str, Any] | None = None

    def show_report(self, report: dict[str, Any], thumbnails: list[tuple[str, list[QPixmap]]] = (),
                    source: str = "") -> None:
        """Fill every part from ``report`` (a DataReport dict) and per-class ``thumbnails``; ``source``
        says what it is of ("Check of FOLDER", "Data of run NAME")."""
        self.report = report
        self.source.setText(source)
        self.source.setVisible(bool(source))
        self.summary.setText(report_summary(report))
        warnings = report.get("warnings") or []
        self.warnings.setText("<br>".join("⚠ " + html.escape(w) for w in warnings))
        self.warnings.setVisible(bool(warnings))
        self._chart(report)
        self._skipped(report.get("skipped") or [])
        self.show_thumbnails(thumbnails)

    def clear_report(self, text: str = PLACEHOLDER) -> None:
        """Show no report, only ``text`` (the data it described is no longer the data chosen)."""
        self.report = None
        self.source.hide()
        self.summary.setText(html.escape(text))
        self.warnings.hide()
        self.chart.clear()
        self.axis.set_names([])
        self.chart.setToolTip("")
        self._skipped([])
        self.show_thumbnails([])

    def _chart(self, report: dict[str, Any]) -> None:
        self.chart.clear()
        names = report.get("class_names", [])
        counts = report.get("counts", {})
        train, val = counts.get("train", [0] * len(names)), counts.get("val", [0] * len(names))
        xs = list(range(len(names)))
        self.chart.addItem(pg.BarGraphItem(x=xs, height=train, width=0.7, brush="#1f77b4", pen=None))
        self.chart.addItem(pg.BarGraphItem(x=xs, y0=train, height=val, width=0.7, brush="#ff7f0e", pen=None))
        names = [shown_name(name) for name in names]
        self.axis.set_names(names)
        self.chart.setToolTip("\n".join(f"{name}: {t:,} training + {v:,} validation"
                                        for name, t, v in zip(names, train, val, strict=False)))
        self.chart.enableAutoRange()

    def _skipped(self, skipped: list[dict[str, str]]) -> None:
        self.skipped_title.setText(f"Skipped files: {len(skipped)}" if skipped else "Skipped files: none")
        self.skipped.setVisible(bool(skipped))
        self.skipped.setRowCount(len(skipped))
        for row, entry in enumerate(skipped):
            path, reason = (shown_name(str(entry.get(key, ""))) for key in ("path", "reason"))
            for col, text in enumerate((path, reason)):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{path}\n{reason}")
                self.skipped.setItem(row, col, item)

    def show_thumbnails(self, thumbnails: list[tuple[str, list[QPixmap]]]) -> None:
        """Sample images per class beside the report (they may arrive after it)."""
        report = self.report or {}
        counts = report.get("counts", {})
        totals = {name: t + v for name, t, v in zip(report.get("class_names", []), counts.get("train", []),
                                                    counts.get("val", []), strict=False)}
        self.thumbs.show_rows([(name, totals.get(name, 0), pixmaps) for name, pixmaps in thumbnails])

