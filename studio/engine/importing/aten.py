"""ATen ops of a saved ``torch.export`` program -> Studio layers.

An exported graph has no modules left: a convolution is ``aten.conv2d(x, weight, bias, ...)`` reading
its weights from the module that owned them (``layer1.0.conv1.weight``). A rule here gives the layer,
its arguments read from the op and the weights' shapes, and the owning module's path, so that the
node is named after it (``layer1_0_conv1``) and its weights carried by name. The common ops of
ResNets and MobileNets are mapped; any other op is reported by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.fx

from studio.engine.importing.errors import Unmappable
from studio.engine.importing.ops import (
    Layer,
    Result,
    Values,
    _adaptive,
    _alias,
    _concat,
    _dropout,
    _mean,
    _merge,
    _reshape,
    _unary,
    _window,
    arg,
)

aten = torch.ops.aten


@dataclass
class WeightLayer(Layer):
    """A layer that owns weights: ``owner`` is the module path they sit under."""

    owner: str = ""


def _weight(node: torch.fx.Node, index: int) -> torch.fx.Node | None:
    value = node.args[index] if len(node.args) > index else None
    if value is None:
        return None
    if not isinstance(value, torch.fx.Node) or value.op != "get_attr":
        raise Unmappable("its weights are computed, not a module's parameters")
    return value


def _owner(*weights: torch.fx.Node | None) -> str:
    paths = {str(w.target).rsplit(".", 1)[0] for w in weights if w is not None}
    if len(paths) != 1:
        raise Unmappable("its weights belong to several modules")
    return paths.pop()


def _conv(node: torch.fx.Node, values: Values) -> Result:
    source, weight, bias = node.args[0], _weight(node, 1), _weight(node, 2)
    assert isinstance(source, torch.fx.Node) and weight is not None
    w = values.shape(weight)
    if len(w) != 4:
        raise Unmappable(f"a convolution with a weight of shape {list(w)} (Studio's is 2-d)")

    def pair(index: int, default: int) -> list[int]:
        value = arg(node, index, "", [default])
        value = list(value) if isinstance(value, list | tuple) else [value]
        return [int(v) for v in value] * (2 if len(value) == 1 else 1)

    groups = int(arg(node, 6, "groups", 1))
    cin = values.shape(source)[1]
    common = {"kernel_size": list(w[2:]), "stride": pair(3, 1), "padding": pair(4, 0),
              "dilation": pair(5, 1), "bias": bias is not None}
    owner = _owner(weight, bias)
    if groups > 1 and groups == cin and w[0] % cin == 0:
        return WeightLayer("depthwise_conv2d", {**common, "depth_multiplier": w[0] // cin}, [source],
                           owner)
    return WeightLayer("conv2d", {"out_channels": w[0], **common, "groups": groups}, [source], owner)


def _batch_norm(node: torch.fx.Node, values: Values) -> Result:
    source = node.args[0]
    assert isinstance(source, torch.fx.Node)
    weight, bias, mean, var = (_weight(node, i) for i in range(1, 5))
    if mean is None or var is None or arg(node, 5, "training", False):
        raise Unmappable("batch norm in training form (export the model in eval mode)")
    return WeightLayer("batch_norm", {"eps": float(arg(node, 7, "eps", 1e-5)),
                                      "momentum": float(arg(node, 6, "momentum", 0.1)),
                                      "affine": weight is not None},
                       [source], _owner(weight, bias, mean, var))


def _linear(node: torch.fx.Node, values: Values) -> Result:
    source, weight, bias = node.args[0], _weight(node, 1), _weight(node, 2)
    assert isinstance(source, torch.fx.Node) and weight is not None
    return WeightLayer("fully_connected", {"out_features": values.shape(weight)[0], "bias": bias is not None},
                       [source], _owner(weight, bias))


def _hardtanh(node: torch.fx.Node, values: Values) -> Result:
    low, high = float(arg(node, 1, "min_val", -1.0)), float(arg(node, 2, "max_val", 1.0))
    if (low, high) != (0.0, 6.0):
        raise Unmappable(f"hardtanh between {low:g} and {high:g} (Studio has ReLU6, hardtanh(0, 6))")
    source = node.args[0]
    assert isinstance(source, torch.fx.Node)
    return Layer("relu6", {}, [source])


def _flatten(node: torch.fx.Node, values: Values) -> Result:
    if int(arg(node, 1, "start_dim", 0)) != 1 or int(arg(node, 2, "end_dim", -1)) != -1:
        raise Unmappable("flatten of other dimensions than a whole sample")
    return _reshape(node, values)


Rule = Callable[[torch.fx.Node, Values], Result]

RULES: dict[object, Rule] = {
    aten.conv2d.default: _conv, aten.batch_norm.default: _batch_norm, aten.linear.default: _linear,
    aten.relu.default: _unary("relu"), aten.relu_.default: _unary("relu"),
    aten.hardtanh.default: _hardtanh, aten.hardtanh_.default: _hardtanh,
    aten.silu.default: _unary("silu"), aten.silu_.default: _unary("silu"),
    aten.hardswish.default: _unary("hardswish"), aten.hardswish_.default: _unary("hardswish"),
    aten.hardsigmoid.default: _unary("hardsigmoid"), aten.sigmoid.default: _unary("sigmoid"),
    aten.add.Tensor: _merge("add"), aten.add_.Tensor: _merge("add"),
    aten.mul.Tensor: _merge("multiply"), aten.cat.default: _concat,
    aten.max_pool2d.default: _window("max_pool2d"), aten.avg_pool2d.default: _window("avg_pool2d"),
    aten.adaptive_avg_pool2d.default: _adaptive("adaptive_avg_pool2d"),
    aten.flatten.using_ints: _flatten, aten.view.default: _reshape, aten.reshape.default: _reshape,
    aten.dropout.default: _dropout("dropout"), aten.mean.dim: _mean,
    aten.clone.default: _alias, aten.contiguous.default: _alias,
}


def is_aten_graph(model: torch.nn.Module) -> bool:
    """Whether ``model`` is an exported program's graph (ATen ops), not a module to trace."""
    return isinstance(model, torch.fx.GraphModule) and any(
        isinstance(n.target, torch._ops.OpOverload) for n in model.graph.nodes if n.op == "call_function")


def map_aten(node: torch.fx.Node, values: Values) -> Result:
    rule = RULES.get(node.target)
    if rule is None:
        raise Unmappable("Studio has no layer for it (of the ATen ops, Studio maps convolution, batch norm, "
                         "linear, ReLU/ReLU6, SiLU, hardswish, add, mul, concat, pooling, flatten/view, "
                         "dropout and mean)")
    return rule(node, values)
