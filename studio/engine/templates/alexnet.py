"""AlexNet exactly as torchvision's ``alexnet`` (the one-GPU variant of Krizhevsky et al. 2012)."""

from __future__ import annotations

from studio.engine.spec.builder import SpecBuilder
from studio.engine.templates.registry import template


@template(
    name="alexnet", input_shape=(3, 224, 224),
    help="AlexNet as in torchvision: five convolutions, three max pools, 6x6 adaptive pooling and a "
    "4096-4096 classifier with dropout (61,100,840 parameters for 1000 classes).")
def alexnet(num_classes: int, input_shape: tuple[int, ...]):
    b = SpecBuilder("alexnet")
    b.defaults(["conv2d"], activation="relu")
    b.defaults(["max_pool2d"], kernel_size=3, stride=2)
    x = b.input("image", list(input_shape))
    x = b.layer("conv1", "conv2d", x, out_channels=64, kernel_size=11, stride=4, padding=2)
    x = b.layer("pool1", "max_pool2d", x)
    x = b.layer("conv2", "conv2d", x, out_channels=192, kernel_size=5, padding=2)
    x = b.layer("pool2", "max_pool2d", x)
    x = b.layer("conv3", "conv2d", x, out_channels=384, kernel_size=3, padding=1)
    x = b.layer("conv4", "conv2d", x, out_channels=256, kernel_size=3, padding=1)
    x = b.layer("conv5", "conv2d", x, out_channels=256, kernel_size=3, padding=1)
    x = b.layer("pool5", "max_pool2d", x)
    x = b.layer("avgpool", "adaptive_avg_pool2d", x, output_size=6)
    x = b.layer("flatten", "flatten", x)
    x = b.layer("dropout6", "dropout", x, p=0.5)
    x = b.layer("fc6", "fully_connected", x, out_features=4096, activation="relu")
    x = b.layer("dropout7", "dropout", x, p=0.5)
    x = b.layer("fc7", "fully_connected", x, out_features=4096, activation="relu")
    x = b.layer("fc8", "fully_connected", x, out_features=num_classes)
    b.output("logits", x)
    return b.build()
