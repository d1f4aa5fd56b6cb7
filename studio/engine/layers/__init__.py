"""Layer registry and the built-in layer types."""

from studio.engine.layers.registry import CATEGORIES, LayerType, Param, all_layers, get_layer

__all__ = ["CATEGORIES", "LayerType", "Param", "all_layers", "get_layer"]
