"""MobileNetV2 (Sandler et al. 2018) as torchvision's ``mobilenet_v2`` (width 1.0), drawn with blocks.

Each inverted residual block expands with a 1x1 convolution (ReLU6), filters with a 3x3 depthwise
convolution (ReLU6) and projects back linearly with a 1x1 convolution, batch norm after each. The first
block of a stage changes channels or size and has no shortcut (``bottleneck``); the others add their
input (``inverted_residual``, one node repeated per stage); the very first one does not expand
(``separable``, expansion 1). Stage ``stageN`` is drawn as ``stageN_0`` and, when it has more blocks,
the node ``stageN`` repeating the rest.
"""

from __future__ import annotations

from studio.engine.spec.builder import GraphBuilder, SpecBuilder
from studio.engine.templates.registry import template

# (stage, expansion t, channels c, blocks n, stride s of the first block): the paper's Table 2
MOBILENET_V2_STAGES = ((1, 1, 16, 1, 1), (2, 6, 24, 2, 2), (3, 6, 32, 3, 2), (4, 6, 64, 4, 2),
                       (5, 6, 96, 3, 1), (6, 6, 160, 3, 2), (7, 6, 320, 1, 1))
STEM_CHANNELS = 32
LAST_CHANNELS = 1280


def _depthwise_project(g: GraphBuilder, x: str, stride) -> str:
    """3x3 depthwise convolution + batch norm + ReLU6, then the linear 1x1 projection + batch norm."""
    y = g.layer("depthwise", "depthwise_conv2d", x, kernel_size=3, stride=stride, padding=1, bias=False)
    y = g.layer("depthwise_bn", "batch_norm", y, activation="relu6")
    y = g.layer("project", "conv2d", y, out_channels="$channels", kernel_size=1, padding=0, bias=False)
    return g.layer("project_bn", "batch_norm", y)


def _expand(g: GraphBuilder, x: str) -> str:
    y = g.layer("expand", "conv2d", x, out_channels="$hidden", kernel_size=1, padding=0, bias=False)
    return g.layer("expand_bn", "batch_norm", y, activation="relu6")


def add_inverted_residual_blocks(b: SpecBuilder) -> None:
    """Define ``separable``, ``bottleneck`` and ``inverted_residual``."""
    separable = b.new_block("separable", "MobileNetV2 block with expansion 1: 3x3 depthwise convolution "
                            "(ReLU6) and a linear 1x1 projection, batch norm after each.",
                            channels=16, stride=1)
    x = separable.input("x")
    separable.output("out", _depthwise_project(separable, x, "$stride"))

    bottleneck = b.new_block("bottleneck", "MobileNetV2 block without shortcut (the first of a stage: it "
                             "changes channels or size): 1x1 expansion to the hidden channels (ReLU6), "
                             "3x3 depthwise convolution with the stride (ReLU6), linear 1x1 projection.",
                             channels=24, hidden=96, stride=1)
    x = bottleneck.input("x")
    bottleneck.output("out", _depthwise_project(bottleneck, _expand(bottleneck, x), "$stride"))

    residual = b.new_block("inverted_residual", "MobileNetV2 inverted residual block: 1x1 expansion to "
                           "the hidden channels (ReLU6), 3x3 depthwise convolution (ReLU6), linear 1x1 "
                           "projection back to the input's channels, added to the input.",
                           channels=24, hidden=144)
    x = residual.input("x")
    y = _depthwise_project(residual, _expand(residual, x), 1)
    residual.output("out", residual.layer("add", "add", [y, x]))


@template(
    name="mobilenet_v2", input_shape=(3, 224, 224),
    help="MobileNetV2 as in torchvision: a 3x3 stem, 17 inverted residual blocks in seven stages (each "
    "stage its first block and one repeated node), a 1x1 convolution to 1280 channels, global "
    "average pooling and dropout (3,504,872 parameters for 1000 classes).")
def mobilenet_v2(num_classes: int, input_shape: tuple[int, ...]):
    b = SpecBuilder("mobilenet_v2")
    b.defaults(["conv2d"], bias=False)
    add_inverted_residual_blocks(b)
    x = b.input("image", list(input_shape))
    x = b.layer("conv1", "conv2d", x, out_channels=STEM_CHANNELS, kernel_size=3, stride=2, padding=1)
    x = b.layer("bn1", "batch_norm", x, activation="relu6")
    channels = STEM_CHANNELS
    for stage, expansion, out_channels, blocks, stride in MOBILENET_V2_STAGES:
        if expansion == 1:
            x = b.block(f"stage{stage}_0", "separable", x, channels=out_channels, stride=stride)
        else:
            x = b.block(f"stage{stage}_0", "bottleneck", x, channels=out_channels,
                        hidden=channels * expansion, stride=stride)
        if blocks > 1:
            x = b.block(f"stage{stage}", "inverted_residual", x, repeat=blocks - 1, channels=out_channels,
                        hidden=out_channels * expansion)
        channels = out_channels
    x = b.layer("conv_last", "conv2d", x, out_channels=LAST_CHANNELS, kernel_size=1, padding=0)
    x = b.layer("bn_last", "batch_norm", x, activation="relu6")
    x = b.layer("avgpool", "global_avg_pool", x)
    x = b.layer("dropout", "dropout", x, p=0.2)
    x = b.layer("fc", "fully_connected", x, out_features=num_classes)
    b.output("logits", x)
    return b.build()
