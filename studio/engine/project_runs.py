"""A project owns its runs: they live in ``runs/`` beside the project file and the file lists them by
relative path, so a project folder copied or moved elsewhere opens with its runs.

- :func:`run_reference`: how the file names a run (relative when inside the project's folder).
- :func:`settle_runs`, on a save: the runs of the untitled project's scratch folder
  (:mod:`studio.engine.scratch`) move into ``runs/`` beside the file, one run at a time
  (:func:`move_run`); every entry is written for the file's folder. Runs elsewhere (another project's
  folder, a cluster's shared storage, the old folder of a project saved under a new name) are never
  moved or copied: they stay listed where they are (absolute paths).
- A run being written (its trainer holds ``RUN/.lock``) is not moved: the file lists it where it is
  and notes so in its scratch folder; :func:`finish_moves` moves it once it ended (when its training
  ends in the window, or when the project is next opened).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.engine.atomic import atomic_write_text
from studio.engine.errors import StudioError
from studio.engine.jsonio import dumps_json, read_json
from studio.engine.project import Project, ProjectError, load_project
from studio.engine.runs import RunReader, layout, list_runs
from studio.engine.runs.lock import LOCK, NO_FLOCK, RunLock, RunLocked
from studio.engine.scratch import claim, inside, tidy

RUNS = "runs"


@dataclass
class RunsSettled:
    """What :func:`settle_runs` did: ``moved`` (old folder -> new), ``waiting`` (runs being written,
    left where they are until they end), ``failed`` (run -> why it could not move; it stays listed
    where it is and nothing of it was lost)."""

    home: Path
    moved: dict[Path, Path] = field(default_factory=dict)
    waiting: list[Path] = field(default_factory=list)
    failed: dict[Path, str] = field(default_factory=dict)

    def sentence(self) -> str | None:
        """One line for the window (None when nothing happened)."""
        parts = []
        if self.moved:
            count = len(self.moved)
            parts.append(f"{count} run{'s' if count != 1 else ''} moved into {self.home}")
        for run in self.waiting:
            parts.append(f"{run.name} is training: it moves into {self.home} when it ends")
        for run, why in self.failed.items():
            parts.append(f"{run.name} could not be moved into {self.home} ({why}): it stays in {run.parent} "
                         "and the project lists it there")
        return "; ".join(parts) or None


def run_reference(run_dir: str | os.PathLike, project_file: str | os.PathLike | None) -> str:
    """How a project file names ``run_dir``: relative to the file's folder when inside it, else
    absolute (an untitled project: absolute)."""
    run_dir = Path(run_dir).expanduser().resolve()
    if project_file is None:
        return str(run_dir)
    folder = Path(project_file).resolve().parent
    if inside(run_dir, folder):
        return run_dir.relative_to(folder).as_posix()
    return str(run_dir)


def project_run_dirs(project: Project, project_file: str | os.PathLike | None,
                     runs_folder: Path | None) -> list[Path]:
    """The project's run folders: those it lists that exist, then other runs in ``runs_folder`` (where
    its Train writes: ``runs/`` beside the file, or the untitled project's scratch folder), oldest first."""
    found, seen = [], set()
    for entry in project.runs:
        path = project.resolve(entry, project_file)
        if path.is_dir() and path.resolve() not in seen:
            found.append(path)
            seen.add(path.resolve())
    for path in reversed(list_runs(runs_folder)) if runs_folder is not None else []:
        if path.resolve() not in seen:
            found.append(path)
            seen.add(path.resolve())
    return found


def being_written(run_dir: str | os.PathLike) -> bool:
    """Whether a trainer holds the run folder's lock now (nothing in the folder is changed to find out)."""
    try:
        fd = os.open(Path(run_dir) / LOCK, os.O_RDONLY)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    except OSError as exc:
        if exc.errno not in NO_FLOCK:
            return True
        return RunReader(run_dir).is_alive()  # no flock here: believe the run's heartbeat
    finally:
        os.close(fd)


