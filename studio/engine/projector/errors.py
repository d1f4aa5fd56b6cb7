"""Errors of the embeddings engine: user-facing, shown as is."""

from studio.engine.errors import StudioError


class ProjectorError(StudioError):
    """Features, projections or exports that cannot be made from the given input."""


class Cancelled(ProjectorError):
    """A long job stopped because its ``should_stop`` flag was raised."""

    def __init__(self, what: str = "cancelled") -> None:
        super().__init__(what)
