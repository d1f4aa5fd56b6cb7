"""The user-facing error of the data package."""

from studio.engine.errors import StudioError


class DataError(StudioError):
    """The image data cannot be used (the message says what to fix)."""
