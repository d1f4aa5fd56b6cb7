"""Pooling layers: max and average windows, global and adaptive pooling."""

from __future__ import annotations

from torch import nn

from studio.engine.errors import ShapeError
from studio.engine.layers.conv import WINDOW_SHOWN, conv_output_hw, conv_padding
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
    name="max_pool2d", category="Pooling", title="max pool2d", stem="pool", shown=WINDOW_SHOWN,
    help="Maximum over sliding windows (nn.MaxPool2d).", params=POOL_PARAMS, shape=_pool_shape,
    build=lambda args, inputs: nn.MaxPool2d(**_pool_kwargs(args))))

register(LayerType(
    name="avg_pool2d", category="Pooling", title="avg pool2d", stem="avgpool", shown=WINDOW_SHOWN,
    help="Average over sliding windows (nn.AvgPool2d).",
    params=(*POOL_PARAMS, Param("count_include_pad", "bool", True, "Count padded zeros in the average.")),
    shape=_pool_shape,
    build=lambda args, inputs: nn.AvgPool2d(**_pool_kwargs(args),
                                            count_include_pad=args["count_include_pad"])))


def _global_shape(args, inputs):
    require_rank("global pooling", inputs["x"], 3)
    return (inputs["x"][0],)


def _global_pool(kind):
    pool = nn.AdaptiveAvgPool2d if kind == "avg" else nn.AdaptiveMaxPool2d
    return lambda args, inputs: nn.Sequential(pool(1), nn.Flatten(1))


register(LayerType(
    name="global_avg_pool", category="Pooling", title="global avg pool", stem="gap",
    help="Average over height and width: [C, H, W] -> [C].", shape=_global_shape,
    build=_global_pool("avg")))
register(LayerType(
    name="global_max_pool", category="Pooling", title="global max pool", stem="gmp",
    help="Maximum over height and width: [C, H, W] -> [C].", shape=_global_shape,
    build=_global_pool("max")))


def _adaptive_shape(args, inputs):
    require_rank("adaptive pooling", inputs["x"], 3)
    return (inputs["x"][0], *pair(args["output_size"]))


register(LayerType(
    name="adaptive_avg_pool2d", category="Pooling", title="adaptive avg pool2d", stem="adapool",
    shown=("output_size",), help="Average pooling to a fixed output size (nn.AdaptiveAvgPool2d).",
    params=(Param("output_size", "ints", 1, "Output height and width.", minimum=1, length=2),),
    shape=_adaptive_shape, build=lambda args, inputs: nn.AdaptiveAvgPool2d(pair(args["output_size"]))))

register(LayerType(
    name="adaptive_max_pool2d", category="Pooling", title="adaptive max pool2d", stem="adamaxpool",
    shown=("output_size",),
    help="Max pooling to a fixed output size (nn.AdaptiveMaxPool2d). ONNX export needs an output size "
    "that divides the input's height and width.",
    params=(Param("output_size", "ints", 1, "Output height and width.", minimum=1, length=2),),
    shape=_adaptive_shape, build=lambda args, inputs: nn.AdaptiveMaxPool2d(pair(args["output_size"]))))
