"""The layers a vision transformer starts with: patch embedding, class token, position embedding."""

from __future__ import annotations

import math

from studio.engine.errors import ShapeError
from studio.engine.layers import modules
from studio.engine.layers.common import BIAS, WEIGHT_PARAMS, apply_init
from studio.engine.layers.registry import LayerType, Param, pair, register, require_rank


def _patch_shape(args, inputs):
    shape = inputs["x"]
    require_rank("patch_embedding", shape, 3)
    patch = pair(args["patch_size"])
    if shape[1] % patch[0] or shape[2] % patch[1]:
        raise ShapeError(f"patch_embedding: patches of {patch[0]}x{patch[1]} must tile the "
                         f"{shape[1]}x{shape[2]} image")
    return ((shape[1] // patch[0]) * (shape[2] // patch[1]), args["embed_dim"])


def _patch_macs(args, inputs, out):
    return math.prod(out) * inputs["x"][0] * math.prod(pair(args["patch_size"]))


def _build_patch(args, inputs):
    module = modules.PatchEmbedding(inputs["x"][0], args["embed_dim"], pair(args["patch_size"]),
                                    bias=args["bias"])
    apply_init(module, args["init"])
    return module


register(LayerType(
    name="patch_embedding", category="Convolution", title="patch embedding", stem="patch",
    shown=("embed_dim", "patch_size"),
    help="Cuts [C, H, W] into patches and projects each to a token: [(H/p)*(W/p), embed_dim] (a "
    "convolution with kernel = stride = patch size, then flattened; torchvision ViT's conv_proj, "
    "parameters conv_proj.weight and conv_proj.bias).",
    params=(Param("embed_dim", "int", 768, "Size of each token.", minimum=1),
            Param("patch_size", "ints", 16, "Patch height and width.", minimum=1, length=2),
            BIAS, *WEIGHT_PARAMS),
    shape=_patch_shape, build=_build_patch, macs=_patch_macs, has_weights=True))


def _tokens_shape(name):
    def rule(args, inputs):
        require_rank(name, inputs["x"], 2)
        tokens, dim = inputs["x"]
        return (tokens + 1, dim) if name == "class_token" else (tokens, dim)
    return rule


register(LayerType(
    name="class_token", category="Dense", title="class token", stem="cls",
    help="Prepends a learned token to the tokens: [N, D] -> [N + 1, D] (parameter class_token of "
    "shape [1, 1, D], zeros at first, as torchvision ViT's class_token).",
    shape=_tokens_shape("class_token"), has_weights=True,
    build=lambda args, inputs: modules.ClassToken(inputs["x"][1])))

register(LayerType(
    name="position_embedding", category="Dense", title="position embedding", stem="pos",
    help="Adds a learned embedding per token position: [N, D] + pos_embedding (parameter "
    "pos_embedding of shape [1, N, D], as torchvision ViT's encoder.pos_embedding).",
    shape=_tokens_shape("position_embedding"), has_weights=True,
    build=lambda args, inputs: modules.PositionEmbedding(*inputs["x"])))
