"""The runs list: every followed run with status, best validation accuracy, duration and tags; several
can be selected to overlay their curves. Buttons ask the panel to open, rename, tag, resume or delete."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHeaderView,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.ui.run_watch import WatchedRun
from studio.ui.training.progress_view import duration_text

COLUMNS = ("run", "status", "best val acc", "duration", "steps", "tags")
HEADERS = ("run", "status", "best\nval acc", "duration", "steps", "tags")  # two lines: a narrow column
STATUS_TEXT = {"preparing": "preparing", "running": "running", "paused": "paused", "finished": "finished",
               "failed": "failed"}


def status_text(run: WatchedRun) -> str:
    """``running``, ``finished (stopped)``, ``failed``, ``stale`` (an active state whose writer is gone),
    ``missing`` (the folder was removed), ``preparing`` (a live run whose folder is not written yet) or
    ``new``."""
    if not run.exists:
        return "preparing" if run.live else "missing"
    status = run.status
    if status is None:
        return "new"
    text = STATUS_TEXT.get(status.state, status.state)
    if status.active and not run.live and status.seconds_since_heartbeat() > 120:
        return "stale"
    if status.state == "finished" and status.reason and status.reason != "completed":
        text += f" ({status.reason})"
    return text


class RunsList(QWidget):
    """A tree of runs (one row each) and the action buttons."""

    sigSelection = Signal(list)  # paths of the selected runs
    sigOpen = Signal()
    sigRename = Signal(object)  # path
    sigTags = Signal(object)  # path
    sigResume = Signal(object)  # path
    sigDelete = Signal(object)  # path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(HEADERS)
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setToolTip("Select several runs (Ctrl/Shift) to overlay their curves")
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # "small_cnn-2026…-170802": the end differs
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the name takes what is left
        header.setMinimumSectionSize(40)
        self.tree.headerItem().setToolTip(2, "best validation accuracy of the run")
        self.tree.setColumnHidden(COLUMNS.index("tags"), True)  # until a run has tags
        self.tree.itemSelectionChanged.connect(lambda: self.sigSelection.emit(self.selected()))
        self._items: dict[Path, QTreeWidgetItem] = {}
        self.open_button = QPushButton("Open run…")
        self.rename_button = QPushButton("Rename…")
        self.tags_button = QPushButton("Tags…")
        self.resume_button = QPushButton("Resume")
        self.delete_button = QPushButton("Delete…")
        self.open_button.clicked.connect(self.sigOpen)
        for button, signal in ((self.rename_button, self.sigRename), (self.tags_button, self.sigTags),
                               (self.resume_button, self.sigResume), (self.delete_button, self.sigDelete)):
            button.clicked.connect(lambda _checked=False, s=signal: self._emit_current(s))
        buttons = QGridLayout()
        for i, button in enumerate((self.open_button, self.rename_button, self.tags_button,
                                    self.resume_button, self.delete_button)):
            buttons.addWidget(button, i // 3, i % 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)

    def selected(self) -> list[Path]:
        return [item.data(0, Qt.ItemDataRole.UserRole) for item in self.tree.selectedItems()]

    def current(self) -> Path | None:
        selected = self.selected()
        return selected[0] if len(selected) == 1 else None

    def select(self, paths: list[Path]) -> None:
        self.tree.clearSelection()
        for path in paths:
            item = self._items.get(path)
            if item is not None:
                item.setSelected(True)

    def update_run(self, run: WatchedRun) -> None:
        """Add or refresh the row of ``run``."""
        item = self._items.get(run.path)
        if item is None:
            item = QTreeWidgetItem()
            item.setData(0, Qt.ItemDataRole.UserRole, run.path)
            self.tree.insertTopLevelItem(0, item)
            self._items[run.path] = item
        best = run.best()
        duration = run.duration()
        status = run.status
        values = (run.name, status_text(run), f"{best:.1%}" if best is not None else "–",
                  duration_text(duration) if duration is not None else "–",
                  f"{status.step:,}" if status else "–", ", ".join(run.labels.tags))
        for col, text in enumerate(values):
            item.setText(col, text)
        item.setToolTip(0, f"{run.name}\n{run.path}")
        for col in range(1, 5):
            item.setTextAlignment(col, Qt.AlignmentFlag.AlignCenter)
        tagged = any(item.text(COLUMNS.index("tags")) for item in self._items.values())
        self.tree.setColumnHidden(COLUMNS.index("tags"), not tagged)

    def move_run(self, old: Path, run: WatchedRun) -> None:
        """The row of ``old`` shows ``run`` now (its folder moved), in its place and selection."""
        item = self._items.pop(old, None)
        if item is not None:
            item.setData(0, Qt.ItemDataRole.UserRole, run.path)
            self._items[run.path] = item
        self.update_run(run)

    def remove_run(self, path: Path) -> None:
        item = self._items.pop(path, None)
        if item is not None:
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))

    def _emit_current(self, signal) -> None:
        path = self.current()
        if path is not None:
            signal.emit(path)
