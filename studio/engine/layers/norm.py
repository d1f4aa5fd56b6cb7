"""Layer norm (channels-last, as in ViT, and channels-first, as ConvNeXt's LayerNorm2d) and group norm."""

from __future__ import annotations

import math

from torch import nn

from studio.engine.errors import ShapeError
from studio.engine.layers import modules
from studio.engine.layers.registry import LayerType, Param, register, require_rank

EPS = Param("eps", "float", 1e-5, "Added to the variance for stability (torchvision's ViT and "
            "ConvNeXt use 1e-6).", minimum=0.0)
AFFINE = Param("affine", "bool", True, "Learn a scale (weight) and shift (bias) per channel.")
NORM_BIAS = Param("bias", "bool", True, "Learn the shift (bias) too, when affine.")


def _per_element(args, inputs, out):
    return math.prod(out)


def _layer_norm_shape(args, inputs):
    shape = inputs["x"]
    if args["layout"] == "channels_first":
        require_rank("layer_norm (channels_first)", shape, 3)
    elif not shape:
        raise ShapeError("layer_norm needs a channel dimension")
    return shape


def _build_layer_norm(args, inputs):
    shape = inputs["x"]
    first = args["layout"] == "channels_first"
    cls = modules.LayerNorm2d if first else nn.LayerNorm
    return cls(shape[0] if first else shape[-1], eps=args["eps"], elementwise_affine=args["affine"],
               bias=args["bias"])


register(LayerType(
    name="layer_norm", category="Normalisation", title="layer norm", stem="ln", shown=("layout",),
    help="Layer normalisation over the channels of each position. channels_last: over the last "
    "dimension, [tokens, dim] as in ViT (nn.LayerNorm); channels_first: over C of [C, H, W], as "
    "ConvNeXt's LayerNorm2d. Parameters weight and bias, one per channel.",
    params=(Param("layout", "choice", "channels_last", "Where the channels are: the last dimension "
                  "(channels_last) or the first of [C, H, W] (channels_first).",
                  choices=("channels_last", "channels_first")),
            EPS, AFFINE, NORM_BIAS),
    shape=_layer_norm_shape, build=_build_layer_norm, macs=_per_element, has_weights=True))


def _group_norm_shape(args, inputs):
    shape = inputs["x"]
    if not shape:
        raise ShapeError("group_norm needs a channel dimension")
    if shape[0] % args["num_groups"]:
        raise ShapeError(f"group_norm: num_groups {args['num_groups']} must divide the {shape[0]} "
                         "channels")
    return shape


register(LayerType(
    name="group_norm", category="Normalisation", title="group norm", stem="gn", shown=("num_groups",),
    help="Group normalisation: the channels (first dimension) split into groups, each normalised over "
    "its channels and positions (nn.GroupNorm; parameters weight and bias, one per channel).",
    params=(Param("num_groups", "int", 32, "Number of channel groups (must divide the channels).",
                  minimum=1),
            EPS, AFFINE),
    shape=_group_norm_shape, macs=_per_element, has_weights=True,
    build=lambda args, inputs: nn.GroupNorm(args["num_groups"], inputs["x"][0], eps=args["eps"],
                                            affine=args["affine"])))
