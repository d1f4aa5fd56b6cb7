"""MobileNetV3-Small and -Large (Howard et al. 2019) as torchvision's ``mobilenet_v3_small`` and
``mobilenet_v3_large`` (width 1.0), drawn with blocks.

Each block expands with a 1x1 convolution (absent where the hidden channels equal the input's),
filters with a depthwise convolution (3x3 or 5x5, the stride), may gate its channels with
squeeze-and-excitation (ReLU, hard sigmoid) and projects back linearly with a 1x1 convolution; batch
norm (eps 0.001) after each convolution, ReLU or hard swish after the first two. The block that
changes channels or size has no shortcut (``bneck``); the others add their input
(``bneck_residual``). A stage is drawn as its first block ``stageN_0`` and one node ``stageN``
repeating (or stacking, where the hidden channels vary) the residual ones; the optional parts are the
sub-blocks ``expand`` and ``se`` (``expansion`` / ``squeeze_excite`` or ``skip``).
"""

from __future__ import annotations

from typing import Any

from studio.engine.spec.builder import GraphBuilder, SpecBuilder
from studio.engine.spec.model import ModelSpec
from studio.engine.templates.registry import template
from studio.engine.templates.stages import add_stage

# torchvision's bneck_conf: (input channels, kernel, hidden channels, output channels, SE, activation,
# stride)
SMALL_BLOCKS = (
    (16, 3, 16, 16, True, "relu", 2), (16, 3, 72, 24, False, "relu", 2),
    (24, 3, 88, 24, False, "relu", 1), (24, 5, 96, 40, True, "hardswish", 2),
    (40, 5, 240, 40, True, "hardswish", 1), (40, 5, 240, 40, True, "hardswish", 1),
    (40, 5, 120, 48, True, "hardswish", 1), (48, 5, 144, 48, True, "hardswish", 1),
    (48, 5, 288, 96, True, "hardswish", 2), (96, 5, 576, 96, True, "hardswish", 1),
    (96, 5, 576, 96, True, "hardswish", 1))
LARGE_BLOCKS = (
    (16, 3, 16, 16, False, "relu", 1), (16, 3, 64, 24, False, "relu", 2),
    (24, 3, 72, 24, False, "relu", 1), (24, 5, 72, 40, True, "relu", 2),
    (40, 5, 120, 40, True, "relu", 1), (40, 5, 120, 40, True, "relu", 1),
    (40, 3, 240, 80, False, "hardswish", 2), (80, 3, 200, 80, False, "hardswish", 1),
    (80, 3, 184, 80, False, "hardswish", 1), (80, 3, 184, 80, False, "hardswish", 1),
    (80, 3, 480, 112, True, "hardswish", 1), (112, 3, 672, 112, True, "hardswish", 1),
    (112, 5, 672, 160, True, "hardswish", 2), (160, 5, 960, 160, True, "hardswish", 1),
    (160, 5, 960, 160, True, "hardswish", 1))
STEM_CHANNELS = 16
HEAD_CHANNELS = {"mobilenet_v3_small": 1024, "mobilenet_v3_large": 1280}  # torchvision's last_channel
# the blocks' parameters and defaults (``nonlinearity``: a node's ``activation`` argument would be applied
# after the whole block)
BLOCK_PARAMS: dict[str, Any] = dict(channels=24, hidden=72, kernel=3, padding=1, nonlinearity="relu",
                                    expand="expansion", se="skip", squeeze=24)


def make_divisible(value: float, divisor: int = 8) -> int:
    """torchvision's ``_make_divisible``: the nearest multiple of ``divisor``, never 10% below."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def add_part_blocks(b: SpecBuilder, eps: float, se_activation: str, se_gate: str) -> None:
    """Define a block's optional parts: ``expansion``, ``squeeze_excite`` and ``skip`` (neither)."""
    expansion = b.new_block("expansion", "1x1 convolution to the hidden channels, batch norm and the "
                            "activation.", hidden=72, nonlinearity="relu", squeeze=24)
    y = expansion.layer("conv", "conv2d", expansion.input("x"), out_channels="$hidden", kernel_size=1,
                        padding=0, bias=False)
    expansion.output("out", expansion.layer("bn", "batch_norm", y, eps=eps, activation="$nonlinearity"))

    squeeze = b.new_block("squeeze_excite", f"Squeeze-and-excitation: each channel scaled by a "
                          f"{se_gate} gate computed from the channel means through the squeeze "
                          f"channels ({se_activation}).", hidden=72, nonlinearity="relu", squeeze=24)
    squeeze.output("out", squeeze.layer("gate", "squeeze_excitation", squeeze.input("x"),
                                        squeeze_channels="$squeeze", squeeze_activation=se_activation,
                                        scale_activation=se_gate))

    skip = b.new_block("skip", "Passes its input on unchanged (a block without this part).",
                       hidden=72, nonlinearity="relu", squeeze=24)
    skip.output("out", skip.input("x"))


def block_body(g: GraphBuilder, x: str, stride: Any, eps: float) -> str:
    """Expansion (or skip), depthwise convolution + batch norm + activation, squeeze-excitation (or
    skip), linear 1x1 projection + batch norm."""
    parts: dict[str, Any] = dict(hidden="$hidden", nonlinearity="$nonlinearity", squeeze="$squeeze")
    y = g.block("expand", "$expand", x, **parts)
    y = g.layer("depthwise", "depthwise_conv2d", y, kernel_size="$kernel", stride=stride,
                padding="$padding", bias=False)
    y = g.layer("depthwise_bn", "batch_norm", y, eps=eps, activation="$nonlinearity")
    y = g.block("se", "$se", y, **parts)
    y = g.layer("project", "conv2d", y, out_channels="$channels", kernel_size=1, padding=0, bias=False)
    return g.layer("project_bn", "batch_norm", y, eps=eps)


