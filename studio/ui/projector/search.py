"""Finding points by their metadata: plain text (case-insensitive substring) or a regular expression."""

from __future__ import annotations

import re

import numpy as np

from studio.engine.errors import StudioError
from studio.engine.projector.embedding import Embedding

ALL_COLUMNS = "all columns"


class SearchError(StudioError):
    """A search pattern that cannot be used (an invalid regular expression)."""


def search_columns(embedding: Embedding) -> list[str]:
    """Columns a search can look in: every column, or one of them."""
    return [ALL_COLUMNS, *embedding.columns()]


def find(embedding: Embedding, query: str, column: str = ALL_COLUMNS, regex: bool = False) -> np.ndarray:
    """Indices of the points whose ``column`` (or any column) matches ``query``; empty query: none."""
    if not query:
        return np.zeros(0, dtype=np.int64)
    if regex:
        try:
            pattern = re.compile(query, re.IGNORECASE)
        except re.error as exc:
            raise SearchError(f"not a valid regular expression: {exc}") from None
        matches = pattern.search
    else:
        needle = query.casefold()

        def matches(text: str) -> bool:
            return needle in text.casefold()

    columns = embedding.columns()
    if column != ALL_COLUMNS:
        if column not in columns:
            raise SearchError(f"no column '{column}' (columns: {', '.join(columns)})")
        columns = {column: columns[column]}
    hit = np.zeros(len(embedding), dtype=bool)
    for values in columns.values():
        hit |= np.fromiter((bool(matches(v)) for v in values), dtype=bool, count=len(values))
    return np.flatnonzero(hit)
