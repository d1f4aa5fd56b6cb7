"""Imports every built-in layer module so each registers its types, in the order the palette lists
them within a category (the classic layers first)."""

from studio.engine.layers import basic, conv, pooling  # noqa: F401, I001 - the order is the palette's
from studio.engine.layers import norm, attention, shape_ops, vit  # noqa: F401
