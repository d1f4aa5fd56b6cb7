"""ConvNeXt-Tiny (Liu et al. 2022) as torchvision's ``convnext_tiny``, drawn with blocks.

A 4x4 stride-4 "patchify" stem with layer norm, then four stages of 3, 3, 9 and 3 ConvNeXt blocks at
96, 192, 384 and 768 channels, a ``downsample`` (layer norm, 2x2 stride-2 convolution) between
stages. The block ``cn_block``: 7x7 depthwise convolution, channels-last layer norm, a 4x wide MLP
with GELU, a learned per-channel layer scale and stochastic depth (probability growing from 0 to 0.1
over the 18 blocks; the identity in eval) added to the input. Each stage is one node ``stageN``
stacking its blocks (the probability varies), children ``stageN.stageN_1`` ...
"""

from __future__ import annotations

from studio.engine.spec.builder import SpecBuilder
from studio.engine.spec.model import ModelSpec
from studio.engine.templates.registry import template
from studio.engine.templates.stages import add_stage

TINY_STAGES = ((96, 3), (192, 3), (384, 9), (768, 3))  # (channels, blocks)
EPS = 1e-6  # every layer norm's
STOCHASTIC_DEPTH = 0.1  # the last block's probability, reached linearly
LAYER_SCALE = 1e-6  # the layer scale's first value


def add_convnext_blocks(b: SpecBuilder) -> None:
    """Define ``cn_block`` and ``downsample``."""
    block = b.new_block("cn_block", "ConvNeXt block: 7x7 depthwise convolution, layer norm over the "
                        "channels, 1x1 MLP to the hidden channels (GELU) and back, a learned per-channel "
                        "scale and stochastic depth, added to the input.", channels=96, hidden=384,
                        drop=0.0)
    x = block.input("x")
    y = block.layer("depthwise", "depthwise_conv2d", x, kernel_size=7, padding=3, bias=True)
    y = block.layer("to_channels_last", "permute", y, dims=[1, 2, 0])
    y = block.layer("norm", "layer_norm", y, eps=EPS)
    y = block.layer("fc1", "fully_connected", y, out_features="$hidden", activation="gelu")
    y = block.layer("fc2", "fully_connected", y, out_features="$channels")
    y = block.layer("to_channels_first", "permute", y, dims=[2, 0, 1])
    y = block.layer("scale", "layer_scale", y, init_value=LAYER_SCALE)
    y = block.layer("drop_path", "stochastic_depth", y, p="$drop")
    block.output("out", block.layer("add", "add", [y, x]))

    down = b.new_block("downsample", "Between stages: layer norm over the channels, then a 2x2 "
                       "stride-2 convolution to the next stage's channels.", channels=192)
    y = down.layer("norm", "layer_norm", down.input("x"), layout="channels_first", eps=EPS)
    down.output("out", down.layer("conv", "conv2d", y, out_channels="$channels", kernel_size=2,
                                  stride=2, padding=0))


@template(
    name="convnext_tiny", input_shape=(3, 224, 224),
    help="ConvNeXt-Tiny as in torchvision: a 4x4 patchify stem, four stages of 3, 3, 9 and 3 ConvNeXt "
    "blocks (one block, each stage one stacked node) with downsampling between them, global average "
    "pooling and layer norm (28,589,128 parameters for 1000 classes).")
def convnext_tiny(num_classes: int, input_shape: tuple[int, ...]) -> ModelSpec:
    b = SpecBuilder("convnext_tiny")
    add_convnext_blocks(b)
    x = b.input("image", list(input_shape))
    x = b.layer("conv1", "conv2d", x, out_channels=TINY_STAGES[0][0], kernel_size=4, stride=4, padding=0)
    x = b.layer("norm1", "layer_norm", x, layout="channels_first", eps=EPS)
    total, done = sum(blocks for _, blocks in TINY_STAGES), 0
    for stage, (channels, blocks) in enumerate(TINY_STAGES, start=1):
        uses = [dict(channels=channels, hidden=4 * channels,
                     drop=STOCHASTIC_DEPTH * (done + index) / (total - 1)) for index in range(blocks)]
        x = add_stage(b, f"stage{stage}", "cn_block", x, uses)
        done += blocks
        if stage < len(TINY_STAGES):
            x = b.block(f"downsample{stage}", "downsample", x, channels=TINY_STAGES[stage][0])
    x = b.layer("avgpool", "global_avg_pool", x)
    x = b.layer("norm", "layer_norm", x, eps=EPS)
    b.output("logits", b.layer("fc", "fully_connected", x, out_features=num_classes))
    return b.build()
