"""Convolution layers: conv2d, conv2d_transpose, depthwise, separable and in-plane convolutions."""

from __future__ import annotations

from torch import nn

from studio.engine.errors import ShapeError
from studio.engine.layers import modules
from studio.engine.layers.common import ACTIVATION, BIAS, WEIGHT_PARAMS, apply_init
from studio.engine.layers.registry import LayerType, Param, pair, register, require_rank

OUT_CHANNELS = Param("out_channels", "int", 32, "Number of output channels (filters).", minimum=1)
KERNEL = Param("kernel_size", "ints", 3, "Kernel height and width.", minimum=1, length=2)
STRIDE = Param("stride", "ints", 1, "Step between kernel positions.", minimum=1, length=2)
PADDING = Param("padding", "padding", "same",
                "'same' keeps the size (divided by the stride), 'valid' adds none, or pixels per side.",
                minimum=0, length=2)
DILATION = Param("dilation", "ints", 1, "Spacing between kernel taps.", minimum=1, length=2)
MULTIPLIER = Param("depth_multiplier", "int", 1, "Output channels per input channel of the depthwise "
                   "step.", minimum=1)
WINDOW_SHOWN = ("kernel_size", "stride")  # what a node shows even at the defaults
CONV_SHOWN = ("out_channels", *WINDOW_SHOWN)


