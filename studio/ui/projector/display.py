"""How the projector panel shows a job's points: thumbnails, layouts (t-SNE as it converges), the
comparison of two checkpoints, colours and legend, emphasis, the caption and the 3-D view.

A mixin of :class:`ProjectorPanel` (it uses the panel's ``view``, ``side``, ``form`` and state)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.engine.projector import Projection
from studio.engine.projector.compare import align_layout, blend
from studio.engine.projector.projecting import ProjectionResult
from studio.engine.projector.reports import Prepared
from studio.ui.projector.colors import NONE, color_by, color_choices
from studio.ui.projector.explore import EMPTY
from studio.ui.projector.sprites import SpriteSheet
from studio.ui.projector.view3d import opengl_problem


class DisplayMixin:
    """Showing points, layouts, colours and emphasis."""

    def _show_prepared(self, prepared: Prepared) -> None:
        if self.prepared is not None and prepared.embedding is self.prepared.embedding:
            return
        self.prepared = prepared
        self.sheet = SpriteSheet.from_atlas(prepared.atlas)
        self.selection = self.neighbours = self.matches = EMPTY
        self.side.neighbours.clear()
        self._apply_emphasis()
        embedding = prepared.embedding
        choices = color_choices(embedding)
        current = self.view.color_by.currentText()
        self.view.color_by.clear()
        self.view.color_by.addItems(choices)
        self.view.color_by.setCurrentText(current if current in choices else "label")
        self.side.column.blockSignals(True)
        self.side.column.clear()
        self.side.column.addItems(prepared.search.names())
        self.side.column.blockSignals(False)
        self.form.methods.set_classes(embedding.class_names)
        self.view.size_slider.setMaximum(max(96, self.sheet.cell * 2))

    def _show_layout(self, projection: Projection) -> None:
        coords = projection.coords
        if projection.dims == 1:
            coords = np.c_[coords, np.zeros(len(coords))]
        canvas = self.view.canvas
        fit = self._layouts_shown == 0 or canvas.fitted  # follow a converging t-SNE unless zoomed or panned
        self._layouts_shown += 1
        canvas.renderer.set_points(coords, self.sheet)
        if self.coloring is None or len(self.coloring.index) != len(coords):
            self.set_color_by(self.view.color_by.currentText())
        if fit:
            canvas.fit()
        canvas.refresh()
        three = projection.dims == 3
        self.view.three_d.setEnabled(three)
        if not three:
            self.view.three_d.setChecked(False)
        elif self.view.three_d.isChecked():
            self._update_3d()

    def _show_compare(self, result: ProjectionResult) -> None:
        second = result.compare_projection
        mode = result.request.compare_mode if second is not None else None
        first_name = Path(result.request.checkpoint or "live").stem
        second_name = Path(result.request.compare or "").stem
        self.view.set_compare_mode(mode, first_name, second_name)
        self.view.canvas.title = first_name if mode == "side" else ""
        self.view.canvas_b.title = second_name
        self._aligned = None
        if second is None:
            return
        a, b = align_layout(result.projection.coords, second.coords)
        if mode == "side":
            self.view.canvas.set_points(a, self.sheet)
            self.view.canvas_b.set_points(b, self.sheet)
        else:
            self._aligned = (a, b)
            self.view.canvas.renderer.set_points(np.vstack([a, b]))
            self.view.canvas.fit()  # frame both layouts, then show the first
            self.view.canvas.set_points(a, self.sheet, fit=False)
            self.view.blend.setValue(0)
        self.set_color_by(self.view.color_by.currentText())

    def _blend(self, t: float) -> None:
        if self._aligned is not None:
            self.view.canvas.set_points(blend(*self._aligned, t), fit=False)

    def _caption(self, result: ProjectionResult) -> str:
        emb, request = result.embedding, result.request
        source = emb.info.get("images", "")
        checkpoint = Path(request.checkpoint).stem if request.checkpoint else "live model"
        text = f"{request.method.describe()} of layer {emb.layer} ({emb.dim} values) — {len(emb)} images " \
               f"from {source} — {checkpoint}"
        if emb.correct is not None:
            text += f" — accuracy {float(emb.correct.mean()):.1%}"
        return text

    def set_color_by(self, choice: str) -> None:
        """Colour the points by ``choice`` (label, prediction, correctness, a metadata column, none)."""
        embedding = self.embedding
        if embedding is None:
            return
        if self.view.color_by.currentText() != choice:
            self.view.color_by.setCurrentText(choice)
        self.coloring = color_by(embedding, choice or NONE)
        self.view.canvas.renderer.set_colors(self.coloring.index, self.coloring.palette)
        compare = self.result.compare if self.result is not None else None
        other = color_by(compare, choice or NONE) if compare is not None else self.coloring
        self.view.canvas_b.renderer.set_colors(other.index, other.palette)
        self.side.legend.show_coloring(self.coloring)
        for canvas in (self.view.canvas, self.view.canvas_b):
            canvas.refresh()
        self._update_3d()

    def _open_3d(self, projection: Projection, comparing: bool) -> None:
        """A finished 3-component projection opens in the 3-D view where OpenGL works (elsewhere, and
        for comparisons, the 2-D view shows its first two components; the 3-D button says why)."""
        view = self.view
        if projection.dims == 3 and not comparing and not view.three_d.isChecked() and (
                view.view3d.gl is not None or opengl_problem() is None):
            view.three_d.setChecked(True)

    def _update_3d(self) -> None:
        projection = self.result.projection if self.result is not None else None
        if projection is None or projection.dims != 3 or not self.view.three_d.isChecked():
            return
        emphasis = np.concatenate([self.matches, self.neighbours, self.selection])
        self.view.view3d.set_points(projection.coords, self.coloring.index, self.coloring.palette, emphasis)

    def _apply_emphasis(self) -> None:
        for canvas in (self.view.canvas, self.view.canvas_b):
            canvas.renderer.emphasis = {"matches": self.matches, "neighbours": self.neighbours,
                                        "selected": self.selection}
            canvas.refresh_emphasis()
        has_files = self.embedding is not None and bool(self.embedding.paths)
        self.side.set_selection_count(len(self.selection), has_files)
        self._update_3d()
