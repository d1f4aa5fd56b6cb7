"""The one table of activations and the one table of initializers, and the parameters many layer
types share: activation, initializer, regularizers, bias."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from studio.engine.layers.registry import Param


@dataclass(frozen=True)
class Activation:
    """What an ``activation`` name stands for: the module an activation layer (or a repeated layer's
    step) is, the function the compiled model applies after a layer, and the expression generated
    code writes for it (``{x}`` is the layer's call)."""

    module: Callable[[], nn.Module]
    function: Callable[[torch.Tensor], torch.Tensor]
    code: str


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation(nn.ReLU, F.relu, "F.relu({x})"),
    "relu6": Activation(nn.ReLU6, F.relu6, "F.relu6({x})"),
    "leaky_relu": Activation(nn.LeakyReLU, F.leaky_relu, "F.leaky_relu({x})"),
    "elu": Activation(nn.ELU, F.elu, "F.elu({x})"),
    "gelu": Activation(nn.GELU, F.gelu, "F.gelu({x})"),
    "sigmoid": Activation(nn.Sigmoid, torch.sigmoid, "torch.sigmoid({x})"),
    "tanh": Activation(nn.Tanh, torch.tanh, "torch.tanh({x})"),
    "silu": Activation(nn.SiLU, F.silu, "F.silu({x})"),
    "hardswish": Activation(nn.Hardswish, F.hardswish, "F.hardswish({x})"),
    "hardsigmoid": Activation(nn.Hardsigmoid, F.hardsigmoid, "F.hardsigmoid({x})"),
}

# name -> what re-initialises one weight tensor in place ("default" keeps PyTorch's initialisation)
INITIALIZERS: dict[str, Callable[[torch.Tensor], object]] = {
    "xavier_uniform": nn.init.xavier_uniform_,
    "xavier_normal": nn.init.xavier_normal_,
    "kaiming_uniform": partial(nn.init.kaiming_uniform_, nonlinearity="relu"),
    "kaiming_normal": partial(nn.init.kaiming_normal_, nonlinearity="relu"),
    "truncated_normal": partial(nn.init.trunc_normal_, std=0.02),
    "zeros": nn.init.zeros_,
}

ACTIVATION = Param("activation", "choice", "none", "Activation applied to the output.",
                   choices=("none", *ACTIVATIONS))
INIT = Param("init", "choice", "default", "Initializer of the weights (biases start at zero unless "
             "'default').", choices=("default", *INITIALIZERS))
L1 = Param("l1", "float", 0.0, "L1 regularization strength on the weights (adds to the total loss).",
           minimum=0.0)
L2 = Param("l2", "float", 0.0, "L2 regularization (weight decay) strength on the weights.", minimum=0.0)
BIAS = Param("bias", "bool", True, "Learn an additive bias.")

WEIGHT_PARAMS = (INIT, L1, L2)


def activation_function(name: str) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """The function applied after a layer whose activation is ``name`` (None for 'none')."""
    entry = ACTIVATIONS.get(name)
    return entry.function if entry else None


def apply_init(module: nn.Module, init: str) -> None:
    """Re-initialise every weight of ``module`` (conv and linear kernels) with ``init``."""
    if init == "default":
        return
    initialize = INITIALIZERS[init]
    for sub in module.modules():
        weight = getattr(sub, "weight", None)
        if not isinstance(weight, nn.Parameter) or weight.dim() < 2:
            continue
        initialize(weight)
        bias = getattr(sub, "bias", None)
        if isinstance(bias, nn.Parameter):
            nn.init.zeros_(bias)
