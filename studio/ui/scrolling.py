"""Columns that fit the window: a scroll area that scrolls up and down only (never sideways), a grid
of boxes that stacks into one column when two do not fit, and tree or table columns shared out within
their view's width."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QFrame, QGridLayout, QLayout, QScrollArea, QWidget


class VerticalScroll(QScrollArea):
    """Holds ``widget`` at the scroll area's width: never narrower than the widget's minimum width
    (the splitter or window keeps it that wide), so there is no horizontal scroll bar to use."""

    def __init__(self, widget: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(widget)
        widget.installEventFilter(self)
        self._fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._fit()
        return super().eventFilter(watched, event)

    def _fit(self) -> None:
        widget = self.widget()
        needed = widget.minimumSizeHint().width() if widget.layout() is not None else widget.minimumWidth()
        needed = max(needed, widget.minimumWidth())
        self.setMinimumWidth(needed + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth())


class ReflowGrid(QWidget):
    """Boxes on a two-column grid (``place(widget, row, column, row_span)``) that become one column,
    in the order they were placed, when the width is less than two columns need."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)  # narrower than two columns
        self._places: list[tuple[QWidget, int, int, int]] = []
        self.columns = 2

    def place(self, widget: QWidget, row: int, column: int, row_span: int = 1) -> None:
        self._places.append((widget, row, column, row_span))
        self._arrange(2)

    def two_column_width(self) -> int:
        """The width two columns need (each as wide as its widest box)."""
        spacing = self.grid.horizontalSpacing() if self.grid.horizontalSpacing() >= 0 else 6
        widths = [0, 0]
        for widget, _row, column, _span in self._places:
            widths[column] = max(widths[column], widget.minimumSizeHint().width())
        return sum(widths) + spacing

    def minimumSizeHint(self):  # noqa: N802 - Qt naming
        hint = super().minimumSizeHint()
        one = max((widget.minimumSizeHint().width() for widget, *_ in self._places), default=0)
        hint.setWidth(one)  # one column is always possible
        return hint

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self._arrange(2 if event.size().width() >= self.two_column_width() else 1)

    def _arrange(self, columns: int) -> None:
        if columns == self.columns and self.grid.count() == len(self._places):
            return
        self.columns = columns
        while self.grid.count():
            self.grid.takeAt(0)
        for index, (widget, row, column, span) in enumerate(self._places):
            if columns == 2:
                self.grid.addWidget(widget, row, column, span, 1)
            else:
                self.grid.addWidget(widget, index, 0)
        for column in range(2):
            self.grid.setColumnStretch(column, 1 if column < columns else 0)


class FitColumns(QObject):
    """Keeps the shown columns of ``view`` (a tree or table) within its width, so it never scrolls
    sideways: each column gets its natural width, and when they do not all fit, each gives up the same
    share of what it has above its minimum. ``columns``: column -> (natural, minimum) width; a column
    not listed keeps its width. The user may still drag a column wider until the view is resized."""

    def __init__(self, view: QAbstractItemView, columns: dict[int, tuple[int, int]]) -> None:
        super().__init__(view)
        self.view, self.columns = view, dict(columns)
        header = view.header() if hasattr(view, "header") else view.horizontalHeader()
        self.header = header
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(min(minimum for _, minimum in self.columns.values()))
        view.viewport().installEventFilter(self)
        header.sectionCountChanged.connect(lambda *_: self.fit())
        self.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.fit()
        return False

    def fit(self) -> None:
        """Share the viewport's width out among the shown columns."""
        shown = [c for c in self.columns if not self.header.isSectionHidden(c) and c < self.header.count()]
        others = sum(self.header.sectionSize(c) for c in range(self.header.count())
                     if c not in self.columns and not self.header.isSectionHidden(c))
        room = self.view.viewport().width() - others
        natural = sum(self.columns[c][0] for c in shown)
        slack = sum(self.columns[c][0] - self.columns[c][1] for c in shown)
        give_up = min(1.0, max(0.0, (natural - room) / slack)) if slack > 0 else 0.0
        for column in shown:
            wanted, minimum = self.columns[column]
            self.header.resizeSection(column, int(wanted - give_up * (wanted - minimum)))
