"""The open project: its file, its spec, the undo stack and live validation.

The document owns one :class:`ModelSpec` for the window's lifetime (opening a file replaces its
content, so every view stays subscribed). Any edit schedules one re-analysis on the next turn of
the event loop, so a macro of many edits is analysed once; views listen to ``sigAnalysed``.

Runs go to ``runs/`` beside the project file; an untitled project has its own scratch folder
(:mod:`studio.engine.scratch`), made when it first trains, whose runs move beside the file on the first
save (:mod:`studio.engine.project_runs`); ``sigRunsMoved`` tells the views where they went.

What the panels share lives here, so no panel reaches into another: ``runs`` (the one
:class:`RunsWatcher` of the window: the project's runs and those opened, followed as they are written),
``live_model`` (the edited model with restored weights, once the checkpoint panel made it),
``sigRunEnded`` (a run trained in the window ended), ``set_training``/``sigTrainingChanged`` (the
training settings changed by another panel) and ``show_predictions`` (per-image predictions to show
in the training results).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMetaMethod, QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from studio.engine.errors import StudioError
from studio.engine.project import Project, load_project, save_project
from studio.engine.project_runs import (
    RunsSettled,
    finish_moves,
    project_run_dirs,
    retarget_project,
    run_reference,
    settle_runs,
)
from studio.engine.scratch import ScratchFolder, claims, inside
from studio.engine.spec.analysis import Analysis, analyze
from studio.engine.spec.model import ModelSpec, SpecEvent
from studio.ui.run_watch import RunsWatcher

UNTITLED = "Untitled"


class ProjectDocument(QObject):
    """A project being edited: ``spec``, ``project``, ``path``, ``undo_stack`` and ``analysis``."""

    sigAnalysed = Signal(object)  # Analysis of the model after edits
    sigFileChanged = Signal()  # path or modified state changed
    sigEdited = Signal()  # any change of the spec (for autosave and views)
    sigModelChanged = Signal()  # a change of the model itself (not a node merely moved)
    sigRunsMoved = Signal(object, object)  # {old run folder: new one} (resolved), a sentence or None
    sigRunEnded = Signal(object)  # TrainResult or JobFailure of a run trained in this window
    sigTrainingChanged = Signal()  # project.training replaced through set_training (forms reload)
    sigShowPredictions = Signal(object)  # Predictions to show in the training results

    def __init__(self, project: Project | None = None, path: str | Path | None = None,
                 parent: QObject | None = None, scratch_base: Path | None = None) -> None:
        super().__init__(parent)
        self.scratch: ScratchFolder | None = None  # the untitled project's runs (see runs_folder)
        self.busy_runs: set[Path] = set()  # runs this window trains now: never moved (the training panel's)
        self.settled: RunsSettled | None = None  # what the last save did with the runs
        self._scratch_base = scratch_base
        self.spec = ModelSpec("untitled")
        self.project = Project(self.spec)
        self.path: Path | None = None
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self._analysis: Analysis | None = None
        self.data_facts = None  # DataFacts of the project's data folder, once known (see set_data_facts)
        self._extra_changes = False  # changes outside the undo stack (e.g. a recovered autosave)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.revalidate)
        self.spec.subscribe(self._on_event)
        self.runs = RunsWatcher(self, discover=self.run_search)  # the window's runs (every panel's)
        self.live_model = None  # the edited model with its weights (ui.checkpoints LiveModel), once made
        if project is not None:
            self.replace(project, path)

    # ---- content ------------------------------------------------------------------------------
    def replace(self, project: Project, path: str | Path | None = None, modified: bool = False,
                scratch: ScratchFolder | None = None) -> None:
        """Show ``project`` (a file was opened, a new project made or work recovered; ``scratch``: the
        folder of its runs while untitled, when it has one already)."""
        if self.scratch is not None and self.scratch is not scratch:
            self.scratch.release()  # (its folder goes unless runs are left in it)
        self.scratch = scratch
        self.undo_stack.clear()
        self.spec.replace_with(project.spec)
        self.project = Project(self.spec, dict(project.training), project.data_dir, list(project.runs))
        self.path = Path(path) if path else None
        self._extra_changes = modified
        self.undo_stack.setClean()
        self.data_facts = None  # (another project's data: the training panel learns it anew)
        wanted = self.run_dirs()
        self.runs.keep_only(wanted, self.busy_runs)  # another project: its own runs
        for run_dir in wanted:
            self.runs.add(run_dir)
        self.revalidate()
        self.sigFileChanged.emit()

    def open(self, path: str | Path, project: Project | None = None) -> None:
        """Show a ``.studio`` project or a spec file (read now unless ``project`` holds it already);
        raises StudioError on a bad file. A spec file becomes an unsaved project."""
        project = project if project is not None else load_project(path)
        is_project = Path(path).suffix == ".studio"
        settled = None
        if is_project and self._lists_scratch_runs(project, path):  # saved while they trained
            settled = self._finish(Path(path))
            project = load_project(path) if settled is not None and settled.moved else project
        self.replace(project, path if is_project else None, modified=not is_project)
        if settled is not None and settled.sentence():
            self._runs_moved(settled.moved, settled.sentence())

    def save(self, path: str | Path | None = None) -> Path:
        """Write the project to ``path`` (default: where it came from); marks it unmodified. The runs of
        an untitled project move into ``runs/`` beside the file first (``settled`` says what happened;
        a run training now moves when it ends); every run is listed relative to the file when inside
        its folder."""
        target = Path(path) if path else self.path
        if target is None:
            raise ValueError("save() needs a path for an untitled project")
        self.settled = settle_runs(self.project, self.path, target, self.scratch_base, self.busy_runs,
                                   self.runs_folder())
        if self.settled.moved:
            self._runs_moved(self.settled.moved, self.settled.sentence())
        try:
            save_project(self.project, target)
        except StudioError:  # listed by absolute path again: the moved runs are where they went
            self.project.runs[:] = [run_reference(self.project.resolve(entry, target), self.path)
                                    for entry in self.project.runs]
            raise
        self.path = target
        if self.scratch is not None and not self.scratch.run_dirs():
            self.scratch.release()
            self.scratch = None
        self._extra_changes = False
        self.undo_stack.setClean()
        self.runs.follow_new()  # (a new runs folder beside the file may hold runs already)
        self.sigFileChanged.emit()
        return target

    # ---- runs ---------------------------------------------------------------------------------
    @property
    def scratch_base(self) -> Path:
        """Where untitled projects' scratch folders are (Studio's data folder unless given)."""
        if self._scratch_base is None:
            from studio.ui.settings import AppSettings

            return AppSettings().scratch_dir()
        return self._scratch_base

    def runs_folder(self, create: bool = False) -> Path | None:
        """Where Train writes runs: ``runs/`` beside the project file; while untitled, the project's own
        scratch folder (None until it first trains: ``create`` makes it; StudioError when it cannot)."""
        if self.path is not None:
            return self.path.resolve().parent / "runs"
        if self.scratch is None and create:
            self.scratch = ScratchFolder.create(self.scratch_base)
        return self.scratch.runs if self.scratch is not None else None

    def run_dirs(self) -> list[Path]:
        """The project's runs: those it lists that exist, then the others in its runs folder."""
        return self.run_search()()

    def run_search(self) -> Callable[[], list[Path]]:
        """``run_dirs`` as a search of the project as it is now, safe to run in a job."""
        project = dataclasses.replace(self.project, runs=list(self.project.runs))
        return functools.partial(project_run_dirs, project, self.path, self.runs_folder())

    def run_ended(self, run_dir: str | Path) -> dict[Path, Path]:
        """A run trained in this window ended: if a saved project lists it in a scratch folder (it was
        training when the project was saved), it moves into that project now; returns what moved."""
        run_dir, moved = Path(run_dir), {}
        if not inside(run_dir, self.scratch_base):
            return moved
        files = {Path(entry) for entry in claims(run_dir.parent.parent)}
        if self.path is not None and self._lists_scratch_runs(self.project, self.path):
            files.add(self.path.resolve())
        for project_file in files:
            settled = self._finish(project_file)
            if settled is not None and settled.sentence():
                moved.update(settled.moved)
                self._runs_moved(settled.moved, settled.sentence())
        return moved

    def _runs_moved(self, moved: dict[Path, Path], sentence: str | None) -> None:
        """Runs went into a project's folder: the runs followed follow them, then the views hear it."""
        for old, new in moved.items():
            self.runs.rename(old, new)
        self.sigRunsMoved.emit(moved, sentence)

    def release_scratch(self) -> None:
        """The window closes: let go of the untitled project's scratch folder (gone when empty)."""
        if self.scratch is not None:
            self.scratch.release()
            self.scratch = None

    def _finish(self, project_file: Path) -> RunsSettled | None:
        if not project_file.exists():
            return None
        try:
            settled = finish_moves(project_file, self.scratch_base, self.busy_runs)
        except StudioError:
            return None
        if settled.moved and self.path is not None and self.path.resolve() == project_file.resolve():
            retarget_project(self.project, self.path, settled.moved)
            if self.scratch is not None and not self.scratch.run_dirs():
                self.scratch.release()
                self.scratch = None
        return settled

    def _lists_scratch_runs(self, project: Project, path: str | Path) -> bool:
        return any(inside(project.resolve(entry, path), self.scratch_base) for entry in project.runs)

    def mark_modified(self) -> None:
        """A change outside the undo stack (e.g. the training settings) needs saving."""
        if not self._extra_changes:
            self._extra_changes = True
            self.sigFileChanged.emit()

    def set_training(self, training: dict) -> None:
        """Replace the project's training settings from outside the training panel (its forms reload)."""
        self.project.training = training
        self.mark_modified()
        self.sigTrainingChanged.emit()

    def show_predictions(self, predictions) -> bool:
        """Ask the training results to show ``predictions``; False when no view shows them."""
        if not self.isSignalConnected(QMetaMethod.fromSignal(self.sigShowPredictions)):
            return False
        self.sigShowPredictions.emit(predictions)
        return True

    def push(self, command: QUndoCommand) -> None:
        """Run ``command`` and put it on the undo stack."""
        self.undo_stack.push(command)

    # ---- state --------------------------------------------------------------------------------
    @property
    def modified(self) -> bool:
        return self._extra_changes or not self.undo_stack.isClean()

    @property
    def title(self) -> str:
        return self.path.name if self.path else UNTITLED

    @property
    def analysis(self) -> Analysis:
        """The current analysis (computed now if an edit made it stale)."""
        if self._analysis is None:
            self.revalidate()
        return self._analysis

    def set_data_facts(self, facts) -> None:
        """What the data folder gives (a DataFacts, or None: unknown): the model is analysed against
        it, so an input without a shape shows the data's and a head that does not fit is a problem."""
        if facts != self.data_facts:
            self.data_facts = facts
            self.revalidate()

    def revalidate(self) -> Analysis:
        """Analyse the spec now (against the data, when known) and tell the views."""
        self._timer.stop()
        self._analysis = analyze(self.spec, data=self.data_facts)
        self.sigAnalysed.emit(self._analysis)
        return self._analysis

    def _clean_changed(self, clean: bool) -> None:
        self.sigFileChanged.emit()

    def _on_event(self, event: SpecEvent) -> None:
        if event.kind != "node_moved":
            self._analysis = None
            self._timer.start()
            self.sigModelChanged.emit()
        self.sigEdited.emit()