def conv_padding(args: dict) -> tuple[int, int] | str:
    """Explicit padding for the node's kernel, or 'same' where PyTorch must pad asymmetrically."""
    padding = args.get("padding", 0)
    if padding == "valid":
        return (0, 0)
    if padding != "same":
        return pair(padding)
    kernel, dilation = pair(args["kernel_size"]), pair(args.get("dilation", 1))
    effective = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
    if all(e % 2 == 0 for e in effective):
        return (effective[0] // 2, effective[1] // 2)
    if pair(args.get("stride", 1)) == (1, 1):
        return "same"
    raise ShapeError("'same' padding with an even kernel needs stride 1; give the padding as numbers")


def conv_output_hw(args: dict, shape: tuple[int, ...]) -> tuple[int, int]:
    """Height and width after a convolution or pooling window."""
    kernel, stride = pair(args["kernel_size"]), pair(args.get("stride") or args["kernel_size"])
    dilation = pair(args.get("dilation", 1))
    padding = conv_padding(args)
    out = []
    for i in range(2):
        size = shape[1 + i]
        if isinstance(padding, str):  # "same"
            out.append(size)
            continue
        span = dilation[i] * (kernel[i] - 1) + 1
        value = (size + 2 * padding[i] - span) // stride[i] + 1
        if args.get("ceil_mode"):
            value = -(-(size + 2 * padding[i] - span) // stride[i]) + 1
        out.append(value)
    if min(out) < 1:
        raise ShapeError(f"kernel {list(kernel)} does not fit input {list(shape)} "
                         f"(output would be {out[0]}x{out[1]})")
    return out[0], out[1]


def _conv_shape(args, inputs):
    shape = inputs["x"]
    require_rank("conv2d", shape, 3)
    groups = args.get("groups", 1)
    if shape[0] % groups or args["out_channels"] % groups:
        raise ShapeError(f"groups={groups} must divide input channels ({shape[0]}) and out_channels "
                         f"({args['out_channels']})")
    return (args["out_channels"], *conv_output_hw(args, shape))


def _conv_macs(args, inputs, out):
    kernel = pair(args["kernel_size"])
    per_output = inputs["x"][0] // args.get("groups", 1) * kernel[0] * kernel[1]
    return out[0] * out[1] * out[2] * per_output


def _build_conv(args, inputs):
    module = nn.Conv2d(inputs["x"][0], args["out_channels"], pair(args["kernel_size"]),
                       stride=pair(args["stride"]), padding=conv_padding(args),
                       dilation=pair(args["dilation"]), groups=args["groups"], bias=args["bias"])
    apply_init(module, args["init"])
    return module


register(LayerType(
    name="conv2d", category="Convolution", stem="conv", shown=CONV_SHOWN,
    help="2D convolution over [channels, height, width] (nn.Conv2d).",
    params=(OUT_CHANNELS, KERNEL, STRIDE, PADDING, DILATION,
            Param("groups", "int", 1, "Split channels into groups convolved separately.", minimum=1),
            BIAS, ACTIVATION, *WEIGHT_PARAMS),
    shape=_conv_shape, build=_build_conv, macs=_conv_macs, has_weights=True))


def _transpose_padding(args):
    padding = args.get("padding", 0)
    if padding == "valid":
        return (0, 0), (0, 0)
    stride = pair(args["stride"])
    if padding == "same":
        kernel = pair(args["kernel_size"])
        if any((k - 1) % 2 for k in kernel):
            raise ShapeError("'same' padding of a transposed convolution needs an odd kernel")
        return ((kernel[0] - 1) // 2, (kernel[1] - 1) // 2), (stride[0] - 1, stride[1] - 1)
    return pair(padding), pair(args.get("output_padding", 0))


def _transpose_shape(args, inputs):
    shape = inputs["x"]
    require_rank("conv2d_transpose", shape, 3)
    kernel, stride = pair(args["kernel_size"]), pair(args["stride"])
    padding, extra = _transpose_padding(args)
    hw = [(shape[1 + i] - 1) * stride[i] - 2 * padding[i] + kernel[i] + extra[i] for i in range(2)]
    if min(hw) < 1:
        raise ShapeError(f"transposed convolution output would be {hw[0]}x{hw[1]}")
    return (args["out_channels"], hw[0], hw[1])


def _transpose_macs(args, inputs, out):
    kernel = pair(args["kernel_size"])
    shape = inputs["x"]
    return shape[0] * shape[1] * shape[2] * args["out_channels"] * kernel[0] * kernel[1]


def _build_transpose(args, inputs):
    padding, extra = _transpose_padding(args)
    module = nn.ConvTranspose2d(inputs["x"][0], args["out_channels"], pair(args["kernel_size"]),
                                stride=pair(args["stride"]), padding=padding, output_padding=extra,
                                bias=args["bias"])
    apply_init(module, args["init"])
    return module


register(LayerType(
    name="conv2d_transpose", category="Convolution", title="conv2d transpose", stem="deconv",
    shown=CONV_SHOWN,
    help="Transposed convolution (deconvolution) that upsamples by the stride (nn.ConvTranspose2d).",
    params=(OUT_CHANNELS, KERNEL, Param("stride", "ints", 2, "Upsampling factor.", minimum=1, length=2),
            PADDING, Param("output_padding", "ints", 0, "Extra rows/columns on one side (numeric padding "
                           "only).", minimum=0, length=2),
            BIAS, ACTIVATION, *WEIGHT_PARAMS),
    shape=_transpose_shape, build=_build_transpose, macs=_transpose_macs, has_weights=True))


def _depthwise_shape(args, inputs):
    shape = inputs["x"]
    require_rank("depthwise_conv2d", shape, 3)
    return (shape[0] * args["depth_multiplier"], *conv_output_hw(args, shape))


def _depthwise_macs(args, inputs, out):
    kernel = pair(args["kernel_size"])
    return out[0] * out[1] * out[2] * kernel[0] * kernel[1]


def _build_depthwise(args, inputs):
    channels = inputs["x"][0]
    module = nn.Conv2d(channels, channels * args["depth_multiplier"], pair(args["kernel_size"]),
                       stride=pair(args["stride"]), padding=conv_padding(args),
                       dilation=pair(args["dilation"]), groups=channels, bias=args["bias"])
    apply_init(module, args["init"])
    return module


register(LayerType(
    name="depthwise_conv2d", category="Convolution", title="depthwise conv2d", stem="dwconv",
    shown=WINDOW_SHOWN,
    help="Depthwise convolution: each channel convolved with its own kernels (groups = channels).",
    params=(KERNEL, STRIDE, PADDING, DILATION, MULTIPLIER, BIAS, ACTIVATION, *WEIGHT_PARAMS),
    shape=_depthwise_shape, build=_build_depthwise, macs=_depthwise_macs, has_weights=True))


def _separable_shape(args, inputs):
    require_rank("separable_conv2d", inputs["x"], 3)
    return (args["out_channels"], *conv_output_hw(args, inputs["x"]))


def _separable_macs(args, inputs, out):
    kernel = pair(args["kernel_size"])
    mid = inputs["x"][0] * args["depth_multiplier"]
    return out[1] * out[2] * (mid * kernel[0] * kernel[1] + mid * out[0])


def _build_separable(args, inputs):
    module = modules.SeparableConv2d(
        inputs["x"][0], args["out_channels"], pair(args["kernel_size"]), stride=pair(args["stride"]),
        padding=conv_padding(args), dilation=pair(args["dilation"]),
        depth_multiplier=args["depth_multiplier"], bias=args["bias"])
    apply_init(module, args["init"])
    return module


register(LayerType(
    name="separable_conv2d", category="Convolution", title="separable conv2d", stem="sepconv",
    shown=CONV_SHOWN,
    help="Depthwise convolution followed by a 1x1 pointwise convolution (weights: depthwise.weight, "
    "pointwise.weight).",
    params=(OUT_CHANNELS, KERNEL, STRIDE, PADDING, DILATION, MULTIPLIER, BIAS, ACTIVATION,
            *WEIGHT_PARAMS),
    shape=_separable_shape, build=_build_separable, macs=_separable_macs, has_weights=True))


def _in_plane_shape(args, inputs):
    require_rank("conv2d_in_plane", inputs["x"], 3)
    return (inputs["x"][0], *conv_output_hw(args, inputs["x"]))


def _build_in_plane(args, inputs):
    module = modules.InPlaneConv2d(pair(args["kernel_size"]), stride=pair(args["stride"]),
                                   padding=conv_padding(args), bias=args["bias"])
    apply_init(module, args["init"])
    return module


register(LayerType(
    name="conv2d_in_plane", category="Convolution", title="conv2d in-plane", stem="inplane",
    shown=WINDOW_SHOWN,
    help="The same kernel applied to every channel independently (TF-Slim conv2d_in_plane).",
    params=(KERNEL, STRIDE, PADDING, BIAS, ACTIVATION, *WEIGHT_PARAMS),
    shape=_in_plane_shape, build=_build_in_plane, macs=_depthwise_macs, has_weights=True))
