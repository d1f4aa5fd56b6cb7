"""ViT-B/16 (Dosovitskiy et al. 2020) as torchvision's ``vit_b_16``, drawn with one encoder block.

The image is cut into 16x16 patches, each projected to a 768-wide token; a learned class token is
prepended and a learned position embedding added (one per token, so its length follows the image
size: 197 at torchvision's 224x224). Twelve pre-norm ``encoder_block`` uses (one repeated node,
``encoder``) apply self-attention with 12 heads and a 3072-wide GELU MLP, each added to its input;
the class token's final layer-normed value feeds the linear head. (torchvision's dropouts are 0 by
default and are left out.)
"""

from __future__ import annotations

from studio.engine.spec.builder import SpecBuilder
from studio.engine.spec.model import ModelSpec
from studio.engine.templates.registry import template

PATCH = 16
DIM, MLP_DIM, HEADS, LAYERS = 768, 3072, 12, 12  # ViT-B
EPS = 1e-6  # every layer norm's


def add_encoder_block(b: SpecBuilder) -> None:
    """Define ``encoder_block`` (torchvision's EncoderBlock)."""
    block = b.new_block("encoder_block", "Transformer encoder block (pre-norm): layer norm, multi-head "
                        "self-attention, added to the input; layer norm, an MLP to the hidden size (GELU) "
                        "and back, added.", dim=DIM, mlp=MLP_DIM, heads=HEADS)
    x = block.input("x")
    y = block.layer("attn", "multi_head_attention", block.layer("ln1", "layer_norm", x, eps=EPS),
                    num_heads="$heads")
    x = block.layer("add1", "add", [y, x])
    y = block.layer("mlp1", "fully_connected", block.layer("ln2", "layer_norm", x, eps=EPS),
                    out_features="$mlp", activation="gelu")
    y = block.layer("mlp2", "fully_connected", y, out_features="$dim")
    block.output("out", block.layer("add2", "add", [y, x]))


@template(
    name="vit_b_16", input_shape=(3, 224, 224),
    help="ViT-B/16 as in torchvision: 16x16 patches to 768-wide tokens, a class token and position "
    "embedding, 12 transformer encoder blocks (one repeated node), layer norm and a linear head on the "
    "class token (86,567,656 parameters for 1000 classes at 224x224; the image sides must be multiples "
    "of 16, and the position embedding's length follows the image size).")
def vit_b_16(num_classes: int, input_shape: tuple[int, ...]) -> ModelSpec:
    b = SpecBuilder("vit_b_16")
    add_encoder_block(b)
    x = b.input("image", list(input_shape))
    x = b.layer("patch", "patch_embedding", x, embed_dim=DIM, patch_size=PATCH)
    x = b.layer("pos", "position_embedding", b.layer("cls", "class_token", x))
    x = b.block("encoder", "encoder_block", x, repeat=LAYERS)
    x = b.layer("token", "select", b.layer("ln", "layer_norm", x, eps=EPS), index=0)
    b.output("logits", b.layer("head", "fully_connected", x, out_features=num_classes))
    return b.build()
