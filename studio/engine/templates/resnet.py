"""ResNet-18, -34 and -50 (He et al. 2015) as torchvision's, each written with one reusable residual block.

The block ``basic_block`` (18, 34) or ``bottleneck`` (50) has parameters channels, stride and
downsample; ``downsample`` names the block used on the shortcut: ``identity`` or ``projection`` (1x1
convolution with the stride + batch norm, torchvision's ``downsample``). ResNet-18 uses its eight
blocks one by one (``layer1_1`` ... ``layer4_2``); the deeper ones draw each stage as its first block
``layerN_0`` (the one that changes size or channels) and one node repeating the rest, ``layerN``, whose
children ``layerN.layerN_1`` ... keep torchvision's block numbers (``layerN.1`` ...).
"""

from __future__ import annotations

from studio.engine.spec.builder import SpecBuilder
from studio.engine.templates.registry import template

# (stage, channels, stride of its first block)
RESNET18_STAGES = ((1, 64, 1), (2, 128, 2), (3, 256, 2), (4, 512, 2))
# blocks per stage of the deeper ResNets (torchvision's ``layers``)
RESNET34_DEPTHS = (3, 4, 6, 3)
RESNET50_DEPTHS = (3, 4, 6, 3)
BOTTLENECK_EXPANSION = 4  # a bottleneck's output channels over its width


def add_shortcut_blocks(b: SpecBuilder) -> None:
    """Define the two shortcut blocks a residual block chooses between: ``identity``, ``projection``."""
    identity = b.new_block("identity", "Shortcut that passes its input on unchanged (channels and "
                           "stride must match the input).", channels=64, stride=1)
    identity.output("out", identity.input("x"))

    proj = b.new_block("projection", "Shortcut that matches channels and size: 1x1 convolution with the "
                       "stride, then batch norm.", channels=64, stride=1)
    x = proj.input("x")
    x = proj.layer("conv", "conv2d", x, out_channels="$channels", kernel_size=1, stride="$stride",
                   padding=0, bias=False)
    proj.output("out", proj.layer("bn", "batch_norm", x))


def add_residual_blocks(b: SpecBuilder) -> None:
    """Define ``basic_block`` and the two shortcut blocks it chooses between."""
    add_shortcut_blocks(b)
    block = b.new_block("basic_block", "ResNet basic block: two 3x3 convolutions with batch norm and a "
                        "shortcut added before the last ReLU.", channels=64, stride=1, downsample="identity")
    block.defaults(["conv2d"], kernel_size=3, padding=1, bias=False, out_channels="$channels")
    x = block.input("x")
    y = block.layer("conv1", "conv2d", x, stride="$stride")
    y = block.layer("bn1", "batch_norm", y, activation="relu")
    y = block.layer("conv2", "conv2d", y)
    y = block.layer("bn2", "batch_norm", y)
    shortcut = block.block("downsample", "$downsample", x, channels="$channels", stride="$stride")
    y = block.layer("add", "add", [y, shortcut])
    block.output("out", block.layer("relu", "relu", y))


def add_bottleneck_blocks(b: SpecBuilder) -> None:
    """Define ``bottleneck`` (torchvision's ResNet v1.5: the stride on the 3x3 convolution) and its
    shortcut blocks."""
    add_shortcut_blocks(b)
    block = b.new_block("bottleneck", "ResNet bottleneck block: 1x1 convolution to the width, 3x3 with "
                        "the stride, 1x1 to the channels (batch norm after each) and a shortcut added "
                        "before the last ReLU.", width=64, channels=256, stride=1, downsample="identity")
    block.defaults(["conv2d"], bias=False)
    x = block.input("x")
    y = block.layer("conv1", "conv2d", x, out_channels="$width", kernel_size=1, padding=0)
    y = block.layer("bn1", "batch_norm", y, activation="relu")
    y = block.layer("conv2", "conv2d", y, out_channels="$width", kernel_size=3, stride="$stride", padding=1)
    y = block.layer("bn2", "batch_norm", y, activation="relu")
    y = block.layer("conv3", "conv2d", y, out_channels="$channels", kernel_size=1, padding=0)
    y = block.layer("bn3", "batch_norm", y)
    shortcut = block.block("downsample", "$downsample", x, channels="$channels", stride="$stride")
    y = block.layer("add", "add", [y, shortcut])
    block.output("out", block.layer("relu", "relu", y))


