"""Imports every built-in layer module so each registers its types."""

from studio.engine.layers import basic, conv, pooling  # noqa: F401
