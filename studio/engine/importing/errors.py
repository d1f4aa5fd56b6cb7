"""The one error an import raises: a sentence naming the source, the module path and the op."""

from __future__ import annotations

from studio.engine.errors import StudioError


class ModelImportError(StudioError):
    """A model that cannot be loaded, traced, mapped to Studio's layers or verified."""


class Unmappable(Exception):
    """Raised while mapping one module or op; the converter adds where it sits and turns it into a
    :class:`ModelImportError`."""
