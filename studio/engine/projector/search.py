"""Finding points by their metadata: plain text (case-insensitive substring) or a regular expression.

Each column is kept as its distinct values plus, per point, the index of its value: a query is tested
once per distinct value (ten labels, not 50,000 points), then spread to the points with numpy.
"""

from __future__ import annotations

import re

import numpy as np

from studio.engine.errors import StudioError
from studio.engine.projector.embedding import Embedding

ALL_COLUMNS = "all columns"


class SearchError(StudioError):
    """A search pattern that cannot be used (an invalid regular expression)."""


class SearchIndex:
    """The text columns of an embedding (label, prediction, correct, confidence, path, metadata)."""

    def __init__(self, embedding: Embedding) -> None:
        self.size = len(embedding)
        self.columns: dict[str, tuple[list[str], np.ndarray]] = {}
        for name, values in embedding.columns().items():
            distinct, inverse = np.unique(np.asarray(values, dtype=str), return_inverse=True)
            self.columns[name] = (distinct.tolist(), inverse.reshape(-1))

    def names(self) -> list[str]:
        """Columns a search can look in: every column, or one of them."""
        return [ALL_COLUMNS, *self.columns]

    def find(self, query: str, column: str = ALL_COLUMNS, regex: bool = False) -> np.ndarray:
        """Indices of the points whose ``column`` (or any column) matches ``query``; empty query: none."""
        if not query:
            return np.zeros(0, dtype=np.int64)
        if regex:
            try:
                pattern = re.compile(query, re.IGNORECASE)
            except re.error as exc:
                raise SearchError(f"not a valid regular expression: {exc}") from None

            def matches(text: str) -> bool:
                return pattern.search(text) is not None
        else:
            needle = query.casefold()

            def matches(text: str) -> bool:
                return needle in text.casefold()

        if column != ALL_COLUMNS and column not in self.columns:
            raise SearchError(f"no column '{column}' (columns: {', '.join(self.columns)})")
        chosen = self.columns if column == ALL_COLUMNS else {column: self.columns[column]}
        hit = np.zeros(self.size, dtype=bool)
        for distinct, inverse in chosen.values():
            hit |= np.fromiter(map(matches, distinct), dtype=bool, count=len(distinct))[inverse]
        return np.flatnonzero(hit)
