"""Colouring points by label, prediction, correctness or a metadata column, with the legend to match."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtGui import QColor

from studio.engine.projector.embedding import Embedding

# Tableau 10 then its light variants: distinguishable categories, readable on light and dark.
CATEGORICAL = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
               "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
               "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5")
SEQUENTIAL = ("#440154", "#46327e", "#365c8d", "#277f8e", "#1fa187", "#4ac16d", "#a0da39", "#fde725")
CORRECT, WRONG = "#2ca02c", "#d62728"
MAX_CATEGORIES = 60  # more distinct text values than this: colour the most frequent, the rest grey
NONE = "none"


@dataclass(frozen=True)
class Coloring:
    """Palette index of every point (-1: no colour) and the legend: ``names[i]`` drawn in
    ``palette[i]``, ``counts[i]`` points."""

    index: np.ndarray
    palette: tuple[str, ...]
    names: tuple[str, ...]
    counts: tuple[int, ...]
    title: str = ""


def color_choices(embedding: Embedding) -> list[str]:
    """What the points can be coloured by, in menu order."""
    choices = ["label"]
    if embedding.predictions is not None:
        choices += ["prediction", "correctness"]
    if embedding.confidence is not None:
        choices.append("confidence")
    return choices + list(embedding.metadata) + [NONE]


def categorical_colors(count: int) -> tuple[str, ...]:
    """``count`` distinct colours: Tableau 20, then evenly spaced hues."""
    if count <= len(CATEGORICAL):
        return CATEGORICAL[:count]
    hues = [(i * 0.618034) % 1.0 for i in range(count - len(CATEGORICAL))]
    extra = (QColor.fromHsvF(h, 0.65, 0.85).name() for h in hues)
    return CATEGORICAL + tuple(extra)


def color_by(embedding: Embedding, choice: str) -> Coloring:
    """The colouring of ``embedding``'s points for one of :func:`color_choices`."""
    n = len(embedding)
    if choice == "label":
        return _classes(embedding.labels, embedding.class_names, "label")
    if choice == "prediction" and embedding.predictions is not None:
        return _classes(embedding.predictions, embedding.class_names, "prediction")
    if choice == "correctness" and embedding.correct is not None:
        correct = embedding.correct
        index = np.where(embedding.labels < 0, -1, np.where(correct, 0, 1))
        return Coloring(index, (CORRECT, WRONG), ("correct", "misclassified"),
                        (int((index == 0).sum()), int((index == 1).sum())), "correctness")
    if choice == "confidence" and embedding.confidence is not None:
        return _numeric(embedding.confidence, "confidence")
    values = embedding.metadata.get(choice)
    if values is None:
        return Coloring(np.full(n, -1), (), (), (), NONE)
    numeric = isinstance(values, np.ndarray) and values.dtype.kind == "f"
    if numeric and len(np.unique(values)) > len(SEQUENTIAL):
        return _numeric(values, choice)
    return _text([str(v) for v in values], choice)


def _classes(index: np.ndarray, class_names: tuple[str, ...], title: str) -> Coloring:
    count = max(len(class_names), int(index.max()) + 1 if len(index) else 0)
    names = tuple(class_names) + tuple(str(i) for i in range(len(class_names), count))
    counts = np.bincount(index[index >= 0], minlength=count)
    return Coloring(np.where(index >= 0, index, -1), categorical_colors(count), names,
                    tuple(int(c) for c in counts), title)


def _text(values: list[str], title: str) -> Coloring:
    names, inverse, counts = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True,
                                       return_counts=True)
    order = np.argsort(-counts, kind="stable")[:MAX_CATEGORIES]
    rank = np.full(len(names), -1)
    rank[order] = np.arange(len(order))
    return Coloring(rank[inverse], categorical_colors(len(order)), tuple(str(names[i]) for i in order),
                    tuple(int(counts[i]) for i in order), title)


def edge_texts(edges: np.ndarray) -> list[str]:
    """Bin edges written with as few significant digits (3 or more) as keep each one apart from its
    neighbours: 0.9991, 0.9999, 1 rather than "1 – 1" twice."""
    for digits in range(3, 18):  # (17 significant digits tell any two doubles apart)
        texts = [f"{edge:.{digits}g}" for edge in edges]
        if all(a != b for a, b in zip(texts, texts[1:], strict=False)):
            return texts
    return texts


def _numeric(values: np.ndarray, title: str) -> Coloring:
    """Eight quantile bins on a viridis-like ramp."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    if not finite.any():
        return Coloring(np.full(len(values), -1), (), (), (), title)
    edges = np.unique(np.quantile(values[finite], np.linspace(0, 1, len(SEQUENTIAL) + 1)))
    bins = max(len(edges) - 1, 1)
    index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1)
    index = np.where(finite, index, -1)
    step = (len(SEQUENTIAL) - 1) / max(bins - 1, 1)
    palette = tuple(SEQUENTIAL[int(round(i * step))] for i in range(bins))
    shown = edge_texts(edges)
    names = tuple(_bin_text(shown[i], shown[min(i + 1, len(edges) - 1)]) for i in range(bins))
    counts = tuple(int((index == i).sum()) for i in range(bins))
    return Coloring(index, palette, names, counts, title)


def _bin_text(low: str, high: str) -> str:
    """A bin's legend name, "0.9991 – 0.9999"; a bin of one value (every point the same) reads "1",
    never "1 – 1"."""
    return low if low == high else f"{low} – {high}"
