"""Squeeze-and-excitation (torchvision's) and multi-head self-attention over tokens."""

from __future__ import annotations

from studio.engine.errors import ShapeError
from studio.engine.layers import modules
from studio.engine.layers.registry import LayerType, Param, register, require_rank

GATES = tuple(modules.SqueezeExcitation.kinds)


def _se_shape(args, inputs):
    require_rank("squeeze_excitation", inputs["x"], 3)
    return inputs["x"]


def _se_macs(args, inputs, out):
    channels, height, width = inputs["x"]
    return 2 * channels * args["squeeze_channels"] + 2 * channels * height * width  # fcs, pool and scale


register(LayerType(
    name="squeeze_excitation", category="Convolution", title="squeeze-excitation", stem="se",
    shown=("squeeze_channels",),
    help="Squeeze-and-excitation: each channel of [C, H, W] scaled by a gate computed from all "
    "channels' means: x * scale_activation(fc2(squeeze_activation(fc1(avgpool(x))))), fc1 and fc2 1x1 "
    "convolutions (torchvision.ops.SqueezeExcitation; its activation is squeeze_activation here; "
    "parameters fc1.weight, fc1.bias, fc2.weight, fc2.bias).",
    params=(Param("squeeze_channels", "int", 16, "Channels of the bottleneck between fc1 and fc2.",
                  minimum=1),
            Param("squeeze_activation", "choice", "relu", "Activation after fc1, torchvision's "
                  "'activation' (MobileNetV3: relu, EfficientNet: silu).", choices=GATES),
            Param("scale_activation", "choice", "sigmoid", "The gate after fc2 (MobileNetV3: "
                  "hardsigmoid).", choices=GATES)),
    shape=_se_shape, macs=_se_macs, has_weights=True,
    build=lambda args, inputs: modules.SqueezeExcitation(
        inputs["x"][0], args["squeeze_channels"], args["squeeze_activation"], args["scale_activation"])))


def _attention_shape(args, inputs):
    shape = inputs["x"]
    require_rank("multi_head_attention", shape, 2)
    if shape[1] % args["num_heads"]:
        raise ShapeError(f"multi_head_attention: num_heads {args['num_heads']} must divide the "
                         f"embedding size {shape[1]}")
    return shape


def _attention_macs(args, inputs, out):
    tokens, dim = inputs["x"]
    return 4 * tokens * dim * dim + 2 * tokens * tokens * dim  # q, k, v and out projections; scores, sums


register(LayerType(
    name="multi_head_attention", category="Dense", title="multi-head attention", stem="attn",
    shown=("num_heads",),
    help="Multi-head self-attention over [tokens, dim] (nn.MultiheadAttention, batch_first, query = "
    "key = value; the attention output only). Parameters in_proj_weight, in_proj_bias, "
    "out_proj.weight, out_proj.bias, as torchvision ViT's self_attention.",
    params=(Param("num_heads", "int", 8, "Number of attention heads (must divide dim).", minimum=1),
            Param("dropout", "float", 0.0, "Dropout on the attention weights while training.",
                  minimum=0.0, maximum=1.0)),
    shape=_attention_shape, macs=_attention_macs, has_weights=True,
    build=lambda args, inputs: modules.SelfAttention(inputs["x"][1], args["num_heads"],
                                                     dropout=args["dropout"])))
