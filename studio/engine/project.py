"""The project file: a ``.studio`` JSON document holding the spec, the data folder, the training
configuration and the list of runs, plus autosave files for crash recovery.

The training configuration is kept as an opaque JSON object here; the training engine defines its
keys. Relative paths (data folder, runs) are relative to the project file's folder.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.engine.atomic import atomic_write_text
from studio.engine.errors import StudioError
from studio.engine.jsonio import dumps_json, parse_json, read_json
from studio.engine.spec.io import spec_from_dict, spec_to_dict
from studio.engine.spec.model import ModelSpec

PROJECT_FORMAT = "studio.project/1"
PROJECT_SUFFIX = ".studio"
AUTOSAVE_SUFFIX = ".autosave.json"


class ProjectError(StudioError):
    """A project file that cannot be read or written."""


@dataclass
class Project:
    """What a ``.studio`` file holds. ``data_dir`` and ``runs`` may be relative to the file."""

    spec: ModelSpec
    training: dict[str, Any] = field(default_factory=dict)
    data_dir: str | None = None
    runs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"format": PROJECT_FORMAT, "spec": spec_to_dict(self.spec),
                "data": self.data_dir, "training": json.loads(json.dumps(self.training)),
                "runs": list(self.runs)}

    @classmethod
    def from_dict(cls, data: Any) -> Project:
        if not isinstance(data, dict) or data.get("format") != PROJECT_FORMAT:
            tag = data.get("format") if isinstance(data, dict) else None
            raise ProjectError(f"not a Studio project (expected \"format\": \"{PROJECT_FORMAT}\", "
                               f"got {tag!r})")
        training, runs, data_dir = data.get("training", {}), data.get("runs", []), data.get("data")
        if not isinstance(training, dict):
            raise ProjectError("the project's 'training' entry must be a JSON object")
        if not isinstance(runs, list) or not all(isinstance(run, str) for run in runs):
            raise ProjectError("the project's 'runs' entry must be a list of folder names")
        if data_dir is not None and not isinstance(data_dir, str):
            raise ProjectError("the project's 'data' entry must be a folder name or null")
        return cls(spec_from_dict(data.get("spec")), dict(training), data_dir, list(runs))

    def resolve(self, path: str, project_path: str | os.PathLike | None) -> Path:
        """``path`` (data folder or run) as an absolute path, relative ones against the project file."""
        candidate = Path(path).expanduser()
        if candidate.is_absolute() or project_path is None:
            return candidate
        return Path(project_path).resolve().parent / candidate


def dumps_project(project: Project) -> str:
    """Canonical JSON text of ``project``."""
    return dumps_json(project.to_dict(), indent=2) + "\n"


def loads_project(text: str) -> Project:
    """A project from JSON text; a bare model spec document becomes a project holding it."""
    return _project_from(parse_json(text, "the project", error=ProjectError))


def load_project(path: str | os.PathLike) -> Project:
    """Read a ``.studio`` project, or a spec file (opened as a new project around it)."""
    return _project_from(read_json(path, str(path), error=ProjectError))


def _project_from(data: Any) -> Project:
    if isinstance(data, dict) and str(data.get("format", "")).startswith("studio.model/"):
        return Project(spec_from_dict(data))
    return Project.from_dict(data)


def save_project(project: Project, path: str | os.PathLike) -> Path:
    """Write ``project`` to ``path`` atomically."""
    try:
        return atomic_write_text(path, dumps_project(project))
    except OSError as exc:
        raise ProjectError(f"cannot save {path}: {exc}") from None


# ---- autosave and crash recovery -----------------------------------------------------------------


@dataclass(frozen=True)
class Recovery:
    """An autosave left by a session that did not end cleanly."""

    path: Path
    source: str | None  # the project file it was editing, None when untitled
    saved_at: float
    pid: int
    scratch: str | None = None  # the untitled project's scratch folder (its runs), see engine/scratch.py
    runs: int = 0  # runs trained in that folder (a folder left without an autosave: path is the folder)

    @property
    def label(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))
        if self.path.is_dir():
            return (f"{self.runs} run{'s' if self.runs != 1 else ''} trained in an untitled project "
                    f"(last written {when}, in {self.path})")
        runs = f", {self.runs} trained run{'s' if self.runs != 1 else ''}" if self.runs else ""
        return f"{Path(self.source).name if self.source else 'an untitled project'} (autosaved {when}{runs})"


def autosave_path(recovery_dir: str | os.PathLike, pid: int | None = None) -> Path:
    """The autosave file of this process (one per running session)."""
    return Path(recovery_dir) / f"session-{pid or os.getpid()}{AUTOSAVE_SUFFIX}"


def write_autosave(project: Project, source: str | os.PathLike | None,
                   recovery_dir: str | os.PathLike, scratch: str | os.PathLike | None = None) -> Path:
    """Save ``project`` (edited from file ``source``; its runs in ``scratch`` while untitled) to this
    session's autosave file."""
    document = {"source": str(source) if source else None, "saved_at": time.time(), "pid": os.getpid(),
                "scratch": str(scratch) if scratch else None, "project": project.to_dict()}
    path = autosave_path(recovery_dir)
    try:
        return atomic_write_text(path, dumps_json(document) + "\n")
    except OSError as exc:
        raise ProjectError(f"cannot write the autosave file {path}: {exc}") from None


