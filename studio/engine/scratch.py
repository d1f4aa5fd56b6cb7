"""Scratch folders: where an untitled project's runs go until it is saved.

Each untitled project (File > New, the demo, a template, a spec file) gets its own folder
``<base>/<id>/runs`` (``<base>``: the ``scratch`` folder in Studio's data folder), so two untitled
projects never list each other's runs. The folder is locked (``<id>/.lock``, the run folders' lock)
while a window shows its project; the first save moves its runs into the project
(:mod:`studio.engine.project_runs`). A scratch folder nobody holds was left by a window closed while one
of its runs still trained, or by a session that crashed: :func:`left_scratch` finds those that still
hold runs (for crash recovery to offer) and removes the empty ones.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from studio.engine.errors import StudioError
from studio.engine.jsonio import dumps_json, read_json
from studio.engine.project import Project, ProjectError, load_project
from studio.engine.runs import RunReader, list_runs
from studio.engine.runs.lock import LOCK, RunLock, RunLocked
from studio.engine.spec.model import ModelSpec

RUNS = "runs"
CLAIMS = "claims.json"  # saved projects that list a run still here (it was training when they were saved)


class ScratchFolder:
    """One untitled project's scratch folder, held (locked) until :meth:`release`."""

    def __init__(self, root: Path, lock: RunLock) -> None:
        self.root = root
        self._lock: RunLock | None = lock

    @classmethod
    def create(cls, base: str | os.PathLike) -> ScratchFolder:
        """A new, empty scratch folder under ``base``."""
        base = Path(base)
        while True:
            root = base / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{secrets.token_hex(3)}"
            if not root.exists():
                break
        try:
            lock = RunLock.acquire(root)
            (root / RUNS).mkdir(exist_ok=True)
        except OSError as exc:
            raise StudioError(f"cannot make a folder for the runs of the untitled project in {base}: "
                              f"{exc.strerror or exc}") from None
        return cls(root, lock)

    @classmethod
    def adopt(cls, root: str | os.PathLike) -> ScratchFolder | None:
        """Hold the scratch folder ``root`` a crashed session left (None when it is gone or another
        window holds it)."""
        root = Path(root)
        if not root.is_dir():
            return None
        try:
            return cls(root, RunLock.acquire(root))
        except (RunLocked, OSError):
            return None

    @property
    def runs(self) -> Path:
        """The folder new runs of the untitled project go to."""
        return self.root / RUNS

    @property
    def held(self) -> bool:
        return self._lock is not None

    def run_dirs(self) -> list[Path]:
        """The run folders in it, newest first."""
        return list_runs(self.runs)

    def contains(self, path: str | os.PathLike) -> bool:
        return inside(Path(path), self.root)

    def release(self) -> None:
        """Let go; the folder goes too when no run is left in it."""
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()
            remove_if_empty(self.root)


@dataclass(frozen=True)
class LeftScratch:
    """A scratch folder nobody holds that still has runs: ``runs`` newest first, ``written`` the time
    of the newest."""

    root: Path
    runs: tuple[Path, ...]
    written: float


def left_scratch(base: str | os.PathLike, claimed: Iterable[str | os.PathLike] = ()) -> list[LeftScratch]:
    """Scratch folders under ``base`` that no window holds, that hold runs and are neither ``claimed``
    (an autosave names them) nor listed by a saved project (their runs move there when it opens), newest
    first. Empty ones are removed on the way."""
    base = Path(base)
    skip = {Path(path).resolve() for path in claimed}
    found = []
    for root in sorted(base.iterdir()) if base.is_dir() else []:
        if not root.is_dir() or root.resolve() in skip:
            continue
        try:
            lock = RunLock.acquire(root)
        except (RunLocked, OSError):
            continue  # a window holds it
        try:
            runs = tuple(list_runs(root / RUNS))
        finally:
            lock.release()
        if not runs:
            remove_if_empty(root)
        elif not any(_lists(project, root) for project in claims(root)):
            written = max(path.stat().st_mtime for path in runs)
            found.append(LeftScratch(root.resolve(), runs, written))
    return sorted(found, key=lambda item: item.written, reverse=True)


def project_from_runs(left: LeftScratch) -> Project:
    """An untitled project around the runs of a scratch folder left behind: the model and settings of
    its newest run, every run listed."""
    reader = RunReader(left.runs[0])
    spec, config = reader.spec(), reader.config()
    config = config if isinstance(config, dict) else {}
    data = config.get("data")
    if not isinstance(data, dict):
        data = {}
    root = data.get("root") if isinstance(data.get("root"), str) and data.get("root") else None
    return Project(spec or ModelSpec("untitled"), dict(config) if spec is not None else {}, root,
                   [str(path) for path in reversed(left.runs)])


# ---- claims: saved projects that list a run still in a scratch folder --------------------------------


def claim(root: str | os.PathLike, project_file: str | os.PathLike) -> None:
    """Note in scratch folder ``root`` that ``project_file`` lists one of its runs."""
    root = Path(root)
    entries = [str(Path(project_file).resolve())]
    entries += [entry for entry in claims(root) if entry != entries[0]]
    with contextlib.suppress(OSError):
        (root / CLAIMS).write_text(dumps_json(entries) + "\n", encoding="utf-8")


def claims(root: str | os.PathLike) -> list[str]:
    """Project files that noted they list a run of scratch folder ``root``."""
    try:
        entries = read_json(Path(root) / CLAIMS, max_bytes=1 << 20)
    except StudioError:
        return []
    return [entry for entry in entries if isinstance(entry, str)] if isinstance(entries, list) else []


def _lists(project_file: str, root: Path) -> bool:
    """Whether the saved project ``project_file`` still lists a run in ``root``."""
    try:
        project = load_project(project_file)
    except (ProjectError, StudioError):
        return False
    return any(inside(project.resolve(entry, project_file), root) for entry in project.runs)


# ---- paths ---------------------------------------------------------------------------------------------


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or below it (both resolved)."""
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
    except ValueError:
        return False
    return True


def tidy(root: Path) -> None:
    """Remove scratch folder ``root`` when no window holds it and no run is left in it."""
    try:
        RunLock.acquire(root).release()
    except (RunLocked, OSError):
        return  # its window removes it when it lets go
    remove_if_empty(root)


def remove_if_empty(root: Path) -> None:
    """Remove scratch folder ``root`` when no run is in it (its lock file, claims and empty folders go
    with it; nothing else is touched)."""
    if not root.is_dir() or list_runs(root / RUNS):
        return
    leftovers = [entry for entry in root.iterdir() if entry.name not in (LOCK, CLAIMS, RUNS)]
    runs = root / RUNS
    if leftovers or (runs.is_dir() and any(runs.iterdir())):
        return  # something that is not ours: leave it
    with contextlib.suppress(OSError):
        if runs.is_dir():
            runs.rmdir()
        for name in (CLAIMS, LOCK):
            (root / name).unlink(missing_ok=True)
        root.rmdir()

