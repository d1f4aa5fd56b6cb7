"""LeNet-5 (LeCun et al. 1998) in its common modern form: tanh units and average pooling."""

from __future__ import annotations

from studio.engine.spec.builder import SpecBuilder
from studio.engine.templates.registry import template


@template(
    name="lenet5", input_shape=(1, 32, 32),
    help="LeNet-5: two 5x5 tanh convolutions with average pooling, then 120-84-classes dense layers "
    "(61,706 parameters for 10 classes at 32x32).")
def lenet5(num_classes: int, input_shape: tuple[int, ...]):
    b = SpecBuilder("lenet5")
    b.defaults(["conv2d"], kernel_size=5, padding="valid", activation="tanh")
    b.defaults(["fully_connected"], activation="tanh")
    x = b.input("image", list(input_shape))
    x = b.layer("conv1", "conv2d", x, out_channels=6)
    x = b.layer("pool1", "avg_pool2d", x, kernel_size=2)
    x = b.layer("conv2", "conv2d", x, out_channels=16)
    x = b.layer("pool2", "avg_pool2d", x, kernel_size=2)
    x = b.layer("flatten", "flatten", x)
    x = b.layer("fc1", "fully_connected", x, out_features=120)
    x = b.layer("fc2", "fully_connected", x, out_features=84)
    x = b.layer("fc3", "fully_connected", x, out_features=num_classes, activation="none")
    b.output("logits", x)
    return b.build()
