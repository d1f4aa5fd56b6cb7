"""ResNet-18 (He et al. 2015) as torchvision's ``resnet18``, written with one reusable residual block.

The block ``basic_block`` has parameters channels, stride and downsample; ``downsample`` names the
block used on the shortcut: ``identity`` or ``projection`` (1x1 convolution with the stride + batch
norm, torchvision's ``downsample``).
"""

from __future__ import annotations

from studio.engine.spec.builder import SpecBuilder
from studio.engine.templates.registry import template

# (stage, channels, stride of its first block)
RESNET18_STAGES = ((1, 64, 1), (2, 128, 2), (3, 256, 2), (4, 512, 2))


def add_residual_blocks(b: SpecBuilder) -> None:
    """Define ``basic_block`` and the two shortcut blocks it chooses between."""
    identity = b.new_block("identity", "Shortcut that passes its input on unchanged (channels and "
                           "stride must match the input).", channels=64, stride=1)
    identity.output("out", identity.input("x"))

    proj = b.new_block("projection", "Shortcut that matches channels and size: 1x1 convolution with the "
                       "stride, then batch norm.", channels=64, stride=1)
    x = proj.input("x")
    x = proj.layer("conv", "conv2d", x, out_channels="$channels", kernel_size=1, stride="$stride",
                   padding=0, bias=False)
    proj.output("out", proj.layer("bn", "batch_norm", x))

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


@template(
    name="resnet18", input_shape=(3, 224, 224),
    help="ResNet-18 as in torchvision: a 7x7 stem, four stages of two residual blocks (one reusable "
    "block used 8 times) and global average pooling (11,689,512 parameters for 1000 classes).")
def resnet18(num_classes: int, input_shape: tuple[int, ...]):
    b = SpecBuilder("resnet18")
    add_residual_blocks(b)
    x = b.input("image", list(input_shape))
    x = b.layer("conv1", "conv2d", x, out_channels=64, kernel_size=7, stride=2, padding=3, bias=False)
    x = b.layer("bn1", "batch_norm", x, activation="relu")
    x = b.layer("maxpool", "max_pool2d", x, kernel_size=3, stride=2, padding=1)
    for stage, channels, stride in RESNET18_STAGES:
        downsample = "projection" if stride != 1 else "identity"
        x = b.block(f"layer{stage}_1", "basic_block", x, channels=channels, stride=stride,
                    downsample=downsample)
        x = b.block(f"layer{stage}_2", "basic_block", x, channels=channels)
    x = b.layer("avgpool", "global_avg_pool", x)
    x = b.layer("fc", "fully_connected", x, out_features=num_classes)
    b.output("logits", x)
    return b.build()
