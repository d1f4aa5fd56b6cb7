"""The browser tree: runs and their checkpoints (step, epoch, time, metrics, size, best/last marks),
plus checkpoint files opened from disk. Its runs are the window's (the document's :class:`RunsWatcher`,
which the training panel's runs list shows too); the watcher polls them, so checkpoints written by a
training in progress (in this window, on the command line or by torchrun) appear as they land."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem

from studio.engine.checkpoints.info import CheckpointInfo
from studio.engine.formatting import size_text
from studio.engine.runs import RunReader
from studio.engine.runs.locate import list_checkpoints
from studio.ui.run_watch import RunsWatcher
from studio.ui.scrolling import FitColumns

COLUMNS = ("Checkpoint", "", "Step", "Epoch", "Saved", "Metrics", "Size")
NAME, MARKS, STEP, EPOCH, SAVED, METRICS, SIZE = range(len(COLUMNS))
COLUMN_WIDTHS = ((190, 150), (90, 86), (50, 40), (46, 40), (64, 60), (220, 70), (64, 64))  # natural, least
PATH_ROLE = Qt.ItemDataRole.UserRole
FILES = "Opened files"


def metrics_text(metrics: dict, limit: int = 3) -> str:
    """``{"val/accuracy": 0.9123, ...}`` -> ``val/accuracy 0.912 · ...`` (the first ``limit``)."""
    parts = [f"{key} {value:.3g}" if isinstance(value, float) else f"{key} {value}"
             for key, value in sorted(metrics.items())]
    return " · ".join(parts[:limit]) + (" …" if len(parts) > limit else "")


def time_text(stamp: float) -> str:
    if not stamp:
        return ""
    same_day = time.localtime(stamp)[:3] == time.localtime()[:3]
    return time.strftime("%H:%M:%S" if same_day else "%Y-%m-%d %H:%M", time.localtime(stamp))


class RunBrowser(QTreeWidget):
    """Runs (top level) with their checkpoints, and single files under "Opened files"."""

    sigSelectionChanged = Signal(list)  # [Path] of the selected checkpoint files, in click order
    sigActivated = Signal(object)  # Path of a checkpoint double-clicked (or Enter pressed on it)

    def __init__(self, runs: RunsWatcher | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setColumnCount(len(COLUMNS))
        self.setHeaderLabels(COLUMNS)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setUniformRowHeights(True)
        self.setRootIsDecorated(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # "small_cnn-2…-170802": the end differs
        self.columns_fit = FitColumns(self, dict(enumerate(COLUMN_WIDTHS)))  # no sideways scrolling
        self.runs: dict[Path, QTreeWidgetItem] = {}
        self._files: QTreeWidgetItem | None = None
        self.model = runs if runs is not None else RunsWatcher(self)  # the runs shown, polled
        self.model.sigAdded.connect(self._show_run)
        self.model.sigRemoved.connect(self._drop_run)
        self.model.sigMoved.connect(self.move_run)
        self.model.sigUpdated.connect(self._updated)
        for path in self.model.runs:  # followed before this browser was made
            self._show_run(path)
        self.itemSelectionChanged.connect(lambda: self.sigSelectionChanged.emit(self.selected_paths()))
        self.itemActivated.connect(self._activated)

    # ---- content ------------------------------------------------------------------------------
    def add_run(self, path: str | Path) -> QTreeWidgetItem:
        """Show run folder ``path`` (or a bare checkpoints folder) with its checkpoints: the window's
        runs follow it from now on."""
        path = Path(path).resolve()
        self.model.add(path)
        item = self._show_run(path)
        self._fill_run(path, item)
        item.setExpanded(True)
        return item

    def _show_run(self, path: Path) -> QTreeWidgetItem:
        item = self.runs.get(path)
        if item is None:
            item = QTreeWidgetItem([path.name])
            item.setToolTip(NAME, f"{path.name}\n{path}")
            font = item.font(NAME)
            font.setBold(True)
            item.setFont(NAME, font)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            self.insertTopLevelItem(len(self.runs), item)
            self.runs[path] = item
            self._fill_run(path, item)
            item.setExpanded(True)
        return item

    def _updated(self, paths: list[Path]) -> None:
        shown = [path for path in paths if path in self.runs]
        if shown:
            self.refresh(shown)

    def _drop_run(self, path: Path) -> None:
        """The window no longer follows run ``path`` (another project was opened, or it was deleted)."""
        item = self.runs.pop(path, None)
        if item is not None:
            self.takeTopLevelItem(self.indexOfTopLevelItem(item))

    def move_run(self, old: str | Path, new: str | Path) -> None:
        """Run folder ``old`` is at ``new`` now (moved into its project; the window's runs say so): its
        rows follow it, the selection too (``sigSelectionChanged`` then names the checkpoints where
        they are)."""
        old, new = Path(old).resolve(), Path(new).resolve()
        item = self.runs.pop(old, None)
        if item is None:
            return
        self.runs[new] = item
        item.setText(NAME, new.name)
        item.setToolTip(NAME, item.toolTip(NAME).replace(str(old), str(new)))
        for index in range(item.childCount()):
            child = item.child(index)
            child.setData(NAME, PATH_ROLE, str(new / Path(child.data(NAME, PATH_ROLE)).relative_to(old)))
        self.refresh()
        if any(child.isSelected() for child in (item.child(i) for i in range(item.childCount()))):
            self.sigSelectionChanged.emit(self.selected_paths())

    def add_file(self, path: str | Path) -> QTreeWidgetItem:
        """Show a single checkpoint file (already checked readable by the caller)."""
        path = Path(path).resolve()
        if self._files is None:
            self._files = QTreeWidgetItem([FILES])
            self._files.setFlags(self._files.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            self.addTopLevelItem(self._files)
        for index in range(self._files.childCount()):
            if self._files.child(index).data(NAME, PATH_ROLE) == str(path):
                return self._files.child(index)
        item = QTreeWidgetItem([path.name])
        item.setData(NAME, PATH_ROLE, str(path))
        item.setToolTip(NAME, str(path))
        try:
            item.setText(SIZE, size_text(path.stat().st_size))
            item.setText(SAVED, time_text(path.stat().st_mtime))
        except OSError:
            pass
        self._files.addChild(item)
        self._files.setExpanded(True)
        return item

    def refresh(self, paths: list[Path] | None = None) -> None:
        """Re-read the checkpoint list of runs ``paths`` (default: every run), keeping the selection."""
        selected = {str(p) for p in self.selected_paths()}
        self.blockSignals(True)
        for path in self.runs if paths is None else paths:
            self._fill_run(path, self.runs[path])
        for item in self._checkpoint_items():
            item.setSelected(item.data(NAME, PATH_ROLE) in selected)
        self.blockSignals(False)
        now = {str(p) for p in self.selected_paths()}
        if now != selected:
            self.sigSelectionChanged.emit(self.selected_paths())

    def _fill_run(self, path: Path, item: QTreeWidgetItem) -> None:
        infos = list_checkpoints(path)
        status = RunReader(path).status()
        state = status.state if status is not None else ""
        item.setText(STEP, "")
        item.setText(METRICS, state)
        item.setText(SIZE, size_text(sum(info.size for info in infos)) if infos else "")
        item.setText(SAVED, f"{len(infos)} saved" if infos else "none yet")
        known = {item.child(i).data(NAME, PATH_ROLE): item.child(i) for i in range(item.childCount())}
        wanted = [str(info.path) for info in infos]
        for key, child in known.items():
            if key not in wanted:
                item.removeChild(child)
        for index, info in enumerate(infos):
            child = known.get(str(info.path))
            if child is None:
                child = QTreeWidgetItem()
                child.setData(NAME, PATH_ROLE, str(info.path))
                item.insertChild(index, child)
            self._fill_checkpoint(child, info)

    def _fill_checkpoint(self, child: QTreeWidgetItem, info: CheckpointInfo) -> None:
        marks = (["★ best"] if info.is_best else []) + (["last"] if info.is_last else [])
        child.setText(NAME, info.name)
        child.setText(MARKS, " · ".join(marks))
        child.setText(STEP, str(info.step))
        child.setText(EPOCH, f"{info.epoch:.3g}")
        child.setText(SAVED, time_text(info.time))
        child.setText(METRICS, metrics_text(info.metrics))
        child.setText(SIZE, size_text(info.size))
        child.setToolTip(NAME, f"{info.path}\nsaved because: {info.reason}")
        child.setToolTip(METRICS, "\n".join(f"{k}: {v}" for k, v in sorted(info.metrics.items())))
        child.setForeground(MARKS, QBrush(QColor("#b8860b")) if info.is_best else QBrush())
        for column in (STEP, EPOCH, SIZE):
            child.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    # ---- selection ----------------------------------------------------------------------------
    def _activated(self, item: QTreeWidgetItem) -> None:
        path = item.data(NAME, PATH_ROLE)
        if path:  # a checkpoint row (run rows expand and collapse as usual)
            self.sigActivated.emit(Path(path))

    def _checkpoint_items(self) -> list[QTreeWidgetItem]:
        items = []
        for index in range(self.topLevelItemCount()):
            top = self.topLevelItem(index)
            items.extend(top.child(i) for i in range(top.childCount()))
        return items

    def selected_paths(self) -> list[Path]:
        """The selected checkpoint files, top to bottom (older steps first within a run)."""
        return [Path(item.data(NAME, PATH_ROLE)) for item in self._checkpoint_items() if item.isSelected()]

    def select_path(self, path: str | Path, add: bool = False) -> bool:
        """Select the row of checkpoint file ``path`` (added to the selection with ``add``)."""
        for item in self._checkpoint_items():
            if Path(item.data(NAME, PATH_ROLE)) == Path(path).resolve():
                if not add:
                    self.clearSelection()
                item.setSelected(True)
                self.setCurrentItem(item, 0, self.selectionModel().SelectionFlag.NoUpdate)
                self.scrollToItem(item)
                return True
        return False

    def select_best_or_last(self, run: str | Path | None = None) -> bool:
        """Select the best checkpoint, else the last, of ``run`` (default: the first run that has one)."""
        for path in [Path(run).resolve()] if run is not None else self.runs:
            infos = list_checkpoints(path)
            chosen = next((i for i in infos if i.is_best), infos[-1] if infos else None)
            if chosen is not None:
                return self.select_path(chosen.path)
        return False
