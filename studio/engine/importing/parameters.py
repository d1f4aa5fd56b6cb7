"""Parameters a forward reads itself (fx ``get_attr`` nodes) -> the Studio layers owning such a one.

Studio's layers own their weights, so a tensor read directly maps only where the use is one of
theirs: ``p * x`` with ``p`` [C, 1, ...] for x's [C, ...] (ConvNeXt's layer scale) is
``layer_scale``; ``torch.cat([p.expand(n, -1, -1), x], dim=1)`` with ``p`` [1, 1, D] (ViT's class
token) is ``class_token``; ``x + p`` with ``p`` [1, N, D] for x's [N, D] (ViT's position embedding)
is ``position_embedding``. The parameter travels under the layer's name for it (``layer_scale``,
``class_token``, ``pos_embedding``). Any other read is Unmappable, naming the tensor and its use.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import torch
import torch.fx
from torch import nn

from studio.engine.importing.errors import Unmappable
from studio.engine.importing.ops import op_name

MULTIPLY = (operator.mul, operator.imul, torch.mul, "mul", "mul_")
ADD = (operator.add, operator.iadd, torch.add, "add", "add_")
CONCAT = (torch.cat, torch.concat)
USES = ("a parameter maps only as a layer scale p * x (p [C, 1, 1] for [C, H, W]), a position "
        "embedding x + p (p [1, N, D] for [N, D]) or a class token torch.cat([p.expand(n, -1, -1), x], "
        "dim=1) (p [1, 1, D])")


class Values(Protocol):
    def shape(self, node: Any) -> tuple[int, ...]: ...
    def is_tensor(self, arg: Any) -> bool: ...


@dataclass(frozen=True)
class ParameterLayer:
    type: str
    args: dict[str, Any]
    source: torch.fx.Node  # the tensor the layer takes
    parameter: str  # the original's name of the parameter (its get_attr target)
    name: str  # the layer's name for it


def parameter_read(node: Any, model: nn.Module) -> str | None:
    """The name of the parameter ``node`` reads (a get_attr, or ``.expand`` of one), else None."""
    if not isinstance(node, torch.fx.Node):
        return None
    if node.op == "call_method" and node.target == "expand" and node.args:
        return parameter_read(node.args[0], model) if _get_attr(node.args[0]) else None
    if node.op == "get_attr":
        owner, _, name = str(node.target).rpartition(".")
        try:
            module = model.get_submodule(owner) if owner else model
        except AttributeError:
            return None
        return str(node.target) if name in dict(module.named_parameters(recurse=False)) else None
    return None


def check_reads(node: torch.fx.Node, live: set[torch.fx.Node], values: Values, model: nn.Module) -> None:
    """Unmappable unless every use of the tensor ``node`` reads is one of a layer's (above)."""
    target = parameter_read(node, model)
    for user in node.users:
        if user not in live or user.op == "call_module":
            continue  # (a module given it says why it cannot take it: a mask, a second tensor)
        if target is not None and parameter_read(user, model) == target:
            check_reads(user, live, values, model)  # (the expand of a class token)
        elif target is None or map_parameter_use(user, values, model) is None:
            what = f"parameter '{target}'" if target else f"tensor '{node.target}'"
            raise Unmappable(f"it reads the {what} directly and uses it in {_use(user)} (Studio's "
                             f"layers own their weights: {USES})")


def map_parameter_use(node: torch.fx.Node, values: Values, model: nn.Module) -> ParameterLayer | None:
    """The layer of ``node`` when it uses a parameter the way one of Studio's layers does."""
    if node.op not in ("call_function", "call_method"):
        return None
    args = list(node.args)
    if node.target in MULTIPLY and len(args) == 2 and not node.kwargs:
        return _layer_scale(args, values, model)
    if node.target in ADD and len(args) == 2 and node.kwargs.get("alpha", 1) == 1:
        return _position_embedding(args, values, model)
    if node.target in CONCAT:
        tensors = args[0] if args else node.kwargs.get("tensors")
        dim = args[1] if len(args) > 1 else node.kwargs.get("dim", 0)
        if isinstance(tensors, list | tuple) and len(tensors) == 2:
            return _class_token(tensors[0], tensors[1], dim, values, model)
    return None


def _operands(args: list[Any], values: Values,
              model: nn.Module) -> Iterator[tuple[str, tuple[int, ...], torch.fx.Node, tuple[int, ...]]]:
    """(parameter name, its shape, the tensor, its sample shape) for ``p op x`` and ``x op p``."""
    for p, x in (args, args[::-1]):
        target = _direct(p, model)
        if target is not None and values.is_tensor(x) and parameter_read(x, model) is None:
            yield target, tuple(_tensor(model, target).shape), x, values.shape(x)[1:]


def _layer_scale(args: list[Any], values: Values, model: nn.Module) -> ParameterLayer | None:
    for target, shape, x, sample in _operands(args, values, model):
        if sample and shape == (sample[0],) + (1,) * (len(sample) - 1):
            first = _tensor(model, target).flatten()[0]  # (its start, if it is still where it started)
            same = bool((_tensor(model, target) == first).all())
            args_out = {"init_value": float(f"{float(first):.7g}")} if same else {}
            return ParameterLayer("layer_scale", args_out, x, target, "layer_scale")
    return None


def _position_embedding(args: list[Any], values: Values, model: nn.Module) -> ParameterLayer | None:
    for target, shape, x, sample in _operands(args, values, model):
        if len(sample) == 2 and shape == (1, *sample):
            return ParameterLayer("position_embedding", {}, x, target, "pos_embedding")
    return None


def _class_token(first: Any, x: Any, dim: Any, values: Values, model: nn.Module) -> ParameterLayer | None:
    if not (isinstance(first, torch.fx.Node) and first.op == "call_method") or not values.is_tensor(x):
        return None
    target = parameter_read(first, model)
    sample = values.shape(x)[1:]
    if target is None or _get_attr(first) or len(sample) != 2 or dim not in (1, -2):
        return None
    if tuple(_tensor(model, target).shape) != (1, 1, sample[1]) or \
            values.shape(first) != (values.shape(x)[0], 1, sample[1]):
        return None  # (expanded to the batch: [n, 1, D])
    return ParameterLayer("class_token", {}, x, target, "class_token")


def _direct(arg: Any, model: nn.Module) -> str | None:
    return parameter_read(arg, model) if _get_attr(arg) else None


def _get_attr(arg: Any) -> bool:
    return isinstance(arg, torch.fx.Node) and arg.op == "get_attr"


def _tensor(model: nn.Module, target: str) -> torch.Tensor:
    return model.get_parameter(target).detach()


def _use(node: torch.fx.Node) -> str:
    return op_name(node) if node.op in ("call_function", "call_method") else "the output"