def move_run(source: str | os.PathLike, folder: str | os.PathLike) -> Path:
    """Move run folder ``source`` into ``folder`` (a free name: ``name``, ``name-2``...) and return where
    it went. The run's lock is held throughout, so no trainer starts writing it meanwhile (RunLocked
    when one writes it now). On one file system it is one rename; across file systems the run is copied
    beside its destination under a hidden name, renamed into place, then the source is deleted, so the
    destination is never half a run. OSError when it cannot (the source is then as it was)."""
    source, folder = Path(source), Path(folder)
    times = source.stat()
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder / source.name)
    with RunLock.acquire(source):
        try:
            os.rename(source, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            _copy_then_rename(source, target)
            shutil.rmtree(source, ignore_errors=True)  # (what cannot be removed is a copy: nothing lost)
        (target / LOCK).unlink(missing_ok=True)
    os.utime(target, (times.st_atime, times.st_mtime))  # lists sort runs by when they were written
    return target


def _copy_then_rename(source: Path, target: Path) -> None:
    partial = target.with_name(f".{target.name}.moving-{secrets.token_hex(4)}")
    try:
        shutil.copytree(source, partial, symlinks=True, ignore=shutil.ignore_patterns(LOCK))
        os.rename(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def settle_runs(project: Project, old_file: str | os.PathLike | None, new_file: str | os.PathLike,
                scratch_base: str | os.PathLike, busy: Iterable[Path] = (),
                runs_folder: Path | None = None) -> RunsSettled:
    """Before ``project`` (shown from ``old_file``, None when untitled) is written to ``new_file``: move
    its runs that lie in a scratch folder under ``scratch_base`` into ``runs/`` beside ``new_file``
    (except ``busy`` ones, which this window trains now, and those being written), and rewrite
    ``project.runs`` for ``new_file``. ``runs_folder``: where the project's Train wrote until now (its
    scratch folder, or ``runs/`` beside ``old_file``); its runs that the project does not list yet are
    listed too, so the project shows the same runs after the save. Restores (``training.init``) that
    name a checkpoint of a moved run follow it."""
    new_file = Path(new_file)
    settled = RunsSettled(new_file.resolve().parent / RUNS)
    busy = {Path(path).resolve() for path in busy}
    scratch_base = Path(scratch_base)
    sources = [project.resolve(entry, old_file).resolve() for entry in project.runs]
    for path in reversed(list_runs(runs_folder)) if runs_folder is not None else []:
        if path.resolve() not in sources:
            sources.append(path.resolve())
    entries = []
    for source in sources:
        if inside(source, scratch_base):
            source = _bring_home(source, settled, busy)
        entry = run_reference(source, new_file)
        if entry not in entries:
            entries.append(entry)
    project.runs[:] = entries
    if settled.moved:
        project.training = retarget_restores(project.training, settled.moved)
        for target in settled.moved.values():
            _retarget_run_files(target, settled.moved)
    for run in [*settled.waiting, *settled.failed]:  # (so no clean-up of scratch folders takes it)
        claim(run.parent.parent, new_file)
    for root in {source.parent.parent for source in settled.moved}:
        tidy(root)
    return settled


def _bring_home(source: Path, settled: RunsSettled, busy: set[Path]) -> Path:
    """Move one scratch run home; where it is afterwards."""
    if source in busy or (source.is_dir() and being_written(source)):
        settled.waiting.append(source)
        return source
    if not source.is_dir():
        return source  # gone (deleted outside Studio): listed as it was
    try:
        target = move_run(source, settled.home)
    except RunLocked:
        settled.waiting.append(source)
        return source
    except OSError as exc:
        settled.failed[source] = exc.strerror or str(exc)
        return source
    settled.moved[source] = target
    return target


def finish_moves(project_file: str | os.PathLike, scratch_base: str | os.PathLike,
                 busy: Iterable[Path] = ()) -> RunsSettled:
    """Move the runs the saved project ``project_file`` still lists in a scratch folder (they were
    training when it was saved) into its ``runs/`` now that they ended, and write their new place into
    the file (only its ``runs`` and restores change: unsaved edits in a window stay unsaved)."""
    project_file = Path(project_file)
    project = load_project(project_file)
    settled = settle_runs(project, project_file, project_file, scratch_base, busy)
    if settled.moved:
        try:
            document = read_json(project_file, error=ProjectError)
            document["runs"] = list(project.runs)
            document["training"] = project.training
            atomic_write_text(project_file, dumps_json(document, indent=2) + "\n")
        except (OSError, StudioError) as exc:
            settled.failed.update({new: f"the project file could not be updated: {exc}"
                                   for new in settled.moved.values()})
    return settled


def retarget_project(project: Project, project_file: str | os.PathLike, moved: dict[Path, Path]) -> None:
    """Make ``project`` (shown from ``project_file``) list its runs, and restore from checkpoints, where
    ``moved`` put them (in place; the rest of the project is left as it is)."""
    entries = []
    for entry in project.runs:
        new = moved_path(project.resolve(entry, project_file), moved)
        entry = run_reference(new, project_file) if new is not None else entry
        if entry not in entries:
            entries.append(entry)
    project.runs[:] = entries
    project.training = retarget_restores(project.training, moved)


def moved_path(path: str | os.PathLike, moved: dict[Path, Path]) -> Path | None:
    """Where ``path`` (a run or a file in one) is after ``moved`` (None when it did not move)."""
    path = Path(path).expanduser().resolve()
    for old, new in moved.items():
        if inside(path, old):
            return new / path.relative_to(old.resolve())
    return None


def retarget_restores(training: dict[str, Any], moved: dict[Path, Path]) -> dict[str, Any]:
    """``training`` (a TrainConfig as JSON) with each restore's checkpoint following its moved run."""
    init = training.get("init") if isinstance(training, dict) else None
    if not isinstance(init, list):
        return training
    steps = []
    for step in init:
        if isinstance(step, dict) and isinstance(step.get("checkpoint"), str):
            new = moved_path(step["checkpoint"], moved)
            step = {**step, "checkpoint": str(new)} if new is not None else step
        steps.append(step)
    return {**training, "init": steps}


def _retarget_run_files(run_dir: Path, moved: dict[Path, Path]) -> None:
    """A moved run's own files that name checkpoints by path: its restores (``config.json``, read again
    on resume) and its last and best checkpoints (``status.json``)."""
    for name in (layout.CONFIG, layout.STATUS):
        path = run_dir / name
        try:
            data = read_json(path)
        except StudioError:
            continue
        if not isinstance(data, dict):
            continue
        changed = retarget_restores(data, moved) if name == layout.CONFIG else dict(data)
        for key in ("last_checkpoint", "best_checkpoint") if name == layout.STATUS else ():
            if isinstance(data.get(key), str) and (new := moved_path(data[key], moved)) is not None:
                changed[key] = str(new)
        if changed != data:
            with contextlib.suppress(OSError):  # (the run itself is intact: its checkpoints moved with it)
                atomic_write_text(path, dumps_json(changed, indent=1) + "\n")
