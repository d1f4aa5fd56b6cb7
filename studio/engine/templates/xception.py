"""Xception (Chollet 2017) as in Keras' ``keras.applications.Xception``: entry, middle and exit flow.

The entry-flow residual block is one definition used three times (128, 256, 728 channels), the middle
flow one block repeated 8 times, the exit flow one block. Separable convolutions have no bias and batch
norm uses Keras' epsilon 1e-3 and momentum 0.99 (0.01 in PyTorch's convention). The leading ReLU of
``entry_flow_1`` follows a ReLU already, so it changes nothing, exactly as in Keras.
"""

from __future__ import annotations

from studio.engine.spec.builder import GraphBuilder, SpecBuilder
from studio.engine.templates.registry import template


def _sepconv_bn(g: GraphBuilder, name: str, x: str, channels, activation: str = "none") -> str:
    x = g.layer(name, "separable_conv2d", x, out_channels=channels)
    return g.layer(f"{name}_bn", "batch_norm", x, activation=activation)


def _residual(g: GraphBuilder, x: str, channels) -> str:
    """Keras' strided 1x1 convolution + batch norm on the shortcut of a downsampling block."""
    r = g.layer("residual", "conv2d", x, out_channels=channels, kernel_size=1, stride=2, padding=0,
                bias=False)
    return g.layer("residual_bn", "batch_norm", r)


def add_flow_blocks(b: SpecBuilder) -> None:
    """Define the ``entry_flow``, ``middle_flow`` and ``exit_flow`` blocks."""
    entry = b.new_block("entry_flow", "Xception entry-flow block: two separable convolutions and a "
                        "strided max pool, with a strided 1x1 convolution on the shortcut.", channels=128)
    x = entry.input("x")
    shortcut = _residual(entry, x, "$channels")
    y = entry.layer("relu1", "relu", x)
    y = _sepconv_bn(entry, "sepconv1", y, "$channels", "relu")
    y = _sepconv_bn(entry, "sepconv2", y, "$channels")
    y = entry.layer("pool", "max_pool2d", y, kernel_size=3, stride=2, padding="same")
    entry.output("out", entry.layer("add", "add", [y, shortcut]))

    middle = b.new_block("middle_flow", "Xception middle-flow block: three ReLU + separable convolution "
                         "+ batch norm steps added to the input.", channels=728)
    x = middle.input("x")
    y = middle.layer("relu1", "relu", x)
    y = _sepconv_bn(middle, "sepconv1", y, "$channels", "relu")
    y = _sepconv_bn(middle, "sepconv2", y, "$channels", "relu")
    y = _sepconv_bn(middle, "sepconv3", y, "$channels")
    middle.output("out", middle.layer("add", "add", [y, x]))

    exit_ = b.new_block("exit_flow", "Xception exit flow: a downsampling residual block (728, 1024) then "
                        "separable convolutions to 1536 and 2048 channels.")
    x = exit_.input("x")
    shortcut = _residual(exit_, x, 1024)
    y = exit_.layer("relu1", "relu", x)
    y = _sepconv_bn(exit_, "sepconv1", y, 728, "relu")
    y = _sepconv_bn(exit_, "sepconv2", y, 1024)
    y = exit_.layer("pool", "max_pool2d", y, kernel_size=3, stride=2, padding="same")
    y = exit_.layer("add", "add", [y, shortcut])
    y = _sepconv_bn(exit_, "sepconv3", y, 1536, "relu")
    y = _sepconv_bn(exit_, "sepconv4", y, 2048, "relu")
    exit_.output("out", y)


@template(
    name="xception", input_shape=(3, 299, 299),
    help="Xception as in Keras: entry flow (three uses of one residual block: 128, 256, 728 "
    "channels), middle flow (one block repeated 8 times) and exit flow (22,910,480 parameters "
    "and batch-norm statistics for 1000 classes; 299x299 or 149x149 input).")
def xception(num_classes: int, input_shape: tuple[int, ...]):
    b = SpecBuilder("xception")
    b.defaults(["separable_conv2d"], kernel_size=3, padding="same", bias=False)
    b.defaults(["batch_norm"], eps=1e-3, momentum=0.01)
    add_flow_blocks(b)
    x = b.input("image", list(input_shape))
    x = b.layer("conv1", "conv2d", x, out_channels=32, kernel_size=3, stride=2, padding="valid", bias=False)
    x = b.layer("conv1_bn", "batch_norm", x, activation="relu")
    x = b.layer("conv2", "conv2d", x, out_channels=64, kernel_size=3, padding="valid", bias=False)
    x = b.layer("conv2_bn", "batch_norm", x, activation="relu")
    for index, channels in enumerate((128, 256, 728), start=1):
        x = b.block(f"entry_flow_{index}", "entry_flow", x, channels=channels)
    x = b.block("middle_flow", "middle_flow", x, repeat=8)
    x = b.block("exit_flow", "exit_flow", x)
    x = b.layer("avg_pool", "global_avg_pool", x)
    x = b.layer("predictions", "fully_connected", x, out_features=num_classes)
    b.output("logits", x)
    return b.build()
