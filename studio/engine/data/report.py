"""The data report: what was found, used and skipped, shown by the GUI and saved in the run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from studio.engine.filenames import shown_name


@dataclass(frozen=True)
class DataReport:
    """Counts per class, skipped files with reasons, image size statistics and warnings."""

    root: str
    val_root: str | None
    class_names: tuple[str, ...]
    train_counts: tuple[int, ...]
    val_counts: tuple[int, ...]
    skipped: tuple[tuple[str, str], ...]  # (path, reason)
    image_sizes: dict[str, Any]  # width/height min, mean, max of the used source images
    modes: dict[str, int]  # source PIL modes of the used images
    input_shape: tuple[int, ...]
    normalization: dict[str, list[float]]
    split: dict[str, Any]
    storage: str
    decode_seconds: float
    warnings: tuple[str, ...] = field(default_factory=tuple)
    reused_decode: bool = False  # the images came from the decode cache of an earlier run

    @property
    def num_train(self) -> int:
        return sum(self.train_counts)

    @property
    def num_val(self) -> int:
        return sum(self.val_counts)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (``data_report.json``). Roots and class names are kept as they are (they
        are read back); skipped files, reasons and warnings are text to show (``shown_name``)."""
        return {
            "format": "studio.data_report/1", "root": self.root, "val_root": self.val_root,
            "class_names": list(self.class_names),
            "counts": {"train": list(self.train_counts), "val": list(self.val_counts)},
            "num_train": self.num_train, "num_val": self.num_val,
            "skipped": [{"path": shown_name(path), "reason": shown_name(reason)}
                        for path, reason in self.skipped],
            "image_sizes": self.image_sizes, "modes": self.modes, "input_shape": list(self.input_shape),
            "normalization": self.normalization, "split": self.split, "storage": self.storage,
            "decode_seconds": round(self.decode_seconds, 3), "reused_decode": self.reused_decode,
            "warnings": [shown_name(text) for text in self.warnings],
        }

    def summary(self) -> str:
        """A few human-readable lines (the command line prints them)."""
        lines = [f"data: {self.num_train} training and {self.num_val} validation images in "
                 f"{len(self.class_names)} classes ({shown_name(self.root)})"]
        if self.skipped:
            reasons = Counter(shown_name(reason.split(" (")[0]) for _, reason in self.skipped)
            lines.append(f"skipped {len(self.skipped)} file(s): "
                         + ", ".join(f"{n} {reason}" for reason, n in reasons.most_common()))
        lines += [f"warning: {shown_name(text)}" for text in self.warnings]
        return "\n".join(lines)


def size_statistics(sizes: np.ndarray) -> dict[str, Any]:
    """min/mean/max of widths and heights (``sizes`` is ``(N, 2)`` width, height)."""
    if len(sizes) == 0:
        return {}
    return {axis: {"min": int(values.min()), "mean": round(float(values.mean()), 1), "max": int(values.max())}
            for axis, values in (("width", sizes[:, 0]), ("height", sizes[:, 1]))}


def mode_counts(modes: list[str]) -> dict[str, int]:
    return dict(Counter(modes).most_common())
