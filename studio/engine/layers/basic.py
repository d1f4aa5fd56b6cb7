"""Dense, normalisation, activation, merge, shape, regularisation and input/output layers."""

from __future__ import annotations

import math

from torch import nn

from studio.engine.errors import ShapeError
from studio.engine.layers import modules
from studio.engine.layers.common import ACTIVATION, ACTIVATIONS, BIAS, WEIGHT_PARAMS, apply_init
from studio.engine.layers.registry import Builder, LayerType, Param, register, require_rank

# ---- input / output -------------------------------------------------------------------------------


def _input_shape(args, inputs):
    if args["shape"] is None:  # (the walker gives such an input the data's shape, or reports it)
        raise ShapeError(NO_INPUT_SHAPE)
    return tuple(int(v) for v in args["shape"])


NO_INPUT_SHAPE = ("no shape yet: choose a data folder (Training tab, Data page) to take the images' shape, "
                  "or set one, e.g. 1, 28, 28")

register(LayerType(
    name="input", category="Input/Output", stem="image", shown=("shape",),
    help="A model input; 'shape' is per sample, e.g. [3, 32, 32] for RGB 32x32. Left empty, it is the "
    "shape of the data's images.",
    params=(Param("shape", "ints", None, "Shape of one sample (channels, height, width); empty: the "
                  "data's.", minimum=1, optional=True),),
    shape=_input_shape, build=None, ports=lambda args: []))

register(LayerType(
    name="output", category="Input/Output", stem="logits",
    help="A named model output (its id names the output; a loss attaches here).",
    shape=lambda args, inputs: inputs["x"], build=None))

# ---- dense ----------------------------------------------------------------------------------------


def _dense_shape(args, inputs):
    shape = inputs["x"]
    if not shape:
        raise ShapeError("fully_connected needs at least one feature dimension")
    return (*shape[:-1], args["out_features"])


def _build_dense(args, inputs):
    module = nn.Linear(inputs["x"][-1], args["out_features"], bias=args["bias"])
    apply_init(module, args["init"])
    return module


register(LayerType(
    name="fully_connected", category="Dense", title="fully connected", stem="fc",
    shown=("out_features",), help="Linear layer over the last dimension (nn.Linear).",
    params=(Param("out_features", "int", 128, "Number of output units.", minimum=1), BIAS, ACTIVATION,
            *WEIGHT_PARAMS),
    shape=_dense_shape, build=_build_dense,
    macs=lambda args, inputs, out: math.prod(out) * inputs["x"][-1], has_weights=True))


def _bias_add_shape(args, inputs):
    if not inputs["x"]:
        raise ShapeError("bias_add needs a channel dimension")
    return inputs["x"]


register(LayerType(
    name="bias_add", category="Dense", title="bias add",
    help="Adds a learned bias per channel (first dimension of a sample).",
    params=(ACTIVATION,), shape=_bias_add_shape,
    build=lambda args, inputs: modules.BiasAdd(inputs["x"][0], len(inputs["x"]) - 1)))

def _layer_scale_shape(args, inputs):
    if not inputs["x"]:
        raise ShapeError("layer_scale needs a channel dimension")
    return inputs["x"]


register(LayerType(
    name="layer_scale", category="Dense", title="layer scale", stem="scale", shown=("init_value",),
    help="Multiplies each channel (first dimension of a sample) by a learned scale (ConvNeXt's "
    "layer_scale, parameter layer_scale of shape [C, 1, 1] for [C, H, W]).",
    params=(Param("init_value", "float", 1e-6, "The scale every channel starts at."),),
    shape=_layer_scale_shape, macs=lambda args, inputs, out: math.prod(out), has_weights=True,
    build=lambda args, inputs: modules.LayerScale(inputs["x"][0], len(inputs["x"]) - 1,
                                                  args["init_value"])))

# ---- normalisation --------------------------------------------------------------------------------