def _stem(b: SpecBuilder, input_shape: tuple[int, ...]) -> str:
    """Input, 7x7 stride-2 convolution, batch norm + ReLU and the 3x3 stride-2 max pool."""
    x = b.input("image", list(input_shape))
    x = b.layer("conv1", "conv2d", x, out_channels=64, kernel_size=7, stride=2, padding=3, bias=False)
    x = b.layer("bn1", "batch_norm", x, activation="relu")
    return b.layer("maxpool", "max_pool2d", x, kernel_size=3, stride=2, padding=1)


def _head(b: SpecBuilder, x: str, num_classes: int):
    x = b.layer("avgpool", "global_avg_pool", x)
    b.output("logits", b.layer("fc", "fully_connected", x, out_features=num_classes))
    return b.build()


@template(
    name="resnet18", input_shape=(3, 224, 224),
    help="ResNet-18 as in torchvision: a 7x7 stem, four stages of two residual blocks (one reusable "
    "block used 8 times) and global average pooling (11,689,512 parameters for 1000 classes).")
def resnet18(num_classes: int, input_shape: tuple[int, ...]):
    b = SpecBuilder("resnet18")
    add_residual_blocks(b)
    x = _stem(b, input_shape)
    for stage, channels, stride in RESNET18_STAGES:
        downsample = "projection" if stride != 1 else "identity"
        x = b.block(f"layer{stage}_1", "basic_block", x, channels=channels, stride=stride,
                    downsample=downsample)
        x = b.block(f"layer{stage}_2", "basic_block", x, channels=channels)
    return _head(b, x, num_classes)


@template(
    name="resnet34", input_shape=(3, 224, 224),
    help="ResNet-34 as in torchvision: a 7x7 stem, four stages of 3, 4, 6 and 3 residual blocks (each "
    "stage its first block and one repeated node) and global average pooling (21,797,672 parameters "
    "for 1000 classes).")
def resnet34(num_classes: int, input_shape: tuple[int, ...]):
    b = SpecBuilder("resnet34")
    add_residual_blocks(b)
    x = _stem(b, input_shape)
    for (stage, channels, stride), depth in zip(RESNET18_STAGES, RESNET34_DEPTHS, strict=True):
        downsample = "projection" if stride != 1 else "identity"
        x = b.block(f"layer{stage}_0", "basic_block", x, channels=channels, stride=stride,
                    downsample=downsample)
        x = b.block(f"layer{stage}", "basic_block", x, repeat=depth - 1, channels=channels)
    return _head(b, x, num_classes)


@template(
    name="resnet50", input_shape=(3, 224, 224),
    help="ResNet-50 as in torchvision (v1.5, the stride on the 3x3 convolution): a 7x7 stem, four "
    "stages of 3, 4, 6 and 3 bottleneck blocks (one reusable block: each stage its first use and one "
    "repeated node) and global average pooling (25,557,032 parameters for 1000 classes).")
def resnet50(num_classes: int, input_shape: tuple[int, ...]):
    b = SpecBuilder("resnet50")
    add_bottleneck_blocks(b)
    x = _stem(b, input_shape)
    for (stage, width, stride), depth in zip(RESNET18_STAGES, RESNET50_DEPTHS, strict=True):
        channels = width * BOTTLENECK_EXPANSION
        x = b.block(f"layer{stage}_0", "bottleneck", x, width=width, channels=channels, stride=stride,
                    downsample="projection")
        x = b.block(f"layer{stage}", "bottleneck", x, repeat=depth - 1, width=width, channels=channels)
    return _head(b, x, num_classes)
