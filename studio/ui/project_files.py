"""Project files for the main window: new, open, save, the unsaved-changes question, autosave and
crash recovery. A mixin of :class:`MainWindow` (it uses ``document``, ``settings``, ``message`` and
``canvases``); dialogs go through ``ask_save``, ``ask_restore`` and ``show_error`` so tests can answer."""

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
    load_recovery,
    write_autosave,
)
from studio.engine.spec.model import ModelSpec
from studio.engine.templates import create_template


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
        self.document.replace(demo_project())
        self._fit_soon()

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        start = str(self.document.path.parent) if self.document.path else str(Path.home())
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
        start = self.document.path or Path.home() / f"{self.document.spec.name}{PROJECT_SUFFIX}"
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
        self.message(f"Saved {path}")
        return True

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False when the user cancels."""
        if not self.document.modified:
            return True
        answer = self.ask_save()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def ask_save(self) -> str:
        """'save', 'discard' or 'cancel' (a dialog; tests replace this method)."""
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {self.document.title}?",
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
        try:
            return write_autosave(self.document.project, self.document.path, self.settings.recovery_dir())
        except ProjectError as exc:
            self.message(str(exc))
            return None

    def offer_recovery(self) -> bool:
        """On start: offer to restore work a crashed session left; True when something was restored."""
        for recovery in find_recoveries(self.settings.recovery_dir()):
            answer = self.ask_restore(recovery)
            if answer == "later":
                continue
            if answer == "restore":
                try:
                    project = load_recovery(recovery)
                except StudioError as exc:
                    self.show_error("Cannot restore", str(exc))
                    continue
                self.document.replace(project, recovery.source, modified=True)
                self._autosave_due = True
                self.autosave_now()
                recovery.path.unlink(missing_ok=True)
                self._fit_soon()
                return True
            recovery.path.unlink(missing_ok=True)
        return False

    def ask_restore(self, recovery: Recovery) -> str:
        """'restore', 'discard' or 'later' (a dialog; tests replace this method)."""
        box = QMessageBox(QMessageBox.Icon.Question, "Restore unsaved work",
                          f"Studio did not close properly. Restore the unsaved work on {recovery.label}?",
                          parent=self)
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
