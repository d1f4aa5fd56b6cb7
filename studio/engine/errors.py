"""Errors the engine raises for user mistakes: each carries a message fit to show as is."""


class StudioError(Exception):
    """Base of every error that means 'the user's input is wrong', never a bug."""


class SpecError(StudioError):
    """A model spec that cannot be read, migrated or compiled."""


class ShapeError(StudioError):
    """A layer cannot accept the shapes it is given (the message names them)."""
