"""``ProjectorPanel``: the embedding projector tab — choose what to project on the left, explore the
points in the middle, legend, search, selection and neighbours on the right.

All computing is the engine's (:func:`studio.engine.projector.projecting.run_projection`), in a background
:class:`Job`; the panel only shows what it reports.
``create_panel(window)`` plugs it into the main window (see studio/ui/panels.py).
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QApplication, QSplitter, QVBoxLayout, QWidget

from studio.engine.errors import StudioError
from studio.engine.projector import Cancelled, Embedding, NeighbourIndex, Projection
from studio.engine.projector.points import LiveSource
from studio.engine.projector.projecting import ProjectionResult, run_projection
from studio.engine.projector.reports import Prepared, Stage
from studio.engine.projector.request import ProjectionRequest
from studio.engine.projector.tsne import preload as preload_tsne
from studio.ui.panels import Panel
from studio.ui.projector.colors import Coloring
from studio.ui.projector.display import DisplayMixin
from studio.ui.projector.explore import EMPTY, ExploreMixin
from studio.ui.projector.exports import ExportMixin
from studio.ui.projector.form import SetupForm
from studio.ui.projector.gallery import GalleryDialog
from studio.ui.projector.integration import install
from studio.ui.projector.sidebar import Sidebar
from studio.ui.projector.sprites import SpriteSheet
from studio.ui.projector.viewer import ViewArea
from studio.ui.scrolling import VerticalScroll
from studio.ui.workers import Job, JobFailure

PRELOAD_AFTER_MS = 1500  # after the window came up: importing openTSNE must not slow the start
_preloading: list[Job] = []  # one preload per process


class ProjectorPanel(DisplayMixin, ExploreMixin, ExportMixin, QWidget, Panel):
    """The projector; ``open_run(path)`` fills it from a run directory."""

    sigShown = Signal(object)  # ProjectionResult now on screen (after a job finished)
    shows_runs = True

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = SetupForm()
        self.view = ViewArea()
        self.side = Sidebar()
        scroll = VerticalScroll(self.form)  # as wide as the form needs: no sideways scrolling
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
        self.live_provider: Callable[[], LiveSource] | None = None
        self.selection_opener: Callable[[ProjectorPanel, np.ndarray], bool] | None = None
        self.gallery: GalleryDialog | None = None
        self._stop = threading.Event()
        self._layouts_shown = 0
        self._aligned: tuple[np.ndarray, np.ndarray] | None = None
        self._connect()
        QTimer.singleShot(PRELOAD_AFTER_MS, self._preload)

    @property
    def embedding(self) -> Embedding | None:
        """The points shown (None before the first projection)."""
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
        view.three_d.toggled.connect(lambda on: self._update_3d())
        side.legend.sigPicked.connect(self._legend_picked)
        self._search_timer = QTimer(self, singleShot=True, interval=150)  # search once typing pauses
        self._search_timer.timeout.connect(self._search_changed)
        side.query.textChanged.connect(self._search_timer.start)
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

    def showEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().showEvent(event)
        self._preload()  # the tab came to the front: a projection may come next

    def _preload(self) -> None:
        """Import t-SNE's library in a worker, once per process: the first projection then costs what a
        repeat does (benchmarks/projector_first.py)."""
        if not _preloading:
            _preloading.append(Job(lambda report: preload_tsne(), name="preload-tsne", nice=10))
            _preloading[0].start()

    # ---- sources ----------------------------------------------------------------------------------
    def open_run(self, path: str | Path, project: bool = True) -> None:
        """Show run ``path``; with ``project``, project its best checkpoint's embedding layer over its
        validation images with the method the form shows (t-SNE unless changed)."""
        self.form.set_run(path)
        if project and self.form.checkpoint.count() and self.form.layer.currentText():
            self.project()

    def set_live_provider(self, provider: Callable[[], LiveSource] | None) -> None:
        """Offer "Live model" as a source; ``provider`` (called when a projection starts) returns what the
        worker calls for a snapshot of the model being edited (so it compiles and copies there)."""
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

    def _check(self, request: ProjectionRequest) -> LiveSource | None:
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

    def confirm_close(self) -> bool:
        """The window is closing: stop a running projection (nothing to save), never refuse; an import
        still preloading ends first (a thread stopped mid-import at exit can crash)."""
        self._stop.set()
        if _preloading:
            _preloading[0].wait(30)
        return True

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
        self._open_3d(projection, comparing=result.compare_projection is not None)
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
        if isinstance(failure.exception, Cancelled):
            self.form.status.setText("Cancelled.")
        else:
            message = failure.message if failure.user_error else f"Projection failed: {failure.message}"
            self._show_problem(message)

    def _show_problem(self, text: str) -> None:
        self.form.show_progress("", 0.0)
        self.form.status.setText(f"<span style='color:#c0392b'>{html.escape(text, quote=False)}</span>")


def create_panel(window) -> ProjectorPanel:
    """The main window's projector tab (studio/ui/panels.py), wired to the canvas and training panel."""
    panel = ProjectorPanel(window)
    install(window, panel)
    return panel
