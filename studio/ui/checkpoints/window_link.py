"""How the checkpoint panel joins the main window: the live model is the window's document's model,
restored and frozen layers are marked on the canvas, and "Fine-tune from here" hands the restore steps
to the project's training configuration (``TrainConfig.init``, through the document: the training
panel's forms follow) and brings the training panel to the front. The runs listed are the document's
(the browser follows them itself)."""

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
        window.tabs.currentChanged.connect(lambda _: window.document.runs.follow_new())  # new runs now
        window.canvas_tabs.currentChanged.connect(lambda _: self._apply_marks())  # a block tab opened

    def show_marks(self) -> None:
        """Restored / frozen marks on the nodes of the model canvas and of each open block tab."""
        self._marks = self.panel.live.all_marks()
        self._apply_marks()

    def _apply_marks(self) -> None:
        for block, view in self.window.canvases.items():
            view.scene().set_node_marks(self._marks.get(block, {}))

    def fine_tune(self, step: InitConfig) -> None:
        """Start the next training run from the restores applied so far (their rules, replayed)."""
        document = self.window.document
        training = dict(document.project.training)
        training["init"] = [dataclasses.asdict(one) for one in self.panel.live.steps]
        document.set_training(training)  # the training forms start from it, init included
        frozen = any(one.freeze for one in self.panel.live.steps)
        self.window.message(f"The next training run starts from the restored weights"
                            f"{' with the restored layers frozen' if frozen else ''}: set the data and "
                            "click Train.")
        if "training" in self.window.panels:
            self.window.show_panel("training")

