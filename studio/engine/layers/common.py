"""Parameters and helpers shared by many layer types: activation, initializer, regularizers."""

from __future__ import annotations

from torch import nn

from studio.engine.layers.registry import Param

# name -> (module factory, functional expression used by the code generator)
ACTIVATIONS: dict[str, tuple[type[nn.Module] | None, str]] = {
    "none": (None, "{x}"),
    "relu": (nn.ReLU, "F.relu({x})"),
    "relu6": (nn.ReLU6, "F.relu6({x})"),
    "leaky_relu": (nn.LeakyReLU, "F.leaky_relu({x})"),
    "elu": (nn.ELU, "F.elu({x})"),
    "gelu": (nn.GELU, "F.gelu({x})"),
    "sigmoid": (nn.Sigmoid, "torch.sigmoid({x})"),
    "tanh": (nn.Tanh, "torch.tanh({x})"),
}

INITIALIZERS = (
    "default",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "truncated_normal",
    "zeros",
)

ACTIVATION = Param("activation", "choice", "none", "Activation applied to the output.",
                   choices=tuple(ACTIVATIONS))
INIT = Param("init", "choice", "default", "Initializer of the weights (biases start at zero unless "
             "'default').", choices=INITIALIZERS)
L1 = Param("l1", "float", 0.0, "L1 regularization strength on the weights (adds to the total loss).",
           minimum=0.0)
L2 = Param("l2", "float", 0.0, "L2 regularization (weight decay) strength on the weights.", minimum=0.0)
BIAS = Param("bias", "bool", True, "Learn an additive bias.")

WEIGHT_PARAMS = (INIT, L1, L2)


def activation_module(name: str) -> nn.Module | None:
    """A fresh module for the activation called ``name`` (None for 'none')."""
    factory = ACTIVATIONS[name][0]
    return factory() if factory else None


def apply_init(module: nn.Module, init: str) -> None:
    """Re-initialise every weight of ``module`` (conv and linear kernels) with ``init``."""
    if init == "default":
        return
    for sub in module.modules():
        weight = getattr(sub, "weight", None)
        if not isinstance(weight, nn.Parameter) or weight.dim() < 2:
            continue
        if init == "xavier_uniform":
            nn.init.xavier_uniform_(weight)
        elif init == "xavier_normal":
            nn.init.xavier_normal_(weight)
        elif init == "kaiming_uniform":
            nn.init.kaiming_uniform_(weight, nonlinearity="relu")
        elif init == "kaiming_normal":
            nn.init.kaiming_normal_(weight, nonlinearity="relu")
        elif init == "truncated_normal":
            nn.init.trunc_normal_(weight, std=0.02)
        elif init == "zeros":
            nn.init.zeros_(weight)
        bias = getattr(sub, "bias", None)
        if isinstance(bias, nn.Parameter):
            nn.init.zeros_(bias)
