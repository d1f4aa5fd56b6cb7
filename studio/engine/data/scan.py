"""Scanning an image folder: which files are candidate images, and their labels.

Scanning only looks at names and sizes (60k files in a fraction of a second); files that turn out not
to decode are found later by :func:`studio.engine.data.cache.load_images`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from studio.engine.data.errors import DataError
from studio.engine.data.labels import LabelRule, natural_key
from studio.engine.filenames import shown_name

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm",
                              ".pgm", ".pbm", ".pnm"})


@dataclass(frozen=True)
class SkippedFile:
    """A file left out of the data, with the reason shown to the user."""

    path: str  # relative to the scanned root
    reason: str


@dataclass(frozen=True)
class DatasetIndex:
    """The candidate images of a folder: ``files[i]`` (relative POSIX path) has class ``labels[i]``."""

    root: Path
    files: tuple[str, ...]
    labels: np.ndarray  # int64, index into class_names
    class_names: tuple[str, ...]
    skipped: tuple[SkippedFile, ...] = ()
    empty_classes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        return len(self.files)

    def paths(self) -> list[Path]:
        """Absolute paths of the candidate images."""
        return [self.root / name for name in self.files]


def scan_image_folder(root: str | os.PathLike, label_rule: LabelRule | None = None,
                      class_names: list[str] | tuple[str, ...] | None = None) -> DatasetIndex:
    """Find the images under ``root`` and label them by ``label_rule`` (class folders by default).

    ``class_names`` fixes the classes and their order (a validation folder uses the training classes);
    files of other classes are skipped. Raises DataError when the folder does not exist or holds no
    image at all.
    """
    root = Path(root).expanduser()
    rule = label_rule or LabelRule()
    if not root.is_dir():
        raise DataError(f"data folder {shown_name(root)} does not exist or is not a folder")
    skipped: list[SkippedFile] = []
    found: list[tuple[str, str]] = []  # (relative path, class name)
    folders: set[str] = set()
    for rel, size in _walk(root):
        parts = rel.split("/")
        if rule.flat:
            label = rule.label_of(parts[-1])
        else:
            label = parts[0] if len(parts) > 1 else None
            if label is not None:
                folders.add(label)
        reason = _file_problem(rel, size)
        if reason is None and label is None:
            reason = ("not inside a class folder" if not rule.flat
                      else f"its name does not match the label rule ({rule.kind})")
        if reason is not None:
            skipped.append(SkippedFile(rel, reason))
        else:
            assert label is not None  # a file without a label has a reason above
            found.append((rel, label))
    if not rule.flat:  # class folders with no file at all
        folders |= {entry.name for entry in os.scandir(root)
                    if entry.is_dir() and not entry.name.startswith(".")}
    present = sorted({label for _, label in found}, key=natural_key)
    if class_names is not None:
        names = tuple(class_names)
        known = set(names)
        skipped += [SkippedFile(rel, f"class '{shown_name(label)}' is not one of the model's classes")
                    for rel, label in found if label not in known]
        found = [(rel, label) for rel, label in found if label in known]
    else:
        names = tuple(present)
    empty = tuple(sorted((set(folders) - set(present)), key=natural_key)) if not rule.flat else ()
    if not found:
        detail = (f" ({len(skipped)} file(s) skipped, e.g. {shown_name(skipped[0].path)}: "
                  f"{shown_name(skipped[0].reason)})"
                  if skipped else "")
        layout = ("class folders (root/<class>/<image>)" if not rule.flat
                  else f"file names matching the {rule.kind} label rule")
        raise DataError(f"no usable images in {shown_name(root)}: expected {layout}{detail}")
    found.sort(key=lambda item: natural_key(item[0]))
    lookup = {name: i for i, name in enumerate(names)}
    warnings = [f"class folder '{shown_name(name)}' has no images; it is left out" for name in empty]
    return DatasetIndex(root=root, files=tuple(rel for rel, _ in found),
                        labels=np.array([lookup[label] for _, label in found], dtype=np.int64),
                        class_names=names, skipped=tuple(sorted(skipped, key=lambda s: s.path)),
                        empty_classes=empty, warnings=tuple(warnings))


def _walk(root: Path):
    """(relative POSIX path, size) of every non-hidden file below ``root``, following no symlink loops."""
    stack, seen = [root], set()
    while stack:
        folder = stack.pop()
        try:
            real = folder.resolve()
            if real in seen:
                continue
            seen.add(real)
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    stack.append(Path(entry.path))
                elif entry.is_file():
                    yield Path(entry.path).relative_to(root).as_posix(), entry.stat().st_size
            except OSError:
                continue


def _file_problem(rel: str, size: int) -> str | None:
    suffix = os.path.splitext(rel)[1].lower()
    if suffix not in IMAGE_EXTENSIONS:
        return f"not an image file ({shown_name(suffix) or 'no extension'})"
    if size == 0:
        return "empty file (0 bytes)"
    return None
