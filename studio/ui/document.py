"""The open project: its file, its spec, the undo stack and live validation.

The document owns one :class:`ModelSpec` for the window's lifetime (opening a file replaces its
content, so every view stays subscribed). Any edit schedules one re-analysis on the next turn of
the event loop, so a macro of many edits is analysed once; views listen to ``sigAnalysed``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from studio.engine.project import Project, load_project, save_project
from studio.engine.spec.analysis import Analysis, analyze
from studio.engine.spec.model import ModelSpec, SpecEvent

UNTITLED = "Untitled"


class ProjectDocument(QObject):
    """A project being edited: ``spec``, ``project``, ``path``, ``undo_stack`` and ``analysis``."""

    sigAnalysed = Signal(object)  # Analysis of the model after edits
    sigFileChanged = Signal()  # path or modified state changed
    sigEdited = Signal()  # any change of the spec (for autosave and views)
    sigModelChanged = Signal()  # a change of the model itself (not a node merely moved)

    def __init__(self, project: Project | None = None, path: str | Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
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
        if project is not None:
            self.replace(project, path)

    # ---- content ------------------------------------------------------------------------------
    def replace(self, project: Project, path: str | Path | None = None, modified: bool = False) -> None:
        """Show ``project`` (a file was opened, a new project made or work recovered)."""
        self.undo_stack.clear()
        self.spec.replace_with(project.spec)
        self.project = Project(self.spec, dict(project.training), project.data_dir, list(project.runs))
        self.path = Path(path) if path else None
        self._extra_changes = modified
        self.undo_stack.setClean()
        self.data_facts = None  # (another project's data: the training panel learns it anew)
        self.revalidate()
        self.sigFileChanged.emit()

    def open(self, path: str | Path, project: Project | None = None) -> None:
        """Show a ``.studio`` project or a spec file (read now unless ``project`` holds it already);
        raises StudioError on a bad file. A spec file becomes an unsaved project."""
        project = project if project is not None else load_project(path)
        is_project = Path(path).suffix == ".studio"
        self.replace(project, path if is_project else None, modified=not is_project)

    def save(self, path: str | Path | None = None) -> Path:
        """Write the project to ``path`` (default: where it came from); marks it unmodified."""
        target = Path(path) if path else self.path
        if target is None:
            raise ValueError("save() needs a path for an untitled project")
        save_project(self.project, target)
        self.path = target
        self._extra_changes = False
        self.undo_stack.setClean()
        self.sigFileChanged.emit()
        return target

    def mark_modified(self) -> None:
        """A change outside the undo stack (e.g. the training settings) needs saving."""
        if not self._extra_changes:
            self._extra_changes = True
            self.sigFileChanged.emit()

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
