"""Functions and tensor methods in a traced graph -> Studio layers.

A rule gets the fx node and the recorded values of the trace run (shapes of tensors, the values of
everything else) and gives a :class:`Layer` (a type, its arguments and the tensor inputs in order),
an :class:`Alias` (the op is the identity here: ``contiguous``, dropout in eval) or raises
``Unmappable`` with what Studio lacks.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import torch
import torch.fx
import torch.nn.functional as F

from studio.engine.importing.errors import Unmappable
from studio.engine.importing.leaves import sample_dim, upsample_args
from studio.engine.layers.basic import INPUTS

MAX_INPUTS = int(INPUTS.maximum or 16)  # the most inputs a merge layer takes


@dataclass
class Layer:
    type: str
    args: dict[str, Any]
    inputs: list[torch.fx.Node]


@dataclass
class Alias:
    source: torch.fx.Node


Result = Layer | Alias


class Values(Protocol):
    """What the trace run recorded: ``shape`` of a tensor node (batch first), ``value`` of any
    argument (a node's recorded value, a literal as is), ``is_tensor``."""

    def shape(self, node: Any) -> tuple[int, ...]: ...
    def value(self, arg: Any) -> Any: ...
    def is_tensor(self, arg: Any) -> bool: ...


Rule = Callable[[torch.fx.Node, Values], Result]


def arg(node: torch.fx.Node, index: int, name: str, default: Any = None) -> Any:
    """Argument ``index`` (positional) or ``name`` (keyword) of a call, else ``default``."""
    if len(node.args) > index:
        return node.args[index]
    return node.kwargs.get(name, default)


def _tensor(node: torch.fx.Node, values: Values, index: int = 0, name: str = "input") -> torch.fx.Node:
    source = arg(node, index, name)
    if not values.is_tensor(source):
        raise Unmappable(f"its input {index} is a {type(values.value(source)).__name__}, not a tensor")
    assert isinstance(source, torch.fx.Node)  # recorded tensors are nodes' values
    return source


def _merge(kind: str) -> Rule:
    def rule(node: torch.fx.Node, values: Values) -> Result:
        left, right = arg(node, 0, "input"), arg(node, 1, "other")
        if not (values.is_tensor(left) and values.is_tensor(right)):
            constant = values.value(right if values.is_tensor(left) else left)
            raise Unmappable(f"{kind} of a tensor and the constant {constant!r} (Studio's {kind} "
                             "takes tensors)")
        if node.kwargs.get("alpha", 1) != 1:
            raise Unmappable(f"add with alpha={node.kwargs['alpha']!r}")
        if values.shape(left) != values.shape(right):  # (e.g. a gate [C, 1, 1] times [C, H, W])
            raise Unmappable(f"{kind} broadcasting {list(values.shape(left))} with "
                             f"{list(values.shape(right))} (Studio's takes equal shapes)")
        return Layer(kind, {}, [left, right])
    return rule


def _concat(node: torch.fx.Node, values: Values) -> Result:
    tensors = list(arg(node, 0, "tensors"))
    if not tensors or not all(values.is_tensor(t) for t in tensors):
        raise Unmappable("concatenation of no tensors or of constants")
    if len(tensors) == 1:
        return Alias(tensors[0])
    if len(tensors) > MAX_INPUTS:
        raise Unmappable(f"concatenation of {len(tensors)} tensors (Studio's concat takes at most "
                         f"{MAX_INPUTS})")
    dim = sample_dim(arg(node, 1, "dim", 0), len(values.shape(tensors[0])), "concat")
    return Layer("concat", {"axis": dim}, tensors)  # (the builder adds 'inputs' beyond two)


def _reshape(node: torch.fx.Node, values: Values) -> Result:
    source = _tensor(node, values)
    before, after = values.shape(source), values.shape(node)
    if after == before:
        return Alias(source)
    if not after or after[0] != before[0]:
        raise Unmappable(f"reshape of {list(before)} to {list(after)} changes the batch dimension")
    if len(after) == 2:
        return Layer("flatten", {}, [source])
    return Layer("reshape", {"shape": list(after[1:])}, [source])


def _unary(layer: str, **names: tuple[int, str, Any]) -> Rule:
    """An element-wise op whose arguments ``names`` (position, keyword, default) become the
    layer's (numbers as floats)."""
    def rule(node: torch.fx.Node, values: Values) -> Result:
        args = {key: values.value(arg(node, *spec)) for key, spec in names.items()}
        args = {key: value if isinstance(value, str) else float(value) for key, value in args.items()}
        return Layer(layer, args, [_tensor(node, values)])
    return rule


def _softmax(node: torch.fx.Node, values: Values) -> Result:
    source = _tensor(node, values)
    dim = sample_dim(values.value(arg(node, 1, "dim")), len(values.shape(source)), "softmax")
    return Layer("softmax", {"dim": dim}, [source])


def _adaptive(layer: str) -> Rule:
    def rule(node: torch.fx.Node, values: Values) -> Result:
        size = values.value(arg(node, 1, "output_size"))
        if arg(node, 2, "return_indices", False) or size is None or (
                isinstance(size, list | tuple) and None in size):
            raise Unmappable(f"adaptive pooling to {size!r}")
        size = [int(s) for s in size] if isinstance(size, list | tuple) else [int(size)] * 2
        return Layer(layer, {"output_size": size}, [_tensor(node, values)])
    return rule


def _window(layer: str) -> Rule:
    def rule(node: torch.fx.Node, values: Values) -> Result:
        def pair(value: Any) -> list[int] | None:
            value = values.value(value)
            if value is None or value == []:
                return None
            return [int(v) for v in value] if isinstance(value, list | tuple) else [int(value)] * 2
        args: dict[str, Any] = {"kernel_size": pair(arg(node, 1, "kernel_size")),
                                "stride": pair(arg(node, 2, "stride")),
                                "padding": pair(arg(node, 3, "padding", 0))}
        if layer == "max_pool2d":
            if pair(arg(node, 4, "dilation", 1)) != [1, 1] or arg(node, 6, "return_indices", False):
                raise Unmappable("max pooling with dilation or indices")
            args["ceil_mode"] = bool(arg(node, 5, "ceil_mode", False))
        else:
            if arg(node, 6, "divisor_override") is not None:
                raise Unmappable("average pooling with divisor_override")
            args["ceil_mode"] = bool(arg(node, 4, "ceil_mode", False))
            args["count_include_pad"] = bool(arg(node, 5, "count_include_pad", True))
        return Layer(layer, args, [_tensor(node, values)])
    return rule


def _dropout(layer: str) -> Rule:
    def rule(node: torch.fx.Node, values: Values) -> Result:
        source = _tensor(node, values)
        if not arg(node, 2, "training", True):
            return Alias(source)
        return Layer(layer, {"p": float(arg(node, 1, "p", 0.5))}, [source])
    return rule


def _interpolate(node: torch.fx.Node, values: Values) -> Result:
    mode = arg(node, 3, "mode", "nearest")
    if mode not in ("nearest", "bilinear"):
        raise Unmappable(f"interpolation mode '{mode}' (Studio's: nearest, bilinear)")
    size, scale = values.value(arg(node, 1, "size")), values.value(arg(node, 2, "scale_factor"))
    layer, args = upsample_args(size, scale, mode, arg(node, 4, "align_corners"))
    return Layer(layer, args, [_tensor(node, values)])


def _pad(node: torch.fx.Node, values: Values) -> Result:
    pad = [int(p) for p in values.value(arg(node, 1, "pad"))]
    mode, value = arg(node, 2, "mode", "constant"), arg(node, 3, "value")
    if len(pad) != 4 or mode not in ("constant", "reflect", "replicate"):
        raise Unmappable(f"padding {pad} in mode '{mode}' (Studio's pads height and width)")
    return Layer("pad", {"padding": pad, "mode": mode, "value": float(value or 0.0)},
                 [_tensor(node, values)])


def _permute(node: torch.fx.Node, values: Values) -> Result:
    source = _tensor(node, values)
    rank = len(values.shape(source))
    given: Any = node.args[1:] if len(node.args) > 1 else [node.kwargs.get("dims")]
    if len(given) == 1 and isinstance(values.value(given[0]), list | tuple):
        given = values.value(given[0])
    dims: list[int] = [int(values.value(d)) for d in given]
    dims = [d + rank if d < 0 else d for d in dims]
    if not dims or dims[0] != 0:
        raise Unmappable(f"permute {dims} moves the batch dimension")
    return Layer("permute", {"dims": [d - 1 for d in dims[1:]]}, [source])


def _transpose(node: torch.fx.Node, values: Values) -> Result:
    source = _tensor(node, values)
    rank = len(values.shape(source))
    a, b = (sample_dim(arg(node, i, name), rank, "transpose") for i, name in ((1, "dim0"), (2, "dim1")))
    return Layer("transpose", {"dim0": a, "dim1": b}, [source])


def _mean(node: torch.fx.Node, values: Values) -> Result:
    source = _tensor(node, values)
    shape = values.shape(source)
    dims = values.value(arg(node, 1, "dim"))
    dims = sorted(d % len(shape) for d in (dims if isinstance(dims, list | tuple) else [dims])) \
        if dims is not None else []
    if len(shape) != 4 or dims != [2, 3]:
        raise Unmappable(f"mean over dimensions {dims} of {list(shape)} (Studio averages height and "
                         "width of [C, H, W])")
    if arg(node, 2, "keepdim", False):
        return Layer("adaptive_avg_pool2d", {"output_size": [1, 1]}, [source])
    return Layer("global_avg_pool", {}, [source])


def _getitem(node: torch.fx.Node, values: Values) -> Result:
    source = _tensor(node, values)
    index = node.args[1]
    items = list(index) if isinstance(index, tuple) else [index]
    if all(item == slice(None) for item in items):
        return Alias(source)
    if len(items) >= 2 and items[0] == slice(None) and type(items[1]) is int \
            and all(item == slice(None) for item in items[2:]):
        return Layer("select", {"dim": 0, "index": items[1]}, [source])
    raise Unmappable(f"indexing with {index!r} (Studio selects one index of a sample's first "
                     "dimension)")


def _select(node: torch.fx.Node, values: Values) -> Result:
    source = _tensor(node, values)
    dim = sample_dim(arg(node, 1, "dim"), len(values.shape(source)), "select")
    return Layer("select", {"dim": dim, "index": int(arg(node, 2, "index"))}, [source])


def _alias(node: torch.fx.Node, values: Values) -> Result:
    return Alias(_tensor(node, values))


ACTIVATIONS: dict[str, tuple[Any, ...]] = {
    "relu": (F.relu, torch.relu, "relu", "relu_"), "relu6": (F.relu6,),
    "silu": (F.silu,), "hardswish": (F.hardswish,), "hardsigmoid": (F.hardsigmoid,),
    "sigmoid": (torch.sigmoid, F.sigmoid, "sigmoid", "sigmoid_"),
    "tanh": (torch.tanh, F.tanh, "tanh", "tanh_"),
}

RULES: dict[Any, Rule] = {
    **{key: _unary(layer) for layer, keys in ACTIVATIONS.items() for key in keys},
    F.gelu: _unary("gelu", approximate=(1, "approximate", "none")),
    F.leaky_relu: _unary("leaky_relu", negative_slope=(1, "negative_slope", 0.01)),
    F.elu: _unary("elu", alpha=(1, "alpha", 1.0)),
    F.softmax: _softmax, torch.softmax: _softmax, "softmax": _softmax,
    operator.add: _merge("add"), operator.iadd: _merge("add"), torch.add: _merge("add"),
    "add": _merge("add"), "add_": _merge("add"),
    operator.mul: _merge("multiply"), operator.imul: _merge("multiply"), torch.mul: _merge("multiply"),
    "mul": _merge("multiply"), "mul_": _merge("multiply"),
    torch.cat: _concat, torch.concat: _concat,
    torch.flatten: _reshape, "flatten": _reshape, "view": _reshape, "reshape": _reshape,
    torch.reshape: _reshape,
    F.adaptive_avg_pool2d: _adaptive("adaptive_avg_pool2d"),
    F.adaptive_max_pool2d: _adaptive("adaptive_max_pool2d"),
    F.max_pool2d: _window("max_pool2d"), F.avg_pool2d: _window("avg_pool2d"),
    F.dropout: _dropout("dropout"), F.dropout2d: _dropout("dropout2d"),
    F.interpolate: _interpolate, F.pad: _pad,
    torch.permute: _permute, "permute": _permute, torch.transpose: _transpose, "transpose": _transpose,
    torch.mean: _mean, "mean": _mean, operator.getitem: _getitem, torch.select: _select,
    "select": _select, "contiguous": _alias, "clone": _alias,
}


def map_op(node: torch.fx.Node, values: Values) -> Result:
    """The layer of a call_function or call_method node; Unmappable when Studio has none."""
    rule = RULES.get(node.target)
    if rule is None:
        raise Unmappable("Studio has no layer for it")
    return rule(node, values)


def op_name(node: torch.fx.Node) -> str:
    """``torch.sin``, ``operator.truediv``, ``Tensor.sum``: the op as the user wrote it."""
    if node.op == "call_method":
        return f"Tensor.{node.target}"
    target = node.target
    module = getattr(target, "__module__", None) or "torch"
    module = {"_operator": "operator", "torch._C._nn": "F", "torch.nn.functional": "F",
              "torch._C._VariableFunctions": "torch"}.get(module, module)
    return f"{module}.{getattr(target, '__name__', str(target))}"
