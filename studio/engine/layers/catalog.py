"""Imports every built-in layer module so each registers its types."""

from studio.engine.layers import attention, basic, conv, norm, pooling, shape_ops, vit  # noqa: F401
