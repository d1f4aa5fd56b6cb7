"""``MethodOptions``: the projection method and its parameters (PCA, t-SNE, UMAP, custom axes).

``choice()`` returns the engine's frozen :class:`MethodChoice` (plain values, safe to hand to a worker).
"""

from __future__ import annotations

import importlib.util
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio.engine.projector.request import METHOD_TITLES, MethodChoice
from studio.engine.projector.umap_layout import MISSING as UMAP_MISSING

METHODS = tuple(METHOD_TITLES.items())  # (key, title) in the order offered
AXIS_KINDS = (("classes", "class means"), ("queries", "search queries"))


def umap_installed() -> bool:
    return importlib.util.find_spec("umap") is not None


def _spin(low: int, high: int, value: int, step: int = 1) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setValue(value)
    return box


def _double(low: float, high: float, value: float, step: float, decimals: int = 2) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    return box


class MethodOptions(QWidget):
    """Method chooser, dimension chooser and one page of parameters per method."""

    sigChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.method = QComboBox()
        for key, title in METHODS:
            self.method.addItem(title, key)
        if not umap_installed():
            item = self.method.model().item(self.method.findData("umap"))
            item.setEnabled(False)
            item.setToolTip(UMAP_MISSING)
        self.dims = QComboBox()
        self.dims.addItem("2-D", 2)
        self.dims.addItem("3-D", 3)
        self.pages = QStackedWidget()
        self._pca_page()
        self._tsne_page()
        self._umap_page()
        self._custom_page()
        self.variance = QLabel()
        self.variance.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.method, 1)
        top.addWidget(self.dims)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.pages)
        layout.addWidget(self.variance)
        self.method.currentIndexChanged.connect(self._method_changed)
        self.dims.currentIndexChanged.connect(self._method_changed)
        self.method.setCurrentIndex(self.method.findData("tsne"))  # the layout that shows clusters
        self._method_changed()

    # ---- pages ----------------------------------------------------------------------------------
    def _page(self) -> QFormLayout:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 4, 0, 0)
        self.pages.addWidget(page)
        return form

    def _pca_page(self) -> None:
        form = self._page()
        self.components = [_spin(1, 512, i + 1) for i in range(3)]
        for axis, box in zip("xyz", self.components, strict=True):
            box.setToolTip("which principal component (1 = most variance) goes on this axis")
            form.addRow(f"{axis} axis: component", box)

    def _tsne_page(self) -> None:
        form = self._page()
        self.perplexity = _double(2, 200, 30, 5, 1)
        self.learning_rate = _double(0, 100000, 0, 50, 0)
        self.learning_rate.setSpecialValueText("auto")
        self.learning_rate.setToolTip("0 = auto (number of points / 12, openTSNE's default)")
        self.iterations = _spin(50, 10000, 500, 50)
        form.addRow("Perplexity", self.perplexity)
        form.addRow("Learning rate", self.learning_rate)
        form.addRow("Iterations", self.iterations)

    def _umap_page(self) -> None:
        form = self._page()
        self.neighbours = _spin(2, 500, 15)
        self.min_dist = _double(0, 1, 0.1, 0.05)
        form.addRow("Neighbours", self.neighbours)
        form.addRow("Minimum distance", self.min_dist)

    def _custom_page(self) -> None:
        form = self._page()
        self.axis_kind = QComboBox()
        for key, title in AXIS_KINDS:
            self.axis_kind.addItem(title, key)
        form.addRow("Axes from", self.axis_kind)
        self.axis_ends: list[tuple[QComboBox, QComboBox]] = []
        for axis in "xy":  # one end per row: two side by side made the form wider than its column
            ends = (QComboBox(editable=True), QComboBox(editable=True))
            form.addRow(f"{axis} axis from", ends[0])
            form.addRow("to", ends[1])
            self.axis_ends.append(ends)

    def set_classes(self, names: tuple[str, ...] | list[str]) -> None:
        """Offer ``names`` as axis ends (the first classes preselected)."""
        for axis, ends in enumerate(self.axis_ends):
            for end, box in enumerate(ends):
                current = box.currentText()
                box.clear()
                box.addItems(list(names))
                pick = current if current else (names[(2 * axis + end) % len(names)] if names else "")
                box.setCurrentText(pick)

    # ---- state ----------------------------------------------------------------------------------
    def _method_changed(self) -> None:
        key = self.method.currentData()
        self.pages.setCurrentIndex([k for k, _ in METHODS].index(key))
        for index in range(self.pages.count()):  # the stack is as tall as the page shown, no gap
            policy = QSizePolicy.Policy.Preferred if index == self.pages.currentIndex() else \
                QSizePolicy.Policy.Ignored
            self.pages.widget(index).setSizePolicy(policy, policy)
        self.pages.updateGeometry()
        self.dims.setEnabled(key != "custom")
        for i, box in enumerate(self.components):
            box.setEnabled(i < self.dims.currentData())
        self.variance.setVisible(key == "pca" and bool(self.variance.text()))
        self.sigChanged.emit()

    def choice(self) -> MethodChoice:
        key = self.method.currentData()
        dims = 2 if key == "custom" else int(self.dims.currentData())
        if key == "pca":
            return MethodChoice(key, dims, {"components": [b.value() - 1 for b in self.components[:dims]]})
        if key == "tsne":
            options: dict[str, Any] = {"perplexity": self.perplexity.value(),
                                       "iterations": self.iterations.value()}
            if self.learning_rate.value() > 0:
                options["learning_rate"] = self.learning_rate.value()
            return MethodChoice(key, dims, options)
        if key == "umap":
            return MethodChoice(key, dims, {"neighbours": self.neighbours.value(),
                                            "min_dist": self.min_dist.value()})
        axes = tuple((a.currentText().strip(), b.currentText().strip()) for a, b in self.axis_ends)
        return MethodChoice(key, 2, {}, self.axis_kind.currentData(), axes)

    def show_variance(self, ratios) -> None:
        """Show PCA's explained variance per chosen component (None clears it)."""
        if ratios is None:
            self.variance.setText("")
        else:
            parts = [f"PC{c.value()}:\u00a0{r:.1%}"  # no break inside one component's figure
                     for c, r in zip(self.components, ratios, strict=False)]
            self.variance.setText("Explained variance  " + "  ".join(parts) + f"  (total {sum(ratios):.1%})")
        self.variance.setVisible(bool(self.variance.text()) and self.method.currentData() == "pca")
