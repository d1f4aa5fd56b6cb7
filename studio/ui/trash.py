"""The system trash (Qt's): where Studio puts run folders the user deletes or discards, so that they can
still be got back."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFile, QStandardPaths

from studio.engine.project_runs import being_written


def move_to_trash(path: str | Path) -> bool:
    """Move ``path`` to the trash; False when that failed (another drive, read-only, no trash here)."""
    trash_home = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    Path(trash_home).mkdir(parents=True, exist_ok=True)  # Qt puts the trash there but does not create it
    return not Path(path).exists() or QFile.moveToTrash(str(path))


def trash_scratch_runs(root: Path, runs: list[Path], busy: set[Path]) -> str | None:
    """The user discarded the untitled project whose scratch folder is ``root``: its ``runs`` go to the
    trash, except those training now (they are kept there, and offered at the next start). A sentence
    saying what was done (None when there was nothing to do)."""
    trashed, kept, failed = 0, 0, []
    for run in runs:
        if run.resolve() in busy or being_written(run):
            kept += 1
        elif move_to_trash(run):
            trashed += 1
        else:
            failed.append(run.name)
    parts = []
    if trashed:
        parts.append(f"{trashed} run{'s' if trashed != 1 else ''} of the untitled project moved to the trash")
    if kept:
        parts.append(f"{kept} still training kept in {root} (offered at the next start)")
    if failed:
        parts.append(f"{', '.join(failed)} could not be moved to the trash: kept in {root} (offered at the "
                     "next start)")
    return "; ".join(parts) or None
