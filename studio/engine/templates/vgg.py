"""VGG-16 (Simonyan & Zisserman 2014, configuration D) as torchvision's ``vgg16``, written with repeat."""

from __future__ import annotations

from studio.engine.spec.builder import SpecBuilder
from studio.engine.templates.registry import template

# (node id, convolutions in the stage, channels)
VGG16_STAGES = (("conv1", 2, 64), ("conv2", 2, 128), ("conv3", 3, 256), ("conv4", 3, 512), ("conv5", 3, 512))


@template(
    name="vgg16", input_shape=(3, 224, 224),
    help="VGG-16 as in torchvision: five stages of 3x3 convolutions (each one repeated node), 7x7 "
    "adaptive pooling, fc6/fc7 with dropout and fc8 (138,357,544 parameters for 1000 classes).")
def vgg16(num_classes: int, input_shape: tuple[int, ...]):
    b = SpecBuilder("vgg16")
    b.defaults(["conv2d"], kernel_size=3, padding=1, activation="relu")
    b.defaults(["fully_connected"], activation="relu")
    x = b.input("image", list(input_shape))
    for index, (name, count, channels) in enumerate(VGG16_STAGES, start=1):
        x = b.layer(name, "conv2d", x, out_channels=channels, repeat=count)
        x = b.layer(f"pool{index}", "max_pool2d", x, kernel_size=2)
    x = b.layer("avgpool", "adaptive_avg_pool2d", x, output_size=7)
    x = b.layer("flatten", "flatten", x)
    x = b.layer("fc6", "fully_connected", x, out_features=4096)
    x = b.layer("dropout6", "dropout", x, p=0.5)
    x = b.layer("fc7", "fully_connected", x, out_features=4096)
    x = b.layer("dropout7", "dropout", x, p=0.5)
    x = b.layer("fc8", "fully_connected", x, out_features=num_classes, activation="none")
    b.output("logits", x)
    return b.build()
