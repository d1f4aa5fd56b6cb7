"""Train/validation splits: seeded and stratified, saved as file lists so a run can be reproduced."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.engine.atomic import atomic_write_text
from studio.engine.data.errors import DataError
from studio.engine.jsonio import dumps_json, read_json

FORMAT = "studio.split/1"


@dataclass(frozen=True)
class Split:
    """Which files train and which validate. ``mode`` is ``fraction`` (one folder split with ``seed``)
    or ``folders`` (a separate validation folder); file names are relative to their roots."""

    mode: str
    train: tuple[str, ...]
    val: tuple[str, ...]
    fraction: float = 0.0
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "mode": self.mode, "fraction": self.fraction, "seed": self.seed,
                "train": list(self.train), "val": list(self.val)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Split:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise DataError(f"not a Studio split file (expected format {FORMAT})")
        try:
            return cls(str(data["mode"]), tuple(data["train"]), tuple(data["val"]),
                       float(data.get("fraction", 0.0)), int(data.get("seed", 0)))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"split file is malformed: {exc}") from None


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(train positions, val positions)``: about ``fraction`` of each class validates, at least one
    image per class trains, and the same labels and seed always give the same split."""
    if not 0.0 <= fraction < 1.0:
        raise DataError(f"the validation fraction must be in [0, 1), not {fraction}")
    rng = np.random.default_rng(seed)
    train, val = [], []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        members = members[rng.permutation(len(members))]
        n_val = round(len(members) * fraction)
        if fraction > 0 and len(members) > 1:
            n_val = max(n_val, 1)
        n_val = min(n_val, len(members) - 1)
        val.append(members[:n_val])
        train.append(members[n_val:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def positions_of(files: tuple[str, ...] | list[str], wanted: tuple[str, ...]) -> tuple[np.ndarray, int]:
    """Positions in ``files`` of the names in ``wanted``, and how many wanted names are missing."""
    lookup = {name: i for i, name in enumerate(files)}
    found = [lookup[name] for name in wanted if name in lookup]
    return np.array(sorted(found), dtype=np.int64), len(wanted) - len(found)


def save_split(split: Split, path: str | os.PathLike) -> None:
    atomic_write_text(path, dumps_json(split.to_dict()) + "\n")


def load_split(path: str | os.PathLike) -> Split:
    """Read a split file; DataError when it is missing or invalid."""
    return Split.from_dict(read_json(path, f"split file {path}", error=DataError))
