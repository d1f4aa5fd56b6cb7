"""Imports every template module so each registers its templates."""

from studio.engine.templates import small  # noqa: F401
