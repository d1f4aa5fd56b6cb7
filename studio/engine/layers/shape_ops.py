"""Layers that move or resize values without weights: upsample, pad, permute, transpose, channel
shuffle and select."""

from __future__ import annotations

import math

from torch import nn

from studio.engine.errors import ShapeError
from studio.engine.layers import modules
from studio.engine.layers.registry import LayerType, Param, pair, register, require_rank

# ---- upsample -------------------------------------------------------------------------------------


def _upsample_shape(args, inputs):
    shape = inputs["x"]
    require_rank("upsample", shape, 3)
    if args["size"] is not None:
        return (shape[0], *pair(args["size"]))
    if args["scale_factor"] is None:
        raise ShapeError("upsample needs a scale_factor or a size")
    hw = [math.floor(size * args["scale_factor"]) for size in shape[1:]]
    if min(hw) < 1:
        raise ShapeError(f"upsample by {args['scale_factor']:g} leaves no pixels of {list(shape)}")
    return (shape[0], *hw)


def _build_upsample(args, inputs):
    size = pair(args["size"]) if args["size"] is not None else None
    bilinear = args["mode"] == "bilinear"
    return nn.Upsample(size=size, scale_factor=None if size else float(args["scale_factor"]),
                       mode=args["mode"], align_corners=args["align_corners"] if bilinear else None)


register(LayerType(
    name="upsample", category="Shape", stem="up", shown=("scale_factor", "mode"),
    help="Resizes [C, H, W] by a scale factor or to a size (nn.Upsample, F.interpolate): nearest "
    "repeats pixels, bilinear interpolates.",
    params=(Param("scale_factor", "float", 2.0, "Multiplies height and width (the size is rounded down).",
                  minimum=0.0, optional=True),
            Param("size", "ints", None, "Output height and width instead of a scale factor (empty: use "
                  "the scale factor).", minimum=1, length=2, optional=True),
            Param("mode", "choice", "nearest", "How new pixels are made.", choices=("nearest", "bilinear")),
            Param("align_corners", "bool", False, "Bilinear only: align the corner pixels of input and "
                  "output.")),
    shape=_upsample_shape, build=_build_upsample,
    macs=lambda args, inputs, out: 4 * math.prod(out) if args["mode"] == "bilinear" else 0))

# ---- pad ------------------------------------------------------------------------------------------


def _pad_shape(args, inputs):
    shape = inputs["x"]
    require_rank("pad", shape, 3)
    left, right, top, bottom = _padding(args)
    if args["mode"] == "reflect" and (max(left, right) >= shape[2] or max(top, bottom) >= shape[1]):
        raise ShapeError(f"reflect padding must be smaller than the input ({shape[1]}x{shape[2]})")
    return (shape[0], shape[1] + top + bottom, shape[2] + left + right)


def _padding(args) -> tuple[int, int, int, int]:
    value = args["padding"]
    items = list(value) if isinstance(value, list | tuple) else [value]
    left, right, top, bottom = (items * 4)[:4] if len(items) == 1 else items
    return int(left), int(right), int(top), int(bottom)


def _build_pad(args, inputs):
    padding = _padding(args)
    if args["mode"] == "reflect":
        return nn.ReflectionPad2d(padding)
    if args["mode"] == "replicate":
        return nn.ReplicationPad2d(padding)
    return nn.ConstantPad2d(padding, args["value"])


register(LayerType(
    name="pad", category="Shape", shown=("padding",),
    help="Pads the height and width of [C, H, W] (nn.ConstantPad2d, ReflectionPad2d, "
    "ReplicationPad2d).",
    params=(Param("padding", "ints", 1, "Pixels added: left, right, top, bottom (or one number for all).",
                  minimum=0, length=4),
            Param("mode", "choice", "constant", "constant: a fixed value; reflect: mirror the edge "
                  "(not repeating it); replicate: repeat the edge.",
                  choices=("constant", "reflect", "replicate")),
            Param("value", "float", 0.0, "The fill value of constant padding.")),
    shape=_pad_shape, build=_build_pad))

# ---- permute, transpose, channel shuffle, select --------------------------------------------------


def _dims(args) -> list[int]:
    value = args["dims"]
    return [int(d) for d in value] if isinstance(value, list | tuple) else [int(value)]


def _permute_shape(args, inputs):
    shape, dims = inputs["x"], _dims(args)
    if sorted(dims) != list(range(len(shape))):
        raise ShapeError(f"permute dims {dims} must order the {len(shape)} dimensions of "
                         f"{list(shape)} (each of 0..{len(shape) - 1} once)")
    return tuple(shape[d] for d in dims)


register(LayerType(
    name="permute", category="Shape", shown=("dims",),
    help="Reorders the dimensions of each sample: dims [1, 2, 0] makes [C, H, W] channels-last "
    "[H, W, C], [2, 0, 1] back (torch.permute; the batch stays first).",
    params=(Param("dims", "ints", [1, 2, 0], "The new order of a sample's dimensions (0 = first).",
                  minimum=0),),
    shape=_permute_shape, build=lambda args, inputs: modules.Permute(_dims(args))))


def _transpose_shape(args, inputs):
    shape, dims = list(inputs["x"]), (args["dim0"], args["dim1"])
    if max(dims) >= len(shape):
        raise ShapeError(f"transpose dims {list(dims)} are out of range for {shape}")
    shape[dims[0]], shape[dims[1]] = shape[dims[1]], shape[dims[0]]
    return tuple(shape)


register(LayerType(
    name="transpose", category="Shape", shown=("dim0", "dim1"),
    help="Swaps two dimensions of each sample: [tokens, dim] -> [dim, tokens] (torch.transpose).",
    params=(Param("dim0", "int", 0, "One dimension of a sample (0 = first).", minimum=0),
            Param("dim1", "int", 1, "The other dimension.", minimum=0)),
    shape=_transpose_shape, build=lambda args, inputs: modules.Transpose(args["dim0"], args["dim1"])))


def _shuffle_shape(args, inputs):
    shape = inputs["x"]
    if not shape or shape[0] % args["groups"]:
        raise ShapeError(f"channel_shuffle: groups {args['groups']} must divide the channels of "
                         f"{list(shape)}")
    return shape


register(LayerType(
    name="channel_shuffle", category="Shape", title="channel shuffle", stem="shuffle", shown=("groups",),
    help="Interleaves the channels of its groups so grouped convolutions mix (ShuffleNet's "
    "channel_shuffle).",
    params=(Param("groups", "int", 2, "Number of channel groups (must divide the channels).", minimum=1),),
    shape=_shuffle_shape, build=lambda args, inputs: modules.ChannelShuffle(args["groups"])))


def _select_shape(args, inputs):
    shape, dim, index = inputs["x"], args["dim"], args["index"]
    if dim >= len(shape):
        raise ShapeError(f"select dim {dim} is out of range for {list(shape)}")
    if not -shape[dim] <= index < shape[dim]:
        raise ShapeError(f"select index {index} is out of range for size {shape[dim]}")
    return (*shape[:dim], *shape[dim + 1:])


register(LayerType(
    name="select", category="Shape", shown=("index",),
    help="Takes one index along a dimension of each sample, dropping the dimension: index 0 of "
    "[tokens, dim] is ViT's class token read-out, [dim] (torch.select).",
    params=(Param("dim", "int", 0, "Dimension of a sample (0 = first).", minimum=0),
            Param("index", "int", 0, "Position taken (negative: from the end).")),
    shape=_select_shape, build=lambda args, inputs: modules.Select(args["dim"], args["index"])))
