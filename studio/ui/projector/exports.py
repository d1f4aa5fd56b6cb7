"""Getting things out of the projector panel: the selection as images (training results or a gallery),
a file list or a copied folder; a PNG of the view; TensorBoard projector files.

A mixin of :class:`ProjectorPanel`; each ``export_*`` has an ``_ask_*`` twin that asks for the target."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog

from studio.engine.errors import StudioError
from studio.engine.projector import TensorBoardExport, export_tensorboard
from studio.ui.projector.gallery import GalleryDialog
from studio.ui.projector.selection import copy_to_folder, export_file_list


class ExportMixin:
    """Selection and view exports."""

    def open_selection(self) -> None:
        """Show the selected images in the training panel's views when it can, else in a gallery."""
        if self.embedding is None or len(self.selection) == 0:
            return
        if self.selection_opener is not None and self.selection_opener(self, self.selection):
            return
        self.gallery = GalleryDialog(self.embedding, self.sheet, self.selection.tolist(),
                                     f"{len(self.selection)} selected points", self)
        self.gallery.show()

    def export_selection_list(self, path: str | Path) -> Path:
        return export_file_list(self.embedding, self.selection, path)

    def copy_selection(self, folder: str | Path) -> list[Path]:
        return copy_to_folder(self.embedding, self.selection, folder)

    def export_png(self, path: str | Path) -> Path:
        """Save the 2-D view as a PNG (what is on screen, without the hover card)."""
        path = Path(path).with_suffix(".png")
        if not self.view.canvas.render_image().save(str(path)):
            raise StudioError(f"cannot write {path}")
        return path

    def export_tensorboard(self, directory: str | Path) -> TensorBoardExport:
        """Write the embedding (with thumbnails and the current layout) for TensorBoard's projector."""
        if self.result is None:
            raise StudioError("project something first")
        atlas = self.result.atlas
        thumbs = np.stack([atlas.thumbnail(i) for i in range(atlas.count)]).transpose(0, 3, 1, 2)
        return export_tensorboard(self.result.embedding, directory, images=thumbs, cell=atlas.cell,
                                  projections=[self.result.projection])

    def _guarded(self, action: Callable[[], object], done: Callable[[object], str]) -> None:
        try:
            outcome = action()
        except StudioError as exc:
            self._show_problem(str(exc))
            return
        self.form.status.setText(done(outcome))

    def _ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the view", "projector.png", "PNG images (*.png)")
        if path:
            self._guarded(lambda: self.export_png(path), lambda p: f"Saved {p}")

    def _ask_tensorboard(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for TensorBoard's projector")
        if folder:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                self._guarded(lambda: self.export_tensorboard(folder),
                              lambda r: f"Wrote {r.points} points to {folder}: tensorboard --logdir {folder}"
                              + (f" ({r.note})" if r.note else ""))
            finally:
                QApplication.restoreOverrideCursor()

    def _ask_export_list(self) -> None:
        if len(self.selection) == 0:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save the selected files", "selection.txt",
                                              "Text (*.txt)")
        if path:
            self._guarded(lambda: self.export_selection_list(path), lambda p: f"Wrote {p}")

    def _ask_copy_folder(self) -> None:
        if len(self.selection) == 0:
            return
        folder = QFileDialog.getExistingDirectory(self, "Copy the selected images into (an empty folder)")
        if folder:
            self._guarded(lambda: self.copy_selection(folder),
                          lambda c: f"Copied {len(c)} images to {folder}")
