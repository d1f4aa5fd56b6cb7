"""The layer registry: one entry per layer type holding every fact about it.

The schema drives the palette and the inspector; the shape rule drives live validation; the builder
gives the ``nn.Module``; the id stem, the arguments shown on the canvas node, the category colour and
the pass-through flag are read by the canvas, the edits and the projector. Register new types with
:func:`register` (keyword arguments); tests run over :func:`all_layers`. Importing this package
registers the built-in layers (``catalog``), so every lookup sees them.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from studio.engine.errors import ShapeError

Shape = tuple[int, ...]
Args = dict[str, Any]

# Palette categories in the order shown, each with its header colour (the same hue in both themes).
CATEGORY_COLORS = {
    "Input/Output": "#5f6b7a", "Convolution": "#2f6fbf", "Pooling": "#1f9a8a", "Dense": "#7a4fc0",
    "Normalisation": "#b8860b", "Activation": "#c0504d", "Merge": "#d2691e", "Shape": "#4f8a3c",
    "Regularisation": "#8a6d3b", "Blocks": "#3b4e8a",
}
CATEGORIES = tuple(CATEGORY_COLORS)

PARAM_KINDS = ("int", "float", "bool", "choice", "ints", "padding", "str")


@dataclass(frozen=True)
class Param:
    """One argument of a layer type: what the inspector edits and validation checks.

    ``kind`` is one of int, float, bool, choice, ints (a tuple of ``length`` ints, or one int that
    stands for all), padding ("same", "valid", an int or a pair) or str.
    """

    name: str
    kind: str
    default: Any
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    length: int | None = None
    optional: bool = False  # None is a valid value (e.g. stride defaulting to the kernel size)

    def check(self, value: Any) -> str | None:
        """Return an error message when ``value`` does not fit this parameter, else None."""
        if value is None:
            return None if self.optional else f"'{self.name}' needs a value"
        if self.kind == "bool":
            return None if isinstance(value, bool) else f"'{self.name}' must be true or false"
        if self.kind == "str":
            return None if isinstance(value, str) else f"'{self.name}' must be text"
        if self.kind == "choice":
            if value in self.choices:
                return None
            return f"'{self.name}' must be one of {', '.join(self.choices)} (got {value!r})"
        if self.kind == "padding":
            if value in ("same", "valid"):
                return None
            return self._check_ints(value)
        if self.kind == "ints":
            return self._check_ints(value)
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                return f"'{self.name}' must be a whole number (got {value!r})"
            return self._check_range(value)
        if self.kind == "float":
            if isinstance(value, bool) or not isinstance(value, int | float):
                return f"'{self.name}' must be a number (got {value!r})"
            return self._check_range(value)
        return f"'{self.name}' has an unknown kind {self.kind!r}"

    def _check_ints(self, value: Any) -> str | None:
        items = value if isinstance(value, list | tuple) else [value]
        if not items or any(isinstance(v, bool) or not isinstance(v, int) for v in items):
            return f"'{self.name}' must be a whole number or a list of them (got {value!r})"
        if self.length is not None and len(items) not in (1, self.length):
            return f"'{self.name}' needs 1 or {self.length} values (got {len(items)})"
        for item in items:
            message = self._check_range(item)
            if message:
                return message
        return None

    def _check_range(self, value: float) -> str | None:
        if self.minimum is not None and value < self.minimum:
            return f"'{self.name}' must be at least {self.minimum:g} (got {value})"
        if self.maximum is not None and value > self.maximum:
            return f"'{self.name}' must be at most {self.maximum:g} (got {value})"
        return None


ShapeRule = Callable[[Args, dict[str, Shape]], Shape]
Builder = Callable[[Args, dict[str, Shape]], nn.Module]
MacsRule = Callable[[Args, dict[str, Shape], Shape], int]


def _no_macs(args: Args, inputs: dict[str, Shape], output: Shape) -> int:
    return 0


def _single_port(args: Args) -> list[str]:
    return ["x"]


@dataclass(frozen=True, kw_only=True)
class LayerType:
    """A layer the palette offers, with every fact about it.

    ``stem`` prefixes new node ids (``conv`` -> ``conv1``; empty: the name); ``shown`` are the
    arguments the canvas node always shows (others only when they differ from the default);
    ``pass_through`` marks layers that are the identity at inference (the embedding layer rule steps
    back over them).
    """

    name: str
    category: str
    help: str
    params: tuple[Param, ...] = ()
    shape: ShapeRule
    build: Builder | None  # None for nodes without a module (input, output)
    ports: Callable[[Args], list[str]] = _single_port
    macs: MacsRule = _no_macs
    has_weights: bool = False
    title: str = ""
    stem: str = ""
    shown: tuple[str, ...] = ()
    pass_through: bool = False

    def __post_init__(self) -> None:
        if not self.stem:
            object.__setattr__(self, "stem", self.name)

    def param(self, name: str) -> Param | None:
        """The parameter called ``name``, if this layer has one."""
        for param in self.params:
            if param.name == name:
                return param
        return None

    @property
    def display_name(self) -> str:
        return self.title or self.name.replace("_", " ")

    @property
    def color(self) -> str:
        """The header colour of the layer's category (``#rrggbb``)."""
        return CATEGORY_COLORS[self.category]

    @property
    def repeatable(self) -> bool:
        """Single-input layers with a module can be repeated or stacked."""
        return self.build is not None and self.ports({}) == ["x"]


_REGISTRY: dict[str, LayerType] = {}


def register(layer: LayerType) -> LayerType:
    """Add ``layer`` to the registry; a name may be registered once and its facts must fit."""
    problem = _problem(layer)
    if problem:
        raise ValueError(f"cannot register layer type {layer.name!r}: {problem}")
    _REGISTRY[layer.name] = layer
    return layer


def _problem(layer: LayerType) -> str | None:
    if layer.name in _REGISTRY:
        return "a layer type of that name is already registered (each needs its own name)"
    if layer.category not in CATEGORIES:
        return f"unknown category {layer.category!r} (one of {', '.join(CATEGORIES)})"
    if not layer.stem.isidentifier() or keyword.iskeyword(layer.stem):
        return f"id stem {layer.stem!r} is not an identifier"
    missing = [name for name in layer.shown if layer.param(name) is None]
    if missing:
        return f"shown arguments {missing} are not among its parameters"
    return None


def get_layer(name: str) -> LayerType | None:
    """The registered layer type called ``name``, or None."""
    return _REGISTRY.get(name)


def all_layers() -> list[LayerType]:
    """Every registered layer type, in registration order."""
    return list(_REGISTRY.values())


def pair(value: Any) -> tuple[int, int]:
    """Normalise an int or a 1- or 2-element list to a pair."""
    if isinstance(value, list | tuple):
        return (int(value[0]), int(value[-1]))
    return (int(value), int(value))


def require_rank(name: str, shape: Shape, rank: int, what: str = "input") -> None:
    """Raise a ShapeError unless ``shape`` (per sample, no batch) has ``rank`` dimensions."""
    if len(shape) != rank:
        expected = {1: "[features]", 2: "[tokens, dim]", 3: "[channels, height, width]"}.get(
            rank, f"{rank} dimensions")
        raise ShapeError(f"{name} expects {what} of shape {expected}, got {list(shape)}")
