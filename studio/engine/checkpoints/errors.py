"""The user-facing error of everything checkpoint related."""

from studio.engine.errors import StudioError


class CheckpointError(StudioError):
    """A checkpoint that cannot be read, written, restored or exported (the message says why)."""
