"""EfficientNet-B0 (Tan and Le 2019) as torchvision's ``efficientnet_b0``, drawn with blocks.

Its MBConv block is MobileNetV3's inverted residual block (see ``mobilenet_v3``) with SiLU throughout,
squeeze-and-excitation in every block (SiLU, sigmoid gate; squeeze channels a quarter of the block's
input channels) and, on the shortcut, stochastic depth whose probability grows from 0 to 0.2 over the
16 blocks (the identity in eval). Each of the seven stages is its first block ``stageN_0`` (``mbconv``,
no shortcut) and, when it has more, one node ``stageN`` stacking the rest (``mbconv_residual``), so
the stages and block numbers are torchvision's ``features.N.i``.
"""

from __future__ import annotations

from typing import Any

from studio.engine.spec.builder import SpecBuilder
from studio.engine.spec.model import ModelSpec
from studio.engine.templates.mobilenet_v3 import add_bneck_blocks, add_part_blocks, add_stages, block_args
from studio.engine.templates.registry import template

# torchvision's MBConvConfig for B0: (expansion, kernel, stride, input channels, output channels, blocks)
B0_STAGES = ((1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
             (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1))
LAST_CHANNELS = 1280
STOCHASTIC_DEPTH = 0.2  # the last block's probability, reached linearly


@template(
    name="efficientnet_b0", input_shape=(3, 224, 224),
    help="EfficientNet-B0 as in torchvision: a 3x3 stem, 16 MBConv blocks with squeeze-and-excitation "
    "and SiLU in seven stages (each its first block and one stacked node), a 1x1 convolution to 1280 "
    "channels, global average pooling and dropout (5,288,548 parameters for 1000 classes).")
def efficientnet_b0(num_classes: int, input_shape: tuple[int, ...]) -> ModelSpec:
    eps = 1e-5
    b = SpecBuilder("efficientnet_b0")
    add_part_blocks(b, eps, "silu", "sigmoid")
    add_bneck_blocks(b, eps, "EfficientNet MBConv", "mbconv", "mbconv_residual", drop_path=True)
    x = b.input("image", list(input_shape))
    x = b.layer("conv1", "conv2d", x, out_channels=B0_STAGES[0][3], kernel_size=3, stride=2, padding=1,
                bias=False)
    x = b.layer("bn1", "batch_norm", x, eps=eps, activation="silu")
    total = sum(stage[5] for stage in B0_STAGES)
    blocks: list[tuple[dict[str, Any], int, bool]] = []
    for expansion, kernel, stride, in_channels, out_channels, count in B0_STAGES:
        for index in range(count):
            channels = in_channels if index == 0 else out_channels
            args = block_args(channels, kernel, channels * expansion, out_channels, True, "silu",
                              max(1, channels // 4))
            if index:
                args["drop"] = STOCHASTIC_DEPTH * len(blocks) / total
            blocks.append((args, stride if index == 0 else 1, index > 0))
    x = add_stages(b, x, blocks, "mbconv", "mbconv_residual")
    x = b.layer("conv_last", "conv2d", x, out_channels=LAST_CHANNELS, kernel_size=1, padding=0, bias=False)
    x = b.layer("bn_last", "batch_norm", x, eps=eps, activation="silu")
    x = b.layer("avgpool", "global_avg_pool", x)
    x = b.layer("dropout", "dropout", x, p=0.2)
    b.output("logits", b.layer("fc", "fully_connected", x, out_features=num_classes))
    return b.build()
