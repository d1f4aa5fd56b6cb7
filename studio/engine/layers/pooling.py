"""Pooling layers: max and average windows, global and adaptive pooling."""

from __future__ import annotations

from torch import nn

from studio.engine.errors import ShapeError
from studio.engine.layers.conv import conv_output_hw, conv_padding
from studio.engine.layers.registry import LayerType, Param, pair, register, require_rank

POOL_PARAMS = (
    Param("kernel_size", "ints", 2, "Window height and width.", minimum=1, length=2),
    Param("stride", "ints", None, "Step between windows (empty: the kernel size).", minimum=1, length=2,
          optional=True),
    Param("padding", "padding", "valid", "'valid', 'same' (odd kernels) or pixels per side.", minimum=0,
          length=2),
    Param("ceil_mode", "bool", False, "Round the output size up instead of down."),
)


def _pool_shape(args, inputs):
    require_rank("pooling", inputs["x"], 3)
    if conv_padding({**args, "stride": args.get("stride") or args["kernel_size"]}) == "same":
        raise ShapeError("'same' padding needs an odd pooling window; give the padding as numbers")
    return (inputs["x"][0], *conv_output_hw(args, inputs["x"]))


def _pool_kwargs(args):
    stride = args.get("stride")
    padding = conv_padding({**args, "stride": stride or args["kernel_size"]})
    if padding == "same":
        padding = (0, 0)
    return dict(kernel_size=pair(args["kernel_size"]), stride=pair(stride or args["kernel_size"]),
                padding=padding, ceil_mode=args["ceil_mode"])


register(LayerType(
    "max_pool2d", "Pooling", "Maximum over sliding windows (nn.MaxPool2d).", POOL_PARAMS,
    _pool_shape, lambda args, inputs: nn.MaxPool2d(**_pool_kwargs(args)), title="max pool2d"))

register(LayerType(
    "avg_pool2d", "Pooling", "Average over sliding windows (nn.AvgPool2d).",
    (*POOL_PARAMS, Param("count_include_pad", "bool", True, "Count padded zeros in the average.")),
    _pool_shape,
    lambda args, inputs: nn.AvgPool2d(**_pool_kwargs(args), count_include_pad=args["count_include_pad"]),
    title="avg pool2d"))


def _global_shape(args, inputs):
    require_rank("global pooling", inputs["x"], 3)
    return (inputs["x"][0],)


def _global_pool(kind):
    pool = nn.AdaptiveAvgPool2d if kind == "avg" else nn.AdaptiveMaxPool2d
    return lambda args, inputs: nn.Sequential(pool(1), nn.Flatten(1))


register(LayerType(
    "global_avg_pool", "Pooling", "Average over height and width: [C, H, W] -> [C].", (),
    _global_shape, _global_pool("avg"), title="global avg pool"))
register(LayerType(
    "global_max_pool", "Pooling", "Maximum over height and width: [C, H, W] -> [C].", (),
    _global_shape, _global_pool("max"), title="global max pool"))


def _adaptive_shape(args, inputs):
    require_rank("adaptive_avg_pool2d", inputs["x"], 3)
    return (inputs["x"][0], *pair(args["output_size"]))


register(LayerType(
    "adaptive_avg_pool2d", "Pooling", "Average pooling to a fixed output size (nn.AdaptiveAvgPool2d).",
    (Param("output_size", "ints", 1, "Output height and width.", minimum=1, length=2),),
    _adaptive_shape, lambda args, inputs: nn.AdaptiveAvgPool2d(pair(args["output_size"])),
    title="adaptive avg pool2d"))