def _build_batch_norm(args, inputs):
    rank = len(inputs["x"])
    if rank not in (1, 2, 3):
        raise ShapeError(f"batch_norm expects [C], [C, L] or [C, H, W], got {list(inputs['x'])}")
    cls = nn.BatchNorm2d if rank == 3 else nn.BatchNorm1d
    return cls(inputs["x"][0], eps=args["eps"], momentum=args["momentum"], affine=args["affine"])


def _batch_norm_shape(args, inputs):
    if len(inputs["x"]) not in (1, 2, 3):
        raise ShapeError(f"batch_norm expects [C], [C, L] or [C, H, W], got {list(inputs['x'])}")
    return inputs["x"]


register(LayerType(
    name="batch_norm", category="Normalisation", title="batch norm", stem="bn",
    help="Batch normalisation over channels (nn.BatchNorm1d/2d); running statistics are model state, "
    "not trainable.",
    params=(Param("eps", "float", 1e-5, "Added to the variance for stability.", minimum=0.0),
            Param("momentum", "float", 0.1, "Update rate of the running statistics.", minimum=0.0,
                  maximum=1.0),
            Param("affine", "bool", True, "Learn a scale (weight) and shift (bias)."), ACTIVATION),
    shape=_batch_norm_shape, build=_build_batch_norm, has_weights=True))


def _unit_norm_shape(args, inputs):
    if args["dim"] >= len(inputs["x"]):
        raise ShapeError(f"unit_norm dim {args['dim']} is out of range for {list(inputs['x'])}")
    return inputs["x"]


register(LayerType(
    name="unit_norm", category="Normalisation", title="unit norm",
    help="Scales each sample to unit L2 norm along a dimension.",
    params=(Param("dim", "int", 0, "Dimension of a sample to normalise (0 = channels/features).",
                  minimum=0),),
    shape=_unit_norm_shape, build=lambda args, inputs: modules.UnitNorm(args["dim"] + 1)))

# ---- activations ----------------------------------------------------------------------------------


def _same_shape(args, inputs):
    return inputs["x"]


def _activation_builder(name: str) -> Builder:
    make = ACTIVATIONS[name].module
    return lambda args, inputs: make()


ACTIVATION_HELP = {
    "relu": "relu activation, element-wise.", "relu6": "relu6 activation, element-wise.",
    "sigmoid": "sigmoid activation, element-wise.", "tanh": "tanh activation, element-wise.",
    "silu": "SiLU (swish): x * sigmoid(x), element-wise (nn.SiLU; EfficientNet).",
    "hardswish": "Hard swish: x * relu6(x + 3) / 6, element-wise (nn.Hardswish; MobileNetV3).",
    "hardsigmoid": "Hard sigmoid: relu6(x + 3) / 6, element-wise (nn.Hardsigmoid; MobileNetV3's "
                   "squeeze-and-excitation gate).",
}
for _name, _help in ACTIVATION_HELP.items():
    register(LayerType(name=_name, category="Activation", help=_help, shape=_same_shape,
                       build=_activation_builder(_name)))

register(LayerType(
    name="gelu", category="Activation",
    help="Gaussian error linear unit, element-wise (nn.GELU); approximate 'tanh' is its tanh form.",
    params=(Param("approximate", "choice", "none", "'none': the exact erf form; 'tanh': the tanh "
                  "approximation.", choices=("none", "tanh")),),
    shape=_same_shape, build=lambda args, inputs: nn.GELU(approximate=args["approximate"])))


def _prelu_shape(args, inputs):
    if args["per_channel"] and not inputs["x"]:
        raise ShapeError("prelu with a slope per channel needs a channel dimension")
    return inputs["x"]


