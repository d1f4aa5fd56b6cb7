"""How the checkpoint panel joins the main window: the live model is the window's document's model,
restored and frozen layers are marked on the canvas, the project's runs are listed, and "Fine-tune
from here" hands the restore steps to the project's training configuration (``TrainConfig.init``)
and brings the training panel to the front."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from studio.engine.checkpoints.marks import Marks
from studio.engine.training.config import InitConfig

if TYPE_CHECKING:
    from studio.ui.checkpoints.panel import CheckpointPanel


class WindowLink(QObject):
    """Keeps ``panel`` and ``window`` in step (owned by the panel)."""

    def __init__(self, window, panel: CheckpointPanel) -> None:
        super().__init__(panel)
        self.window, self.panel = window, panel
        self._marks: Marks = {}  # as last computed (they change only with panel.live)
        panel.live.sigChanged.connect(self.show_marks)
        panel.sigFineTune.connect(self.fine_tune)
        window.document.sigFileChanged.connect(self.sync_runs)
        window.document.sigRunsMoved.connect(self.runs_moved)
        window.tabs.currentChanged.connect(lambda _: self.sync_runs())  # runs started since show up
        window.canvas_tabs.currentChanged.connect(lambda _: self._apply_marks())  # a block tab opened
        self.sync_runs()

    def show_marks(self) -> None:
        """Restored / frozen marks on the nodes of the model canvas and of each open block tab."""
        self._marks = self.panel.live.all_marks()
        self._apply_marks()

    def _apply_marks(self) -> None:
        for block, view in self.window.canvases.items():
            view.scene().set_node_marks(self._marks.get(block, {}))

    def sync_runs(self) -> None:
        """List the project's runs and the run folders in its runs folder (where Train writes)."""
        for path in self.window.document.run_dirs():
            if path.resolve() not in self.panel.browser.runs:
                self.panel.add_run(path)

    def runs_moved(self, moved: dict, sentence: str | None = None) -> None:
        """Runs went into the project's folder (a save): their checkpoints are listed from there."""
        for old, new in moved.items():
            self.panel.browser.move_run(old, new)

    def fine_tune(self, step: InitConfig) -> None:
        """Start the next training run from the restores applied so far (their rules, replayed)."""
        document = self.window.document
        training = dict(document.project.training)
        training["init"] = [dataclasses.asdict(one) for one in self.panel.live.steps]
        document.project.training = training
        document.mark_modified()
        training_panel = self.window.panels.get("training")
        if hasattr(training_panel, "load_project"):
            training_panel.load_project()  # its forms start from the project's settings, init included
        frozen = any(one.freeze for one in self.panel.live.steps)
        self.window.message(f"The next training run starts from the restored weights"
                            f"{' with the restored layers frozen' if frozen else ''}: set the data and "
                            "click Train.")
        if "training" in self.window.panels:
            self.window.show_panel("training")

