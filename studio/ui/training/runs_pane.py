"""The runs side of the panel: the list of the window's runs (the document's watcher, which follows run
folders live; the checkpoint browser shows the same runs), and the run actions (open, rename, tag,
delete to the trash). Resuming and showing runs are the panel's."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from studio.engine.runs import RunReader
from studio.engine.runs.labels import RunLabels, write_labels
from studio.ui.run_watch import RunsWatcher, WatchedRun
from studio.ui.training.runs_list import RunsList
from studio.ui.trash import move_to_trash


class RunsPane(QObject):
    """Lists the runs of ``watcher`` (the document's) in ``view`` (a RunsList) and acts on them. Dialogs
    are methods tests can replace."""

    sigMessage = Signal(str)  # something to tell the user
    sigRemoved = Signal(object)  # path of a run moved to the trash

    def __init__(self, view: RunsList, watcher: RunsWatcher, parent: QWidget) -> None:
        super().__init__(parent)
        self.view = view
        self.parent_widget = parent
        self.watcher = watcher
        watcher.sigUpdated.connect(self._updated)
        watcher.sigAdded.connect(lambda path: self._updated([path]))
        watcher.sigRemoved.connect(view.remove_run)
        watcher.sigMoved.connect(lambda old, new: view.move_run(old, watcher.get(new)))
        for run in watcher.runs.values():  # followed before this list was made
            view.update_run(run)
        view.sigOpen.connect(self.choose_run)
        view.sigRename.connect(self.rename)
        view.sigTags.connect(self.edit_tags)
        view.sigDelete.connect(self.delete)
        self.busy_runs: set[Path] = set()  # runs this window is training now

    def follow(self, path: str | Path, live: bool = False) -> WatchedRun:
        """Follow ``path`` and list it."""
        run = self.watcher.add(path, live)
        self.view.update_run(run)
        return run

    def open(self, path: str | Path) -> WatchedRun:
        """Follow a run folder, read it now and select it."""
        run = self.follow(path)
        self.watcher.read_now()
        self.view.update_run(run)
        self.view.select([run.path])
        return run

    def choose_run(self) -> None:
        folder = self.ask_folder()
        if folder:
            self.open(folder)

    def rename(self, path: Path) -> None:
        run = self.watcher.get(path)
        name = self.ask_text("Rename run", "Name shown for this run:", run.name)
        if name is not None:
            self._write(run, RunLabels(name.strip(), run.labels.tags))

    def edit_tags(self, path: Path) -> None:
        run = self.watcher.get(path)
        text = self.ask_text("Tags", "Tags, separated by commas:", ", ".join(run.labels.tags))
        if text is not None:
            tags = tuple(tag.strip() for tag in text.split(",") if tag.strip())
            self._write(run, RunLabels(run.labels.name, tags))

    def delete(self, path: Path) -> bool:
        """Move the run folder to the trash after asking; refused while the run trains."""
        run = self.watcher.get(path)
        if run.path in self.busy_runs or RunReader(run.path).is_alive():
            self.sigMessage.emit(f"{run.name} is still training: stop it before deleting it")
            return False
        if not self.confirm("Delete run", f"Move the run '{run.name}' ({run.path}) and its checkpoints to "
                            "the trash?"):
            return False
        if not move_to_trash(run.path):
            self.sigMessage.emit(f"{run.path} could not be moved to the trash (is it on another drive, or "
                                 "read-only?): nothing was deleted")
            return False
        self.watcher.remove(run.path)  # (the list drops its row)
        self.sigRemoved.emit(run.path)
        self.sigMessage.emit(f"Moved {run.name} to the trash")
        return True

    def _write(self, run: WatchedRun, labels: RunLabels) -> None:
        try:
            write_labels(run.path, labels)
        except OSError as exc:
            self.sigMessage.emit(f"cannot save the run's name and tags: {exc}")
            return
        run.labels = labels
        self.view.update_run(run)

    def _updated(self, paths: list[Path]) -> None:
        for path in paths:
            run = self.watcher.get(path)
            if run is not None:
                self.view.update_run(run)

    # ---- dialogs (tests replace these) -----------------------------------------------------------
    def ask_folder(self) -> str:
        return QFileDialog.getExistingDirectory(self.parent_widget, "Open a run folder")

    def ask_text(self, title: str, label: str, text: str) -> str | None:
        value, ok = QInputDialog.getText(self.parent_widget, title, label, text=text)
        return value if ok else None

    def confirm(self, title: str, text: str) -> bool:
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(self.parent_widget, title, text, buttons.Yes | buttons.No, buttons.No)
        return answer == buttons.Yes