def add_bneck_blocks(b: SpecBuilder, eps: float, name: str, first_name: str = "bneck",
                     residual_name: str = "bneck_residual", drop_path: bool = False) -> None:
    """Define ``first_name`` (with a stride, no shortcut) and ``residual_name`` (adds its input; with
    ``drop_path``, through stochastic depth of probability ``drop``, as EfficientNet's MBConv)."""
    first = b.new_block(first_name, f"{name} block without shortcut (it changes channels or size): "
                        "expansion, depthwise convolution with the stride, squeeze-excitation, linear "
                        "projection.", **BLOCK_PARAMS, stride=1)
    first.output("out", block_body(first, first.input("x"), "$stride", eps))
    dropped = ", through stochastic depth," if drop_path else ""
    rest = b.new_block(residual_name, f"{name} block with shortcut: expansion, depthwise "
                       f"convolution, squeeze-excitation and linear projection, added{dropped} to the "
                       "input.", **BLOCK_PARAMS, **({"drop": 0.0} if drop_path else {}))
    x = rest.input("x")
    y = block_body(rest, x, 1, eps)
    if drop_path:
        y = rest.layer("drop_path", "stochastic_depth", y, p="$drop")
    rest.output("out", rest.layer("add", "add", [y, x]))


def block_args(in_channels: int, kernel: int, hidden: int, out_channels: int, se: bool,
               activation: str, squeeze: int) -> dict[str, Any]:
    """One block use's arguments (the squeeze channels matter only with squeeze-excitation)."""
    return dict(channels=out_channels, hidden=hidden, kernel=kernel, padding=(kernel - 1) // 2,
                nonlinearity=activation, expand="expansion" if hidden != in_channels else "skip",
                se="squeeze_excite" if se else "skip", squeeze=squeeze if se else BLOCK_PARAMS["squeeze"])


def add_stages(b: SpecBuilder, x: str, blocks: list[tuple[dict[str, Any], int, bool]],
               first_name: str = "bneck", residual_name: str = "bneck_residual") -> str:
    """``blocks`` as (arguments, stride, residual): each non-residual block starts a stage
    ``stageN_0`` (``first_name``), the residual ones after it are the node ``stageN``."""
    stages: list[tuple[dict[str, Any] | None, list[dict[str, Any]]]] = []
    for args, stride, residual in blocks:
        if residual and stages:
            stages[-1][1].append(args)
        elif residual:
            stages.append((None, [args]))
        else:
            stages.append(({**args, "stride": stride}, []))
    for number, (first, rest) in enumerate(stages, start=1):
        if first is not None:
            x = b.block(f"stage{number}_0", first_name, x, **first)
        if rest:
            x = add_stage(b, f"stage{number}", residual_name, x, rest)
    return x


def _mobilenet_v3(name: str, configs, num_classes: int, input_shape: tuple[int, ...]) -> ModelSpec:
    eps = 0.001
    b = SpecBuilder(name)
    add_part_blocks(b, eps, "relu", "hardsigmoid")
    add_bneck_blocks(b, eps, "MobileNetV3")
    x = b.input("image", list(input_shape))
    x = b.layer("conv1", "conv2d", x, out_channels=STEM_CHANNELS, kernel_size=3, stride=2, padding=1,
                bias=False)
    x = b.layer("bn1", "batch_norm", x, eps=eps, activation="hardswish")
    blocks = []
    for in_channels, kernel, hidden, out_channels, se, activation, stride in configs:
        args = block_args(in_channels, kernel, hidden, out_channels, se, activation,
                          make_divisible(hidden // 4))
        blocks.append((args, stride, stride == 1 and in_channels == out_channels))
    x = add_stages(b, x, blocks)
    x = b.layer("conv_last", "conv2d", x, out_channels=6 * configs[-1][3], kernel_size=1, padding=0,
                bias=False)
    x = b.layer("bn_last", "batch_norm", x, eps=eps, activation="hardswish")
    x = b.layer("avgpool", "global_avg_pool", x)
    x = b.layer("fc1", "fully_connected", x, out_features=HEAD_CHANNELS[name], activation="hardswish")
    x = b.layer("dropout", "dropout", x, p=0.2)
    b.output("logits", b.layer("fc2", "fully_connected", x, out_features=num_classes))
    return b.build()


@template(
    name="mobilenet_v3_small", input_shape=(3, 224, 224),
    help="MobileNetV3-Small as in torchvision: a 3x3 stem (hard swish), 11 inverted residual blocks "
    "with squeeze-and-excitation in most, drawn as five stages of blocks, a 1x1 convolution to 576 "
    "channels, global average pooling and a 1024-unit hidden layer (2,542,856 parameters for 1000 "
    "classes).")
def mobilenet_v3_small(num_classes: int, input_shape: tuple[int, ...]) -> ModelSpec:
    return _mobilenet_v3("mobilenet_v3_small", SMALL_BLOCKS, num_classes, input_shape)


@template(
    name="mobilenet_v3_large", input_shape=(3, 224, 224),
    help="MobileNetV3-Large as in torchvision: a 3x3 stem (hard swish), 15 inverted residual blocks "
    "(squeeze-and-excitation in 8), drawn as six stages of blocks, a 1x1 convolution to 960 channels, "
    "global average pooling and a 1280-unit hidden layer (5,483,032 parameters for 1000 classes).")
def mobilenet_v3_large(num_classes: int, input_shape: tuple[int, ...]) -> ModelSpec:
    return _mobilenet_v3("mobilenet_v3_large", LARGE_BLOCKS, num_classes, input_shape)
