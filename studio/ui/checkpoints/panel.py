"""The checkpoint browser panel: runs and files on the left, the open checkpoint on the right, and
the actions that use it: compare, restore into the model, export."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QSplitter,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine.checkpoints.store import recorded_spec
from studio.engine.errors import StudioError
from studio.engine.spec.model import ModelSpec
from studio.ui.checkpoints.export_dialog import ExportDialog
from studio.ui.checkpoints.live_model import LiveModel
from studio.ui.checkpoints.restore_dialog import RestoreDialog
from studio.ui.checkpoints.runs import RunBrowser
from studio.ui.checkpoints.viewer import CheckpointViewer
from studio.ui.panels import Panel

CHECKPOINT_FILES = "Checkpoints (*.safetensors *.pt *.pth *.bin *.ckpt);;All files (*)"


class CheckpointPanel(QWidget, Panel):
    """Browse runs' checkpoints and files; restore into ``live`` (the edited model); export."""

    sigFineTune = Signal(object)  # InitConfig: start a new run from the restored weights
    sigRestored = Signal(object)  # RestoreResult applied to the live model
    shows_runs = True

    def __init__(self, live: LiveModel | None = None, parent=None, runs=None) -> None:
        super().__init__(parent)
        self.live = live
        self.browser = RunBrowser(runs)  # the window's runs (the document's watcher), else its own
        self.viewer = CheckpointViewer()
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.setStyleSheet("QLabel { background: #fbe3e1; color: #8a1c16; padding: 6px; "
                                  "border-radius: 3px; }")
        self.banner.hide()
        self.dialog: RestoreDialog | ExportDialog | None = None
        self._pending_file: Path | None = None
        self._compare_with: Path | None = None
        self._restore_when_open: Path | None = None  # double-clicked while still opening

        bar = QToolBar()
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar.addAction("Add run…", self._add_run_clicked).setToolTip("Show the checkpoints of a run folder")
        bar.addAction("Open file…", self._open_file_clicked).setToolTip(
            "Open a .safetensors, .pt, .pth or .bin checkpoint from disk")
        bar.addAction("Refresh", self.browser.refresh)
        bar.addSeparator()
        self.compare_action = bar.addAction("Compare with model", self.compare_with_model)
        self.compare_action.setToolTip("Colour each tensor by how far the model in the editor moved from it "
                                       "(select two checkpoints to compare them)")
        self.restore_action = bar.addAction("Restore into model…", self.open_restore_dialog)
        self.export_action = bar.addAction("Export…", self.open_export_dialog)
        self.browser.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.browser.addActions([self.restore_action, self.export_action, self.compare_action])
        for action in (self.restore_action, self.export_action):
            button = bar.widgetForAction(action)
            if isinstance(button, QToolButton):
                font = button.font()
                font.setBold(True)
                button.setFont(font)

        left = QSplitter(Qt.Orientation.Vertical)  # runs above, the selected tensor below
        left.addWidget(self.browser)
        left.addWidget(self.viewer.details)
        left.setSizes([300, 450])
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.viewer)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([530, 730])  # at 1280 wide: marks, steps and sizes whole; metrics elide
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(bar)
        layout.addWidget(self.banner)
        layout.addWidget(split, 1)

        QCoreApplication.instance().aboutToQuit.connect(self.shutdown)
        self.browser.sigSelectionChanged.connect(self._selection_changed)
        self.browser.sigActivated.connect(self._activated)
        self.browser.setToolTip("Select a checkpoint to see its tensors (two to compare them); "
                                "double-click or Enter: restore it into the model")
        self.viewer.sigOpened.connect(self._opened)
        self.viewer.sigFailed.connect(self._open_failed)
        self._update_actions()

    # ---- runs and files -----------------------------------------------------------------------
    def add_run(self, path: str | Path) -> None:
        """Show a run folder's checkpoints (kept up to date while the run writes more)."""
        if not Path(path).is_dir():
            self.show_error(f"{path} is not a folder")
            return
        self.browser.add_run(path)

    def open_run(self, path: str | Path) -> None:
        """Show a run and open its best checkpoint (else its last)."""
        self.add_run(path)
        self.browser.select_best_or_last(path)

    def open_file(self, path: str | Path) -> None:
        """Open any checkpoint file; it joins "Opened files" once it could be read."""
        self._pending_file = Path(path).resolve()
        self._compare_with = None
        self.browser.clearSelection()
        self.viewer.open(self._pending_file)

    def _add_run_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a run folder")
        if path:
            self.add_run(path)

    def _open_file_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a checkpoint", "", CHECKPOINT_FILES)
        if path:
            self.open_file(path)

    # ---- selection ----------------------------------------------------------------------------
    def _selection_changed(self, paths: list[Path]) -> None:
        self._update_actions()
        if not paths:
            self._compare_with = None
            return
        self.banner.hide()
        first = paths[0]
        self._compare_with = paths[1] if len(paths) == 2 else None
        if self.viewer.path != first:
            self.viewer.open(first)
        elif self._compare_with is not None:
            self.viewer.compare(self._compare_with, self._compare_with.name)
        else:
            self.viewer.clear_compare()

    def _activated(self, path: Path) -> None:
        """Double-click or Enter on a checkpoint: the restore dialog for it (once it is open)."""
        path = path.resolve()
        if self.live is None:
            return
        shown = self.viewer.path.resolve() if self.viewer.path is not None else None
        if shown == path and self.viewer.opening is None:
            self.open_restore_dialog()
            return
        self._restore_when_open = path
        if self.viewer.opening != path:
            self.browser.select_path(path)  # shows it alone (and opens it)
            if self.viewer.opening != path:
                self.viewer.open(path)

    def _opened(self, path: Path) -> None:
        if self._pending_file is not None and path == self._pending_file:
            self._pending_file = None
            self.browser.blockSignals(True)
            item = self.browser.add_file(path)
            self.browser.clearSelection()
            item.setSelected(True)
            self.browser.blockSignals(False)
        if self._compare_with is not None:
            self.viewer.compare(self._compare_with, self._compare_with.name)
        self._update_actions()
        if self.live is not None:
            self.live.prepare()  # restore and compare need the model: build it in the background now
        if self._restore_when_open is not None and path.resolve() == self._restore_when_open:
            self._restore_when_open = None
            self.open_restore_dialog()

    def _update_actions(self) -> None:
        has = self.viewer.path is not None
        self.compare_action.setEnabled(has and self.live is not None)
        self.restore_action.setEnabled(has and self.live is not None)
        self.export_action.setEnabled(has or self.live is not None)

    def _open_failed(self, message: str) -> None:
        self._pending_file = self._restore_when_open = None
        self.show_error(message)

    def show_error(self, message: str) -> None:
        """A user-facing problem, shown above the browser until the next action."""
        self.banner.setText(message)
        self.banner.show()

    # ---- actions ------------------------------------------------------------------------------
    def compare_with_model(self) -> None:
        """Colour the open checkpoint's tensors by their change to the live model's (once it is built;
        its weights are copied in the comparison's job)."""
        if self.live is None or self.viewer.path is None:
            return
        path = self.viewer.path

        def compare() -> None:
            if self.viewer.path == path:  # (still the checkpoint asked about)
                self.viewer.compare(self.live.weights(), "the model in the editor")

        self.live.when_ready(compare, lambda message: self.show_error(
            f"The model does not build, so it cannot be compared: {message}"))

    def open_restore_dialog(self) -> RestoreDialog | None:
        """The partial restore dialog for the open checkpoint into the live model (None: it opens once
        the model is built in the background, or the model does not build)."""
        if self.live is None or self.viewer.inspector is None:
            return None
        if not self.live.ready:
            path = self.viewer.path
            self.live.when_ready(lambda: self.viewer.path == path and self.open_restore_dialog(),
                                 lambda message: self.show_error(f"Cannot restore into the model: {message}"))
            return None
        if isinstance(self.dialog, RestoreDialog) and self.dialog.isVisible() \
                and self.dialog.source == self.viewer.path:
            self.dialog.raise_()  # already open for this checkpoint: bring it to the front
            self.dialog.activateWindow()
            return self.dialog
        try:
            shapes = {entry.name: entry.shape for entry in self.viewer.inspector.entries}
            dialog = RestoreDialog(self.live, self.viewer.path, shapes, self)
        except StudioError as exc:
            self.show_error(f"Cannot restore into the model: {exc}")
            return None
        dialog.sigApplied.connect(self.sigRestored)
        dialog.sigFineTune.connect(self.sigFineTune)
        self.dialog = dialog
        dialog.show()
        return dialog

    def open_export_dialog(self) -> ExportDialog | None:
        """Export the open checkpoint (with its recorded spec), else the live model."""
        if self.viewer.path is not None:
            path = self.viewer.path
            run = f"{path.parent.parent.name} / " if path.parent.name == "checkpoints" else ""
            spec, label = self._spec_of_open_checkpoint(), f"{run}{path.name}"
            weights = self.viewer.path  # a run's exports go beside its checkpoints, not among them
            folder = path.parent.parent / "exports" if run else path.parent
        elif self.live is not None:
            problem = self.live.build_error
            if problem is not None:
                self.show_error(f"The model does not build, so it cannot be exported: {problem}")
                return None
            weights = self.live.weights()  # read (and built if need be) in the export's job
            spec, label, folder = weights.spec, "the model in the editor", None
        else:
            return None
        dialog = ExportDialog(spec, weights, label, folder, self)
        self.dialog = dialog
        dialog.show()
        return dialog

    def _spec_of_open_checkpoint(self) -> ModelSpec | None:
        """The spec recorded with the open checkpoint, else the edited model's when the names fit."""
        try:
            spec = recorded_spec(self.viewer.path)
        except StudioError:
            spec = None
        fits = self.live is not None and self.live.ready and \
            set(self.live.shapes) == {entry.name for entry in self.viewer.inspector.entries}
        if spec is None and fits:
            spec = self.live.spec.copy()
        return spec

    def shutdown(self) -> None:
        """Let background work end before the application does (an export finishes or times out)."""
        self.viewer.shutdown()
        jobs = [getattr(self.dialog, "job", None), *(self.live.jobs if self.live is not None else [])]
        for job in jobs:
            if job is not None:
                job.wait(60.0)

    # ---- for screenshots and tests ------------------------------------------------------------
    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Process events until no background work of the panel is left (False on timeout)."""
        end = time.monotonic() + timeout
        while self.viewer.busy or (self.live is not None and self.live.busy):
            if time.monotonic() > end:
                return False
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)
        QCoreApplication.processEvents()
        return True


def create_panel(window) -> CheckpointPanel:
    """The panel inside the main window: restores go into the window's model, which the document
    holds for the other panels (``document.live_model``), and the runs are the document's (the entry
    point :mod:`studio.ui.panels` looks for)."""
    from studio.ui.checkpoints.window_link import WindowLink

    document = window.document
    document.live_model = LiveModel(document.spec, window)
    panel = CheckpointPanel(document.live_model, runs=document.runs)
    panel.link = WindowLink(window, panel)
    return panel