register(LayerType(
    name="prelu", category="Activation", has_weights=True,
    help="Parametric ReLU: x for x > 0, a learned slope (parameter weight) times x otherwise "
    "(nn.PReLU).",
    params=(Param("per_channel", "bool", False, "One slope per channel (first dimension of a sample) "
                  "instead of one for all."),
            Param("slope", "float", 0.25, "Starting slope for negative inputs.")),
    shape=_prelu_shape,
    build=lambda args, inputs: nn.PReLU(inputs["x"][0] if args["per_channel"] else 1, args["slope"])))

register(LayerType(
    name="identity", category="Activation",
    help="Passes its input through unchanged (nn.Identity): a placeholder, e.g. for a layer a "
    "pretrained model leaves out.",
    shape=_same_shape, build=lambda args, inputs: nn.Identity()))

register(LayerType(
    name="leaky_relu", category="Activation", title="leaky relu",
    help="Leaky ReLU: x for x > 0, slope * x otherwise.",
    params=(Param("negative_slope", "float", 0.01, "Slope for negative inputs.", minimum=0.0),),
    shape=_same_shape, build=lambda args, inputs: nn.LeakyReLU(args["negative_slope"])))
register(LayerType(
    name="elu", category="Activation", help="Exponential linear unit.",
    params=(Param("alpha", "float", 1.0, "Saturation value for negative inputs.", minimum=0.0),),
    shape=_same_shape, build=lambda args, inputs: nn.ELU(args["alpha"])))


def _softmax_shape(args, inputs):
    if args["dim"] >= len(inputs["x"]):
        raise ShapeError(f"softmax dim {args['dim']} is out of range for {list(inputs['x'])}")
    return inputs["x"]


register(LayerType(
    name="softmax", category="Activation",
    help="Softmax along a dimension of each sample (0 = classes/channels).",
    params=(Param("dim", "int", 0, "Dimension of a sample (0 = first).", minimum=0),),
    shape=_softmax_shape, build=lambda args, inputs: nn.Softmax(dim=args["dim"] + 1)))

# ---- merges ---------------------------------------------------------------------------------------

INPUTS = Param("inputs", "int", 2, "Number of inputs to merge.", minimum=2, maximum=16)


def _merge_ports(args):
    return [f"x{i}" for i in range(int(args.get("inputs", 2)))]


def _elementwise_shape(name):
    def rule(args, inputs):
        shapes = list(inputs.items())
        first_port, first = shapes[0]
        for port, shape in shapes[1:]:
            if shape != first:
                raise ShapeError(f"{name}: input {port} has shape {list(shape)} but {first_port} has "
                                 f"{list(first)}")
        return first
    return rule


register(LayerType(
    name="add", category="Merge", help="Element-wise sum of its inputs (residual connections).",
    params=(INPUTS,), shape=_elementwise_shape("add"), build=lambda args, inputs: modules.Add(),
    ports=_merge_ports))
register(LayerType(
    name="multiply", category="Merge", help="Element-wise product of its inputs (gating).",
    params=(INPUTS,), shape=_elementwise_shape("multiply"),
    build=lambda args, inputs: modules.Multiply(), ports=_merge_ports))


def _concat_shape(args, inputs):
    axis = args["axis"]
    shapes = list(inputs.items())
    first_port, first = shapes[0]
    if axis >= len(first):
        raise ShapeError(f"concat axis {axis} is out of range for {list(first)}")
    total = 0
    for port, shape in shapes:
        if len(shape) != len(first) or any(a != b for i, (a, b) in enumerate(zip(shape, first, strict=True))
                                           if i != axis):
            raise ShapeError(f"concat: input {port} has shape {list(shape)} but {first_port} has "
                             f"{list(first)} (only axis {axis} may differ)")
        total += shape[axis]
    return (*first[:axis], total, *first[axis + 1:])


register(LayerType(
    name="concat", category="Merge", shown=("axis",),
    help="Concatenates its inputs along an axis of each sample (0 = channels).",
    params=(INPUTS, Param("axis", "int", 0, "Axis of a sample to join along (0 = channels).",
                          minimum=0)),
    shape=_concat_shape, build=lambda args, inputs: modules.Concat(args["axis"] + 1),
    ports=_merge_ports))

