"""Argument resolution: explicit value, else the innermost default scope, else the layer default.

Every resolved value remembers where it came from, so the inspector can grey inherited values and
name their source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.engine.layers.registry import LayerType
from studio.engine.spec.model import BlockDef, Node, Scope

EXPLICIT, SCOPE, DEFAULT = "explicit", "scope", "default"
DATA = "data"  # an input's shape left unset, taken from the data (see SpecWalker)


@dataclass(frozen=True)
class ResolvedArg:
    """A final argument value; ``source`` is explicit, scope, default or data; ``origin`` names the
    scope."""

    value: Any
    source: str
    origin: str = ""


@dataclass(frozen=True)
class ScopeRef:
    """A default scope with a label saying where it is defined (e.g. 'model defaults #1')."""

    label: str
    scope: Scope


def labelled_scopes(scopes: list[Scope], owner: str) -> list[ScopeRef]:
    return [ScopeRef(f"{owner} defaults #{i + 1}", scope) for i, scope in enumerate(scopes)]


def substitute(value: Any, bindings: dict[str, Any]) -> Any:
    """Replace a ``"$name"`` reference to a block parameter by its value (lists too)."""
    if isinstance(value, str) and value.startswith("$") and len(value) > 1:
        name = value[1:]
        if name not in bindings:
            raise KeyError(name)
        return bindings[name]
    if isinstance(value, list):
        return [substitute(item, bindings) for item in value]
    return value


def resolve_layer_args(layer: LayerType, explicit: dict[str, Any], scopes: list[ScopeRef],
                       bindings: dict[str, Any]) -> dict[str, ResolvedArg]:
    """Resolve every parameter of ``layer`` (block references substituted).

    Raises KeyError naming a block parameter that a ``$`` reference could not find.
    """
    resolved: dict[str, ResolvedArg] = {}
    for param in layer.params:
        if param.name in explicit:
            resolved[param.name] = ResolvedArg(substitute(explicit[param.name], bindings), EXPLICIT)
            continue
        for ref in reversed(scopes):
            if (layer.name in ref.scope.layers or "*" in ref.scope.layers) and param.name in ref.scope.args:
                value = substitute(ref.scope.args[param.name], bindings)
                resolved[param.name] = ResolvedArg(value, SCOPE, ref.label)
                break
        else:
            resolved[param.name] = ResolvedArg(param.default, DEFAULT)
    return resolved


def resolve_block_args(block: BlockDef, node: Node, bindings: dict[str, Any]) -> dict[str, ResolvedArg]:
    """Parameters of a block use: explicit values, else the block's own defaults."""
    resolved = {"block": ResolvedArg(block.name, EXPLICIT)}
    for name, default in block.params.items():
        if name in node.args:
            resolved[name] = ResolvedArg(substitute(node.args[name], bindings), EXPLICIT)
        else:
            resolved[name] = ResolvedArg(default, DEFAULT)
    return resolved
