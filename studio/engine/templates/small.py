"""Small templates: the demo CNN and the MLP for 28x28 digits."""

from __future__ import annotations

from studio.engine.spec.builder import SpecBuilder
from studio.engine.templates.registry import template


@template(
    name="small_cnn", input_shape=(1, 28, 28),
    help="Two 3x3 convolutions, max pooling and two dense layers: trains on the demo Fashion-MNIST "
    "set in a couple of minutes on a CPU.")
def small_cnn(num_classes: int, input_shape: tuple[int, ...]):
    b = SpecBuilder("small_cnn")
    b.defaults(["conv2d"], kernel_size=3, padding="same", activation="relu")
    x = b.input("image", list(input_shape))
    x = b.layer("conv1", "conv2d", x, out_channels=32)
    x = b.layer("pool1", "max_pool2d", x, kernel_size=2)
    x = b.layer("conv2", "conv2d", x, out_channels=64)
    x = b.layer("pool2", "max_pool2d", x, kernel_size=2)
    x = b.layer("flatten", "flatten", x)
    x = b.layer("fc1", "fully_connected", x, out_features=128, activation="relu")
    x = b.layer("dropout", "dropout", x, p=0.3)
    x = b.layer("fc2", "fully_connected", x, out_features=num_classes)
    b.output("logits", x)
    return b.build()


@template(
    name="mlp", input_shape=(1, 28, 28),
    help="Multi-layer perceptron for 28x28 digits (the Keras mnist_mlp example: 512-512 with "
    "dropout).")
def mlp(num_classes: int, input_shape: tuple[int, ...]):
    b = SpecBuilder("mlp")
    x = b.input("image", list(input_shape))
    x = b.layer("flatten", "flatten", x)
    x = b.layer("fc1", "fully_connected", x, out_features=512, activation="relu")
    x = b.layer("dropout1", "dropout", x, p=0.2)
    x = b.layer("fc2", "fully_connected", x, out_features=512, activation="relu")
    x = b.layer("dropout2", "dropout", x, p=0.2)
    x = b.layer("logits_fc", "fully_connected", x, out_features=num_classes)
    b.output("logits", x)
    return b.build()
