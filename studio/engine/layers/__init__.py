"""Layer registry and the built-in layer types (registered here, at import: every lookup sees them)."""

from studio.engine.layers import catalog  # noqa: F401  (registers the built-in layers)
from studio.engine.layers.registry import CATEGORIES, LayerType, Param, all_layers, get_layer

__all__ = ["CATEGORIES", "LayerType", "Param", "all_layers", "get_layer"]
