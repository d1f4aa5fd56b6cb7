"""An ``Embedding``: per-point feature vectors with labels, predictions and metadata columns.

Saved as ``NAME.npz`` (numeric arrays, read with ``allow_pickle=False``) plus ``NAME.json`` (names,
paths, text columns, provenance). The JSON is written last, so its presence marks a complete save.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.engine.projector.errors import ProjectorError
from studio.engine.projector.files import load_bundle, save_bundle

FORMAT = "studio.embedding/1"
UNLABELLED = "(unlabelled)"
Column = np.ndarray | tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Embedding:
    """Features of N points from one layer, with what is known about each point.

    ``labels`` are class indices into ``class_names`` (-1: unknown); ``predictions`` and
    ``confidence`` (probability of the predicted class) come from the model's output, when it has
    one; ``metadata`` holds extra columns (numeric arrays or tuples of strings, N values each).
    """

    features: np.ndarray
    labels: np.ndarray | None = None
    class_names: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    predictions: np.ndarray | None = None
    confidence: np.ndarray | None = None
    metadata: dict[str, Column] = field(default_factory=dict)
    layer: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        features = np.ascontiguousarray(self.features, dtype=np.float32)
        if features.ndim != 2:
            raise ProjectorError(f"features must be 2-D (points x values), got shape {features.shape}")
        n = len(features)
        object.__setattr__(self, "features", features)
        labels = np.full(n, -1) if self.labels is None else self.labels
        object.__setattr__(self, "labels", _column(labels, n, "labels", np.int64))
        object.__setattr__(self, "class_names", tuple(str(c) for c in self.class_names))
        object.__setattr__(self, "paths", tuple(str(p) for p in self.paths))
        if self.paths and len(self.paths) != n:
            raise ProjectorError(f"{len(self.paths)} paths for {n} points")
        if self.predictions is not None:
            object.__setattr__(self, "predictions", _column(self.predictions, n, "predictions", np.int64))
        if self.confidence is not None:
            object.__setattr__(self, "confidence", _column(self.confidence, n, "confidence", np.float32))
        columns: dict[str, Column] = {}
        for name, values in self.metadata.items():
            if isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
                columns[str(name)] = _column(values, n, name, values.dtype)
            else:
                columns[str(name)] = tuple(str(v) for v in values)
                if len(columns[str(name)]) != n:
                    raise ProjectorError(f"metadata column '{name}' has {len(values)} values for {n} points")
        object.__setattr__(self, "metadata", columns)

    def __len__(self) -> int:
        return len(self.features)

    @property
    def dim(self) -> int:
        return self.features.shape[1]

    @property
    def _labels(self) -> np.ndarray:
        assert self.labels is not None  # __post_init__ fills -1 for None
        return self.labels

    @property
    def correct(self) -> np.ndarray | None:
        """Whether each prediction equals the (known) label; None without predictions."""
        if self.predictions is None:
            return None
        return (self.predictions == self._labels) & (self._labels >= 0)

    def label_names(self) -> list[str]:
        """The class name of each point's label."""
        return [self._name(i) for i in self._labels]

    def columns(self) -> dict[str, list[str]]:
        """Every per-point column as text, in display order (label, prediction, ..., extras)."""
        cols: dict[str, list[str]] = {"label": self.label_names()}
        correct = self.correct
        if self.predictions is not None and correct is not None:  # both None or neither
            cols["prediction"] = [self._name(i) for i in self.predictions]
            cols["correct"] = ["yes" if c else "no" for c in correct]
        if self.confidence is not None:
            cols["confidence"] = [f"{c:.4f}" for c in self.confidence]
        if self.paths:
            cols["path"] = list(self.paths)
        for name, values in self.metadata.items():
            cols[name] = [str(v) for v in values]
        return cols

    def subset(self, indices: Sequence[int] | np.ndarray) -> Embedding:
        """The same embedding restricted to ``indices`` (in that order)."""
        idx = np.asarray(indices, dtype=np.int64)
        return Embedding(
            self.features[idx], self._labels[idx], self.class_names,
            tuple(self.paths[i] for i in idx) if self.paths else (),
            None if self.predictions is None else self.predictions[idx],
            None if self.confidence is None else self.confidence[idx],
            {k: v[idx] if isinstance(v, np.ndarray) else tuple(v[i] for i in idx)
             for k, v in self.metadata.items()},
            self.layer, dict(self.info))

    def _name(self, index: int) -> str:
        if 0 <= index < len(self.class_names):
            return self.class_names[index]
        return UNLABELLED if index < 0 else str(int(index))

    # ---- files ----------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write ``path`` (.npz) and its ``.json`` sidecar atomically; returns the .npz path."""
        arrays = {"features": self.features, "labels": self._labels}
        if self.predictions is not None:
            arrays["predictions"] = self.predictions
        if self.confidence is not None:
            arrays["confidence"] = self.confidence
        numeric = {k: v for k, v in self.metadata.items() if isinstance(v, np.ndarray)}
        arrays.update({f"meta_{i}": v for i, v in enumerate(numeric.values())})
        return save_bundle(path, arrays, {
            "format": FORMAT, "points": len(self), "dim": self.dim, "layer": self.layer,
            "class_names": list(self.class_names), "paths": list(self.paths),
            "columns": list(self.metadata), "numeric_columns": list(numeric),
            "text_columns": {k: list(v) for k, v in self.metadata.items() if not isinstance(v, np.ndarray)},
            "info": self.info,
        })

    @classmethod
    def load(cls, path: str | Path) -> Embedding:
        """Read an embedding written by :meth:`save` (never unpickles)."""
        arrays, meta = load_bundle(path, FORMAT)
        try:
            found: dict[str, Column] = {k: arrays[f"meta_{i}"] for i, k in enumerate(meta["numeric_columns"])}
            found.update({k: tuple(v) for k, v in meta["text_columns"].items()})
            metadata = {name: found[name] for name in meta["columns"]}
            if len(arrays["features"]) != meta["points"]:
                raise ProjectorError(f"{path}: the arrays and the JSON disagree on the number of points")
            return cls(arrays["features"], arrays["labels"], tuple(meta["class_names"]), tuple(meta["paths"]),
                       arrays.get("predictions"), arrays.get("confidence"), metadata, meta["layer"],
                       meta.get("info", {}))
        except (KeyError, TypeError) as exc:
            raise ProjectorError(f"{path}: incomplete embedding file (missing {exc})") from None


def _column(values: Any, n: int, name: str, dtype: Any) -> np.ndarray:
    array = np.asarray(values, dtype=dtype).reshape(-1)
    if len(array) != n:
        raise ProjectorError(f"'{name}' has {len(array)} values for {n} points")
    return array
