"""Project files for the main window: new, open, save, the unsaved-changes question, autosave and
crash recovery. A mixin of :class:`MainWindow` (it uses ``document``, ``settings``, ``message`` and
``canvases``); dialogs go through ``ask_save``, ``ask_restore`` and ``show_error`` so tests can answer.

Runs of an untitled project live in its scratch folder until the first save moves them beside the
project file (``ProjectDocument.save``). Discarding an untitled project (the unsaved-changes question)
moves its runs to the system trash, except a run still training, which stays in the scratch folder; a
scratch folder nobody holds any more that still has runs is offered at the next start, with the
autosave of its project when there is one."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from studio.engine.errors import StudioError
from studio.engine.project import (
    PROJECT_SUFFIX,
    Project,
    ProjectError,
    Recovery,
    clear_autosave,
    find_recoveries,
    left_runs_recoveries,
    load_recovery,
    write_autosave,
)
from studio.engine.runs import list_runs
from studio.engine.scratch import RUNS, ScratchFolder
from studio.engine.spec.model import ModelSpec
from studio.engine.templates import create_template
from studio.ui.trash import trash_scratch_runs


class ProjectFiles:
    """File commands of the main window."""

    def new_project(self) -> None:
        if self.maybe_save():
            self.document.replace(Project(ModelSpec("untitled")))

    def new_from_template(self, name: str) -> None:
        if self.maybe_save():
            self.document.replace(Project(create_template(name)))
            self._fit_soon()

    def open_demo(self) -> None:
        """The demo project: the small CNN on the demo Fashion-MNIST folder."""
        if self.maybe_save():
            self.document.replace(demo_project())
            self._fit_soon()

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        start = str(self.document.path.parent if self.document.path else self.settings.project_folder())
        kinds = "Studio projects (*.studio);;Model specs (*.json);;All files (*)"
        path, _ = QFileDialog.getOpenFileName(self, "Open project", start, kinds)
        if path:
            self.open_path(path, ask=False)

    def open_path(self, path: str | Path, ask: bool = True) -> bool:
        """Open a project or spec file; False (with a message) when it cannot be read."""
        if ask and not self.maybe_save():
            return False
        try:
            self.document.open(path)
        except StudioError as exc:
            self.show_error(f"Cannot open {path}", str(exc))
            return False
        self.settings.add_recent(path)
        self._fit_soon()
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        name = f"{self.document.spec.name}{PROJECT_SUFFIX}"
        start = self.document.path or self.settings.project_folder() / name  # not the home folder
        path, _ = QFileDialog.getSaveFileName(self, "Save project", str(start), "Studio projects (*.studio)")
        if not path:
            return False
        if not path.endswith(PROJECT_SUFFIX):
            path += PROJECT_SUFFIX
        return self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        try:
            self.document.save(path)
        except ProjectError as exc:
            self.show_error("Cannot save", str(exc))
            return False
        self.settings.add_recent(path)
        clear_autosave(self.settings.recovery_dir())
        runs = self.document.settled.sentence() if self.document.settled is not None else None
        self.message(f"Saved {path}" + (f"; {runs}" if runs else ""))
        return True

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False when the user cancels."""
        if not self.document.modified:
            return True
        answer = self.ask_save()
        if answer == "save":
            return self.save()
        if answer == "discard":
            self.discard_untitled_runs()
        return answer == "discard"

    def untitled_runs(self) -> list[Path]:
        """The runs in the untitled project's scratch folder (what discarding it throws away)."""
        scratch = self.document.scratch if self.document.path is None else None
        return scratch.run_dirs() if scratch is not None else []

    def discard_untitled_runs(self) -> None:
        """The untitled project is discarded: its runs go to the trash (one training now stays)."""
        scratch = self.document.scratch
        if self.document.path is None and scratch is not None:
            said = trash_scratch_runs(scratch.root, scratch.run_dirs(), self.document.busy_runs)
            if said:
                self.message(said)

    def ask_save(self) -> str:
        """'save', 'discard' or 'cancel' (a dialog; tests replace this method)."""
        buttons = QMessageBox.StandardButton
        runs = len(self.untitled_runs())
        also = (f"\n\nIts {runs} trained run{'s' if runs != 1 else ''} go{'es' if runs == 1 else ''} to the "
                "trash if you don't save (a run still training is kept)." if runs else "")
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {self.document.title}?{also}",
            buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        return {buttons.Save: "save", buttons.Discard: "discard"}.get(answer, "cancel")

    def show_error(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)

    def _fit_soon(self) -> None:
        QTimer.singleShot(0, lambda: self.canvases[None].fit())

    # ---- autosave and recovery ----------------------------------------------------------------
    def autosave_now(self) -> Path | None:
        """Write the autosave file when there are unsaved edits since the last one."""
        if not (self._autosave_due and self.document.modified):
            return None
        self._autosave_due = False
        scratch = self.document.scratch.root if self.document.scratch is not None else None
        try:
            return write_autosave(self.document.project, self.document.path, self.settings.recovery_dir(),
                                  scratch if self.document.path is None else None)
        except ProjectError as exc:
            self.message(str(exc))
            return None

    def offer_recovery(self) -> bool:
        """On start: offer to restore work a crashed session left, then runs trained in untitled projects
        that were left behind (a crash before any autosave, a window closed while its run trained); True
        when something was restored. Discarding moves those runs to the trash."""
        recoveries = find_recoveries(self.settings.recovery_dir())
        recoveries += left_runs_recoveries(self.settings.scratch_dir(), recoveries)
        for recovery in recoveries:
            answer = self.ask_restore(recovery)
            if answer == "later":
                continue
            untitled = recovery.scratch and not recovery.source  # (its runs are in that scratch folder)
            scratch = ScratchFolder.adopt(recovery.scratch) if untitled else None
            if answer == "restore":
                try:
                    project = load_recovery(recovery)
                except StudioError as exc:
                    if scratch is not None:
                        scratch.release()
                    self.show_error("Cannot restore", str(exc))
                    continue
                self.document.replace(project, recovery.source, modified=True, scratch=scratch)
                self._autosave_due = True
                self.autosave_now()
                if recovery.path.is_file():
                    recovery.path.unlink(missing_ok=True)
                self._fit_soon()
                return True
            if scratch is not None:  # discarded: its runs go to the trash
                said = trash_scratch_runs(scratch.root, list_runs(scratch.root / RUNS), set())
                scratch.release()
                if said:
                    self.message(said)
            if recovery.path.is_file():
                recovery.path.unlink(missing_ok=True)
        return False

    def ask_restore(self, recovery: Recovery) -> str:
        """'restore', 'discard' or 'later' (a dialog; tests replace this method)."""
        question = (f"Runs were left behind: {recovery.label}. Open them in a new project? (Discard moves "
                    "them to the trash.)" if recovery.path.is_dir() else
                    f"Studio did not close properly. Restore the unsaved work on {recovery.label}?")
        box = QMessageBox(QMessageBox.Icon.Question, "Restore unsaved work", question, parent=self)
        restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return "restore" if box.clickedButton() is restore else "discard" if box.clickedButton() is discard \
            else "later"


def demo_project() -> Project:
    """The demo project (small CNN + demo data) from the training engine's demo helpers when present."""
    try:
        from studio.engine.demo import demo_data_dir, demo_spec
    except ImportError:
        return Project(create_template("small_cnn"))
    return Project(demo_spec(), data_dir=str(demo_data_dir()))
