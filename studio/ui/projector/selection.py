"""What can be done with selected points' files: write them as a list, or copy them into a new folder."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from studio.engine.atomic import atomic_write_text
from studio.engine.errors import StudioError
from studio.engine.projector.embedding import Embedding


def selected_paths(embedding: Embedding, indices: Sequence[int]) -> list[str]:
    """The image files of the selected points (StudioError when the embedding has no file names)."""
    if not embedding.paths:
        raise StudioError("these points have no image files (the embedding was made without file paths)")
    return [embedding.paths[int(i)] for i in indices]


def export_file_list(embedding: Embedding, indices: Sequence[int], target: str | Path) -> Path:
    """Write the selected points' files to ``target``: one path, a tab and its label per line."""
    labels = embedding.label_names()
    paths = selected_paths(embedding, indices)
    lines = [f"{path}\t{labels[int(i)]}" for path, i in zip(paths, indices, strict=True)]
    return atomic_write_text(Path(target), "\n".join(lines) + "\n")


def copy_to_folder(embedding: Embedding, indices: Sequence[int], folder: str | Path) -> list[Path]:
    """Copy the selected points' files into ``folder/<label>/`` (an image folder Studio can train on).

    ``folder`` must be new or empty, so nothing is overwritten; clashing file names get a number.
    """
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise StudioError(f"{folder} is not an empty folder: choose a new one")
    labels = embedding.label_names()
    sources = selected_paths(embedding, indices)
    missing = [p for p in sources if not Path(p).is_file()]
    if missing:
        raise StudioError(f"{len(missing)} of the files no longer exist, e.g. {missing[0]}")
    copied = []
    for source, i in zip(sources, indices, strict=True):
        target_dir = folder / _safe(labels[int(i)])
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / Path(source).name
        n = 1
        while target.exists():
            n += 1
            target = target_dir / f"{Path(source).stem}-{n}{Path(source).suffix}"
        shutil.copy2(source, target)
        copied.append(target)
    return copied


def _safe(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_. " else "_" for c in name).strip(" .")
    return cleaned or "unnamed"
