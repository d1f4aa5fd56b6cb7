"""What the user does with the points in the projector panel: hover, click (selection and nearest
neighbours), rectangle/lasso selection, search and legend picks.

A mixin of :class:`ProjectorPanel` (it uses the panel's ``view``, ``side`` and state)."""

from __future__ import annotations

import numpy as np

from studio.engine.projector import NeighbourIndex
from studio.engine.projector.search import SearchError

EMPTY = np.zeros(0, dtype=np.int64)


class ExploreMixin:
    """Hover, selection, neighbours and search."""

    def _hovered(self, canvas, index: int) -> None:
        card = self.view.cards[canvas]
        if index < 0 or self.embedding is None:
            card.clear()
            return
        card.show_point(self.embedding, self.sheet, index, canvas.screen_position(index))
        other = self.view.canvas_b if canvas is self.view.canvas else self.view.canvas
        other.hovered = index
        other.update()

    def click_point(self, index: int, add: bool = False) -> None:
        """Select point ``index`` and list its neighbours (-1: clear the selection)."""
        if index < 0 or self.embedding is None:
            self.selection = self.neighbours = EMPTY
            self.side.neighbours.clear()
        else:
            base = self.selection if add else EMPTY
            self.selection = np.union1d(base, [index]).astype(np.int64)
            self._refresh_neighbours(index)
        self._apply_emphasis()

    def select(self, indices, add: bool = False) -> None:
        """Make ``indices`` the selection (``add``: add them to it)."""
        indices = np.asarray(indices, dtype=np.int64)
        self.selection = np.union1d(self.selection, indices) if add else np.unique(indices)
        self.neighbours = EMPTY
        self.side.neighbours.clear()
        self._apply_emphasis()

    def _refresh_neighbours(self, index: int | None = None) -> None:
        if index is None or isinstance(index, bool):
            index = int(self.selection[0]) if len(self.selection) == 1 else -1
        if index < 0 or self.index is None or self.embedding is None:
            return
        k = min(self.side.k.value(), len(self.embedding) - 1)
        found = self.index.query_points([index], k)
        self.neighbours = found.indices[0]
        self.side.neighbours.show_neighbours(self.embedding, self.sheet, index, found.indices[0],
                                             found.distances[0], self.index.metric)
        self._apply_emphasis()

    def _metric_changed(self, metric: str) -> None:
        if self.embedding is not None and self.index is not None and metric != self.index.metric:
            self.index = NeighbourIndex(self.embedding.features, metric)
            self._refresh_neighbours()

    def search(self, query: str, column: str | None = None, regex: bool | None = None) -> np.ndarray:
        """Highlight the points matching ``query`` (see :meth:`SearchIndex.find`); returns them."""
        self.side.query.setText(query)
        if column is not None:
            self.side.column.setCurrentText(column)
        if regex is not None:
            self.side.regex.setChecked(regex)
        self._search_timer.stop()
        self._search_changed()
        return self.matches

    def _search_changed(self) -> None:
        if self.embedding is None:
            return
        try:
            self.matches = self.prepared.search.find(self.side.query.text(), self.side.column.currentText(),
                                                    self.side.regex.isChecked())
            query = self.side.query.text()
            self.side.matches.setText(f"{len(self.matches)} matches" if query else "")
        except SearchError as exc:
            self.matches = EMPTY
            self.side.matches.setText(str(exc))
        self._apply_emphasis()

    def _legend_picked(self, entry: int) -> None:
        if self.coloring is not None:
            self.side.query.blockSignals(True)
            self.side.query.clear()
            self.side.query.blockSignals(False)
            self.matches = np.flatnonzero(self.coloring.index == entry)
            self.side.matches.setText(f"{len(self.matches)} points: {self.coloring.names[entry]}")
            self._apply_emphasis()
