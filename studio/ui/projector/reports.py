"""What the projector's background job reports to the GUI thread (plain, frozen values)."""

from __future__ import annotations

from dataclasses import dataclass

from studio.engine.projector import Embedding, SpriteAtlas
from studio.ui.projector.search import SearchIndex


@dataclass(frozen=True)
class Stage:
    """Progress: what is being done and how far (None: unknown)."""

    text: str
    fraction: float | None = None


@dataclass(frozen=True, eq=False)
class Prepared:
    """Features and thumbnails are ready (reported before projecting, so layouts can be shown)."""

    embedding: Embedding
    atlas: SpriteAtlas
    search: SearchIndex  # made in the worker: reading 50k text rows takes a moment
    compare: Embedding | None = None