def clear_autosave(recovery_dir: str | os.PathLike) -> None:
    """Remove this session's autosave (after a save, or on a clean exit)."""
    autosave_path(recovery_dir).unlink(missing_ok=True)


def find_recoveries(recovery_dir: str | os.PathLike) -> list[Recovery]:
    """Autosaves of sessions that are no longer running, newest first (unreadable ones skipped)."""
    found = []
    for path in Path(recovery_dir).glob(f"session-*{AUTOSAVE_SUFFIX}"):
        try:
            document = read_json(path, error=ProjectError)
            scratch = document.get("scratch") if isinstance(document.get("scratch"), str) else None
            recovery = Recovery(path, document.get("source"), float(document["saved_at"]),
                                int(document["pid"]), scratch, _scratch_runs(scratch))
        except (ProjectError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if recovery.pid != os.getpid() and not _process_alive(recovery.pid):
            found.append(recovery)
    return sorted(found, key=lambda item: item.saved_at, reverse=True)


def left_runs_recoveries(scratch_base: str | os.PathLike, recoveries: list[Recovery]) -> list[Recovery]:
    """Scratch folders with runs that no window holds and no autosave in ``recoveries`` names (a
    session that crashed before its first autosave, a window closed while its run still trained), as
    recoveries whose ``path`` is the folder, newest first."""
    from studio.engine.scratch import left_scratch

    claimed = [recovery.scratch for recovery in recoveries if recovery.scratch]
    return [Recovery(left.root, None, left.written, 0, str(left.root), len(left.runs))
            for left in left_scratch(scratch_base, claimed)]


def load_recovery(recovery: Recovery) -> Project:
    """The project saved in an autosave file (or made from the runs a scratch folder holds)."""
    if recovery.path.is_dir():
        from studio.engine.runs import list_runs
        from studio.engine.scratch import RUNS, LeftScratch, project_from_runs

        runs = tuple(list_runs(recovery.path / RUNS))
        if not runs:
            raise ProjectError(f"no run is left in {recovery.path}")
        return project_from_runs(LeftScratch(recovery.path, runs, recovery.saved_at))
    document = read_json(recovery.path, f"the autosave {recovery.path}", error=ProjectError)
    return Project.from_dict(document.get("project") if isinstance(document, dict) else document)


def _scratch_runs(scratch: str | None) -> int:
    if not scratch:
        return 0
    from studio.engine.runs import list_runs
    from studio.engine.scratch import RUNS

    return len(list_runs(Path(scratch) / RUNS))


def _process_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process there
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True
