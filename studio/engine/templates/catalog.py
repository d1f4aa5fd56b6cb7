"""Imports every template module so each registers its templates, in the order users see them."""
# isort: skip_file

from studio.engine.templates import small  # noqa: F401  (small_cnn, mlp)
from studio.engine.templates import lenet, alexnet, vgg, resnet, xception, mobilenet  # noqa: F401
from studio.engine.templates import mobilenet_v3, efficientnet, convnext, vit  # noqa: F401