# ---- shape ----------------------------------------------------------------------------------------

register(LayerType(
    name="flatten", category="Shape",
    help="Flattens each sample to one dimension: [C, H, W] -> [C*H*W].",
    shape=lambda args, inputs: (math.prod(inputs["x"]),), build=lambda args, inputs: nn.Flatten(1)))


def _reshape_shape(args, inputs):
    target = tuple(int(v) for v in args["shape"])
    if math.prod(target) != math.prod(inputs["x"]):
        raise ShapeError(f"cannot reshape {list(inputs['x'])} ({math.prod(inputs['x'])} values) to "
                         f"{list(target)} ({math.prod(target)} values)")
    return target


register(LayerType(
    name="reshape", category="Shape", shown=("shape",),
    help="Reshapes each sample (the number of values must not change).",
    params=(Param("shape", "ints", [1], "New shape of one sample.", minimum=1),),
    shape=_reshape_shape, build=lambda args, inputs: modules.Reshape(args["shape"])))


def _one_hot_shape(args, inputs):
    if len(inputs["x"]) > 1:
        raise ShapeError(f"one_hot_encoding expects class indices of shape [] or [L], got "
                         f"{list(inputs['x'])}")
    return (*inputs["x"], args["num_classes"])


register(LayerType(
    name="one_hot_encoding", category="Shape", title="one-hot encoding", stem="onehot",
    shown=("num_classes",), help="Integer class indices -> one-hot float vectors.",
    params=(Param("num_classes", "int", 10, "Number of classes.", minimum=1),),
    shape=_one_hot_shape, build=lambda args, inputs: modules.OneHot(args["num_classes"])))

# ---- regularisation -------------------------------------------------------------------------------

register(LayerType(
    name="dropout", category="Regularisation", shown=("p",), pass_through=True,
    help="Zeroes random elements with probability p while training.",
    params=(Param("p", "float", 0.5, "Probability of dropping an element.", minimum=0.0, maximum=1.0),),
    shape=_same_shape, build=lambda args, inputs: nn.Dropout(args["p"])))


def _dropout2d_shape(args, inputs):
    require_rank("dropout2d", inputs["x"], 3)
    return inputs["x"]


register(LayerType(
    name="dropout2d", category="Regularisation", shown=("p",), pass_through=True,
    help="Zeroes whole channels of [C, H, W] with probability p while training (nn.Dropout2d).",
    params=(Param("p", "float", 0.5, "Probability of dropping a channel.", minimum=0.0, maximum=1.0),),
    shape=_dropout2d_shape, build=lambda args, inputs: nn.Dropout2d(args["p"])))

register(LayerType(
    name="stochastic_depth", category="Regularisation", title="stochastic depth", stem="droppath",
    shown=("p",), pass_through=True,
    help="While training, drops the whole residual branch per sample (row) or for the batch with "
    "probability p and scales the rest by 1 / (1 - p); the identity in eval "
    "(torchvision.ops.StochasticDepth).",
    params=(Param("p", "float", 0.1, "Probability of dropping.", minimum=0.0, maximum=1.0),
            Param("mode", "choice", "row", "row: each sample on its own; batch: the whole batch at once.",
                  choices=("row", "batch"))),
    shape=_same_shape, build=lambda args, inputs: modules.StochasticDepth(args["p"], args["mode"])))

# ---- blocks ---------------------------------------------------------------------------------------
# A block use's ports, parameters and shape come from the block definition; the spec package
# handles it. It is registered so the palette, validation and repeat/stack know the type.

register(LayerType(
    name="block", category="Blocks",
    help="One use of a reusable block (a named sub-graph with its own weights).",
    params=(Param("block", "str", "", "Name of the block definition."),),
    shape=lambda args, inputs: inputs["x"], build=lambda args, inputs: nn.Identity()))
