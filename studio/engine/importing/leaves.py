"""Modules that are one Studio layer: the tracer keeps them whole (leaves) and each maps to a layer
type with its arguments read from the module.

Types are matched exactly, not by subclass: a user's ``class MyConv(nn.Conv2d)`` may change
``forward``, so it is traced through instead. Every layer built from these arguments has the
module's own parameter names (``weight``, ``bias``, ``running_mean``, ``fc1.weight``...), which is
what lets the weights travel by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torchvision.ops
from torch import nn
from torchvision.models.convnext import LayerNorm2d as TorchvisionLayerNorm2d

from studio.engine.importing.errors import Unmappable
from studio.engine.layers import modules as studio_modules

Mapping = tuple[str, dict[str, Any]]


def _ints(value: Any) -> list[int]:
    return [int(v) for v in value] if isinstance(value, list | tuple) else [int(value), int(value)]


def _conv(m: nn.Conv2d) -> Mapping:
    if m.padding_mode != "zeros":
        raise Unmappable(f"padding_mode '{m.padding_mode}' (Studio's conv2d pads with zeros)")
    padding: Any = m.padding if isinstance(m.padding, str) else _ints(m.padding)
    common = {"kernel_size": _ints(m.kernel_size), "stride": _ints(m.stride), "padding": padding,
              "dilation": _ints(m.dilation), "bias": m.bias is not None}
    if m.groups > 1 and m.groups == m.in_channels and m.out_channels % m.in_channels == 0:
        return "depthwise_conv2d", {**common, "depth_multiplier": m.out_channels // m.in_channels}
    return "conv2d", {"out_channels": m.out_channels, **common, "groups": m.groups}


def _batch_norm(m: nn.BatchNorm1d | nn.BatchNorm2d) -> Mapping:
    if not m.track_running_stats:
        raise Unmappable("batch norm without running statistics (Studio's keeps them)")
    return "batch_norm", {"eps": float(m.eps), "momentum": float(m.momentum if m.momentum is not None
                                                                  else 0.1), "affine": m.affine}


def _linear(m: nn.Linear) -> Mapping:
    return "fully_connected", {"out_features": m.out_features, "bias": m.bias is not None}


def _layer_norm(layout: str) -> Callable[[Any], Mapping]:
    def rule(m: nn.LayerNorm) -> Mapping:
        if len(m.normalized_shape) != 1:
            raise Unmappable(f"layer norm over {list(m.normalized_shape)} (Studio's normalises one "
                             "dimension, the channels)")
        return "layer_norm", {"layout": layout, "eps": float(m.eps), "affine": m.elementwise_affine,
                              "bias": m.bias is not None}
    return rule


def _group_norm(m: nn.GroupNorm) -> Mapping:
    return "group_norm", {"num_groups": m.num_groups, "eps": float(m.eps), "affine": m.affine}


def _pool(layer: str) -> Callable[[Any], Mapping]:
    def rule(m: nn.MaxPool2d | nn.AvgPool2d) -> Mapping:
        if isinstance(m, nn.MaxPool2d) and (_ints(m.dilation) != [1, 1] or m.return_indices):
            raise Unmappable("max pooling with dilation or indices")
        args: dict[str, Any] = {"kernel_size": _ints(m.kernel_size),
                                "stride": _ints(m.stride) if m.stride else None,
                                "padding": _ints(m.padding), "ceil_mode": bool(m.ceil_mode)}
        if isinstance(m, nn.AvgPool2d):
            if m.divisor_override is not None:
                raise Unmappable("average pooling with divisor_override")
            args["count_include_pad"] = bool(m.count_include_pad)
        return layer, args
    return rule


def _adaptive(layer: str) -> Callable[[Any], Mapping]:
    def rule(m: nn.AdaptiveAvgPool2d | nn.AdaptiveMaxPool2d) -> Mapping:
        size = m.output_size
        if getattr(m, "return_indices", False) or size is None or (
                isinstance(size, tuple | list) and None in size):
            raise Unmappable(f"adaptive pooling to {size}")
        return layer, {"output_size": _ints(size)}
    return rule


def _plain(layer: str) -> Callable[[Any], Mapping]:
    return lambda m: (layer, {})


def _flatten(m: nn.Flatten) -> Mapping:
    if m.start_dim != 1 or m.end_dim != -1:
        raise Unmappable(f"flatten of dimensions {m.start_dim}..{m.end_dim} (Studio's flattens each "
                         "sample whole)")
    return "flatten", {}


def sample_dim(dim: Any, rank: int, what: str) -> int:
    """A batch-first dimension ``dim`` (negative: from the end) as a dimension of a sample."""
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise Unmappable(f"{what} over dimension {dim!r}")
    dim = dim + rank if dim < 0 else dim
    if not 1 <= dim < rank:
        raise Unmappable(f"{what} over dimension {dim} of a rank-{rank} tensor (the batch is 0)")
    return dim - 1


def _prelu(m: nn.PReLU) -> Mapping:
    return "prelu", {"per_channel": m.num_parameters > 1, "slope": float(m.init)}


GATES = {kind: name for name, kind in studio_modules.SqueezeExcitation.kinds.items()}


def _squeeze_excitation(m: torchvision.ops.SqueezeExcitation) -> Mapping:
    kinds = [GATES.get(type(m.activation)), GATES.get(type(m.scale_activation))]
    if None in kinds or isinstance(m.activation, nn.GELU) and m.activation.approximate != "none":
        raise Unmappable(f"squeeze-excitation gated by {type(m.activation).__name__} and "
                         f"{type(m.scale_activation).__name__}")
    return "squeeze_excitation", {"squeeze_channels": m.fc1.out_channels, "squeeze_activation": kinds[0],
                                  "scale_activation": kinds[1]}


def _pad(m: nn.ZeroPad2d | nn.ConstantPad2d | nn.ReflectionPad2d | nn.ReplicationPad2d) -> Mapping:
    mode = {nn.ReflectionPad2d: "reflect", nn.ReplicationPad2d: "replicate"}.get(type(m), "constant")
    return "pad", {"padding": [int(p) for p in m.padding], "mode": mode,
                   "value": float(getattr(m, "value", 0.0))}


def _upsample(m: nn.Upsample) -> Mapping:
    if m.mode not in ("nearest", "bilinear"):
        raise Unmappable(f"upsampling mode '{m.mode}' (Studio's: nearest, bilinear)")
    return upsample_args(m.size, m.scale_factor, m.mode, m.align_corners)


def upsample_args(size: Any, scale: Any, mode: str, align_corners: Any) -> Mapping:
    """The upsample layer of ``nn.Upsample``'s or ``F.interpolate``'s arguments."""
    if isinstance(scale, tuple | list):
        if len(set(scale)) != 1:
            raise Unmappable(f"upsampling by different factors {list(scale)}")
        scale = scale[0]
    return "upsample", {"scale_factor": float(scale) if scale is not None else None,
                        "size": _ints(size) if size is not None else None, "mode": mode,
                        "align_corners": bool(align_corners)}


RULES: dict[type, Callable[[Any], Mapping]] = {
    nn.Conv2d: _conv, nn.BatchNorm2d: _batch_norm, nn.BatchNorm1d: _batch_norm, nn.Linear: _linear,
    nn.LayerNorm: _layer_norm("channels_last"), TorchvisionLayerNorm2d: _layer_norm("channels_first"),
    studio_modules.LayerNorm2d: _layer_norm("channels_first"), nn.GroupNorm: _group_norm,
    nn.MaxPool2d: _pool("max_pool2d"), nn.AvgPool2d: _pool("avg_pool2d"),
    nn.AdaptiveAvgPool2d: _adaptive("adaptive_avg_pool2d"),
    nn.AdaptiveMaxPool2d: _adaptive("adaptive_max_pool2d"),
    nn.ReLU: _plain("relu"), nn.ReLU6: _plain("relu6"), nn.SiLU: _plain("silu"),
    nn.Hardswish: _plain("hardswish"), nn.Hardsigmoid: _plain("hardsigmoid"),
    nn.Sigmoid: _plain("sigmoid"), nn.Tanh: _plain("tanh"), nn.Identity: _plain("identity"),
    nn.GELU: lambda m: ("gelu", {"approximate": m.approximate}),
    nn.LeakyReLU: lambda m: ("leaky_relu", {"negative_slope": float(m.negative_slope)}),
    nn.ELU: lambda m: ("elu", {"alpha": float(m.alpha)}), nn.PReLU: _prelu,
    nn.Dropout: lambda m: ("dropout", {"p": float(m.p)}),
    nn.Dropout2d: lambda m: ("dropout2d", {"p": float(m.p)}), nn.Flatten: _flatten,
    torchvision.ops.SqueezeExcitation: _squeeze_excitation,
    torchvision.ops.StochasticDepth: lambda m: ("stochastic_depth", {"p": float(m.p), "mode": m.mode}),
    nn.ZeroPad2d: _pad, nn.ConstantPad2d: _pad, nn.ReflectionPad2d: _pad, nn.ReplicationPad2d: _pad,
    nn.Upsample: _upsample, nn.ChannelShuffle: lambda m: ("channel_shuffle", {"groups": m.groups}),
    studio_modules.SelfAttention: lambda m: ("multi_head_attention", {"num_heads": m.num_heads,
                                                                      "dropout": float(m.dropout)}),
}


def is_layer_module(module: nn.Module) -> bool:
    """Whether ``module`` is one Studio layer (the tracer keeps it whole)."""
    return type(module) in RULES or type(module) is nn.Softmax


def map_module(module: nn.Module, rank: int) -> Mapping:
    """The layer type and arguments of a leaf module whose input has ``rank`` dimensions (with the
    batch); Unmappable names what has no layer."""
    if type(module) is nn.Softmax:
        return "softmax", {"dim": sample_dim(module.dim, rank, "softmax")}
    rule = RULES.get(type(module))
    if rule is None:
        raise Unmappable("Studio has no layer for it")
    return rule(module)


def type_name(module: nn.Module) -> str:
    """``nn.LSTM``, ``torchvision.ops.misc.SqueezeExcitation``, ``mymodel.Block``."""
    cls = type(module)
    prefix = "nn." if cls.__module__.startswith("torch.nn") else f"{cls.__module__}."
    return prefix + cls.__qualname__
