"""``ProjectorPanel``: the embedding projector tab — choose what to project on the left, explore the
points in the middle, legend, search, selection and neighbours on the right.

All computing is the engine's, in a background :class:`Job`; the panel only shows what it reports.
``create_panel(window)`` plugs it into the main window (see studio/ui/panels.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QApplication, QFileDialog, QScrollArea, QSplitter, QVBoxLayout, QWidget

from studio.engine.errors import StudioError
from studio.engine.projector import NeighbourIndex, Projection, export_tensorboard
from studio.ui.projector.colors import NONE, Coloring, color_by, color_choices
from studio.ui.projector.compare import align_layout, blend
from studio.ui.projector.form import ProjectionRequest, SetupForm
from studio.ui.projector.gallery import GalleryDialog
from studio.ui.projector.job import ProjectionResult, run_projection
from studio.ui.projector.reports import Prepared, Stage
from studio.ui.projector.search import SearchError, find, search_columns
from studio.ui.projector.selection import copy_to_folder, export_file_list
from studio.ui.projector.sidebar import Sidebar
from studio.ui.projector.source import LiveModel
from studio.ui.projector.sprites import SpriteSheet
from studio.ui.projector.viewer import ViewArea
from studio.ui.workers import Job, JobFailure

EMPTY = np.zeros(0, dtype=np.int64)


class ProjectorPanel(QWidget):
    """The projector; ``open_run(path)`` fills it from a run directory."""

    sigShown = Signal(object)  # ProjectionResult now on screen (after a job finished)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = SetupForm()
        self.view = ViewArea()
        self.side = Sidebar()
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(280)
        splitter = QSplitter()
        splitter.addWidget(scroll)
        splitter.addWidget(self.view)
        splitter.addWidget(self.side)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([290, 900, 280])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.result: ProjectionResult | None = None
        self.prepared: Prepared | None = None
        self.sheet: SpriteSheet | None = None
        self.index: NeighbourIndex | None = None
        self.coloring: Coloring | None = None
        self.selection = self.neighbours = self.matches = EMPTY
        self.job: Job | None = None
        self.live_provider: Callable[[], LiveModel] | None = None
        self.selection_opener: Callable[[ProjectorPanel, np.ndarray], bool] | None = None
        self.gallery: GalleryDialog | None = None
        self._stop = threading.Event()
        self._layouts_shown = 0
        self._aligned: tuple[np.ndarray, np.ndarray] | None = None
        self._connect()

    @property
    def embedding(self):
        return self.prepared.embedding if self.prepared is not None else None

    def _connect(self) -> None:
        self.form.sigProject.connect(self.project)
        self.form.sigCancel.connect(self.cancel)
        view, side = self.view, self.side
        for canvas in (view.canvas, view.canvas_b):
            canvas.sigHovered.connect(lambda index, c=canvas: self._hovered(c, index))
            canvas.sigClicked.connect(self.click_point)
            canvas.sigSelected.connect(self.select)
        view.sigColorBy.connect(self.set_color_by)
        view.sigBlend.connect(self._blend)
        side.legend.sigPicked.connect(self._legend_picked)
        side.query.textChanged.connect(self._search_changed)
        side.column.currentIndexChanged.connect(self._search_changed)
        side.regex.toggled.connect(self._search_changed)
        side.select_matches.clicked.connect(lambda: self.select(self.matches))
        side.clear_selection.clicked.connect(lambda: self.click_point(-1))
        side.open_selection.clicked.connect(self.open_selection)
        side.export_list.clicked.connect(self._ask_export_list)
        side.copy_folder.clicked.connect(self._ask_copy_folder)
        side.neighbours.sigActivated.connect(self.click_point)
        side.k.valueChanged.connect(self._refresh_neighbours)
        side.metric_box.currentTextChanged.connect(self._metric_changed)
        menu = view.export_menu
        menu.addAction("Image of the view (PNG)…", self._ask_png)
        menu.addAction("TensorBoard projector files…", self._ask_tensorboard)
        menu.addSeparator()
        menu.addAction("Selection as a file list…", self._ask_export_list)
        menu.addAction("Copy selection into a folder…", self._ask_copy_folder)

    # ---- sources ----------------------------------------------------------------------------------
    def open_run(self, path: str | Path, project: bool = True) -> None:
        """Show run ``path``; with ``project``, project its best checkpoint's embedding layer (PCA)."""
        self.form.set_run(path)
        if project and self.form.checkpoint.count() and self.form.layer.currentText():
            self.project()

    def set_live_provider(self, provider: Callable[[], LiveModel] | None) -> None:
        """Offer "Live model" as a source; ``provider`` returns a snapshot of the model being edited."""
        self.live_provider = provider
        self.form.set_live_available(provider is not None)

    def project_layer(self, node: str) -> None:
        """The canvas's "Project this layer": choose ``node`` and project it when a model is at hand."""
        self.form.choose_layer(node)
        if self.form.checkpoint.count():
            self.project()

    # ---- the job ----------------------------------------------------------------------------------
    def project(self, request: ProjectionRequest | None = None) -> bool:
        """Start projecting ``request`` (default: what the form says); False when busy or invalid."""
        if self.job is not None and self.job.running:
            return False
        request = request or self.form.request()
        try:
            live = self._check(request)
        except StudioError as exc:
            self._show_problem(str(exc))
            return False
        reuse = self.prepared if self._same_points(request) else None
        self._stop = threading.Event()
        self._layouts_shown = 0
        self.job = Job(lambda report: run_projection(request, report, self._stop.is_set, live, reuse),
                       name="projector", parent=self)
        self.job.sigEvents.connect(self._on_events)
        self.job.sigFinished.connect(self._on_finished)
        self.job.sigFailed.connect(self._on_failed)
        self.form.set_busy(True)
        self.form.show_progress("Starting", None)
        self.job.start()
        return True

    def _check(self, request: ProjectionRequest) -> LiveModel | None:
        if not request.layer:
            raise StudioError("choose a layer to project")
        if request.data is not None and not request.data:
            raise StudioError("choose a folder of images (or the run's validation split)")
        if request.checkpoint is None:
            if self.live_provider is None:
                raise StudioError("choose a checkpoint: no live model is available")
            return self.live_provider()
        return None

    def _same_points(self, request: ProjectionRequest) -> bool:
        if self.result is None or self.prepared is None:
            return False
        old = self.result.request
        keys = ("run_dir", "checkpoint", "data", "layer", "cell", "compare")
        return request.checkpoint is not None and all(getattr(old, k) == getattr(request, k) for k in keys)

    def cancel(self) -> None:
        """Ask the running job to stop (t-SNE keeps the layout reached)."""
        self._stop.set()
        self.form.show_progress("Stopping…", None)

    def wait_idle(self, timeout: float = 300.0) -> bool:
        """Process events until the running job has finished and been shown; False on timeout."""
        deadline = time.monotonic() + timeout
        while self.job is not None and self.job.running:
            if time.monotonic() > deadline:
                return False
            self.job.wait(0.02)
            self.job.flush()
            QApplication.processEvents()
        return True

    def _on_events(self, events: list) -> None:
        stage, layout = None, None
        for event in events:
            if isinstance(event, Stage):
                stage = event
            elif isinstance(event, Prepared):
                self._show_prepared(event)
            elif isinstance(event, Projection):
                layout = event
        if stage is not None:
            self.form.show_progress(stage.text, stage.fraction)
        if layout is not None and self.prepared is not None:
            self._show_layout(layout)

    def _on_finished(self, result: ProjectionResult) -> None:
        self.form.set_busy(False)
        self.result, self.index = result, result.index
        self._show_layout(result.projection)
        self._show_compare(result)
        projection = result.projection
        self.form.methods.show_variance(projection.explained_variance)
        note = ""
        if not projection.complete:
            note = f" (stopped at iteration {projection.iteration} of {projection.total_iterations})"
        emb = result.embedding
        self.form.status.setText(f"{len(emb)} points of layer {emb.layer}{note}")
        self.view.caption.setText(self._caption(result))
        self._refresh_neighbours()
        self.sigShown.emit(result)

    def _on_failed(self, failure: JobFailure) -> None:
        self.form.set_busy(False)
        self._show_problem(failure.message if failure.user_error else f"Projection failed: {failure.message}")

    def _show_problem(self, text: str) -> None:
        self.form.show_progress("", 0.0)
        self.form.status.setText(f"<span style='color:#c0392b'>{text}</span>")

    # ---- showing points ---------------------------------------------------------------------------
    def _show_prepared(self, prepared: Prepared) -> None:
        if self.prepared is not None and prepared.embedding is self.prepared.embedding:
            return
        self.prepared = prepared
        self.sheet = SpriteSheet.from_atlas(prepared.atlas)
        self.selection = self.neighbours = self.matches = EMPTY
        self.side.neighbours.clear()
        embedding = prepared.embedding
        choices = color_choices(embedding)
        current = self.view.color_by.currentText()
        self.view.color_by.clear()
        self.view.color_by.addItems(choices)
        self.view.color_by.setCurrentText(current if current in choices else "label")
        self.side.column.blockSignals(True)
        self.side.column.clear()
        self.side.column.addItems(search_columns(embedding))
        self.side.column.blockSignals(False)
        self.form.methods.set_classes(embedding.class_names)
        self.view.size_slider.setMaximum(max(96, self.sheet.cell * 2))

    def _show_layout(self, projection: Projection) -> None:
        coords = projection.coords
        if projection.dims == 1:
            coords = np.c_[coords, np.zeros(len(coords))]
        fit = self._layouts_shown == 0 or not projection.complete
        self._layouts_shown += 1
        canvas = self.view.canvas
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
            canvas.refresh()
        has_files = self.embedding is not None and bool(self.embedding.paths)
        self.side.set_selection_count(len(self.selection), has_files)
        self._update_3d()

    # ---- interaction ------------------------------------------------------------------------------
    def _hovered(self, canvas, index: int) -> None:
        card = self.view.cards[canvas]
        if index < 0 or self.embedding is None:
            card.clear()
            return
        card.show_point(self.embedding, self.sheet, index, canvas.screen_position(index))
        other = self.view.canvas_b if canvas is self.view.canvas else self.view.canvas
        other.hovered = index
        other.update()

    def click_point(self, index: int, add: bool = False) -> None:
        """Select point ``index`` and list its neighbours (-1: clear the selection)."""
        if index < 0 or self.embedding is None:
            self.selection = self.neighbours = EMPTY
            self.side.neighbours.clear()
        else:
            base = self.selection if add else EMPTY
            self.selection = np.union1d(base, [index]).astype(np.int64)
            self._refresh_neighbours(index)
        self._apply_emphasis()

    def select(self, indices, add: bool = False) -> None:
        """Make ``indices`` the selection (``add``: add them to it)."""
        indices = np.asarray(indices, dtype=np.int64)
        self.selection = np.union1d(self.selection, indices) if add else np.unique(indices)
        self.neighbours = EMPTY
        self.side.neighbours.clear()
        self._apply_emphasis()

    def _refresh_neighbours(self, index: int | None = None) -> None:
        if index is None or isinstance(index, bool):
            index = int(self.selection[0]) if len(self.selection) == 1 else -1
        if index < 0 or self.index is None or self.embedding is None:
            return
        k = min(self.side.k.value(), len(self.embedding) - 1)
        found = self.index.query_points([index], k)
        self.neighbours = found.indices[0]
        self.side.neighbours.show_neighbours(self.embedding, self.sheet, index, found.indices[0],
                                             found.distances[0], self.index.metric)
        self._apply_emphasis()

    def _metric_changed(self, metric: str) -> None:
        if self.embedding is not None and self.index is not None and metric != self.index.metric:
            self.index = NeighbourIndex(self.embedding.features, metric)
            self._refresh_neighbours()

    def search(self, query: str, column: str | None = None, regex: bool | None = None) -> np.ndarray:
        """Highlight the points matching ``query`` (see :func:`search.find`); returns them."""
        self.side.query.setText(query)
        if column is not None:
            self.side.column.setCurrentText(column)
        if regex is not None:
            self.side.regex.setChecked(regex)
        self._search_changed()
        return self.matches

    def _search_changed(self) -> None:
        if self.embedding is None:
            return
        try:
            self.matches = find(self.embedding, self.side.query.text(), self.side.column.currentText(),
                                self.side.regex.isChecked())
            query = self.side.query.text()
            self.side.matches.setText(f"{len(self.matches)} matches" if query else "")
        except SearchError as exc:
            self.matches = EMPTY
            self.side.matches.setText(str(exc))
        self._apply_emphasis()

    def _legend_picked(self, entry: int) -> None:
        if self.coloring is not None:
            self.side.query.blockSignals(True)
            self.side.query.clear()
            self.side.query.blockSignals(False)
            self.matches = np.flatnonzero(self.coloring.index == entry)
            self.side.matches.setText(f"{len(self.matches)} points: {self.coloring.names[entry]}")
            self._apply_emphasis()

    # ---- selection and exports --------------------------------------------------------------------
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

    def export_tensorboard(self, directory: str | Path):
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


def create_panel(window) -> ProjectorPanel:
    """The main window's projector tab (studio/ui/panels.py), wired to the canvas and training panel."""
    from studio.ui.projector.integration import install

    panel = ProjectorPanel(window)
    install(window, panel)
    return panel
