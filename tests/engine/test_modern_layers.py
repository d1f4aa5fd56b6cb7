"""The layers of today's image models equal their torch/torchvision counterparts given the same
weights, count their multiply-adds, export to ONNX, and a tiny ViT drawn from them trains."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn
from torchvision.models.convnext import LayerNorm2d
from torchvision.models.shufflenetv2 import channel_shuffle
from torchvision.ops import SqueezeExcitation, StochasticDepth

from studio.engine.checkpoints.export import export_model
from studio.engine.compiler import compile_spec
from studio.engine.spec import analyze
from studio.engine.spec.builder import SpecBuilder
from studio.engine.training import Trainer
from tests.engine.image_folders import make_image_folder
from tests.engine.test_layers import SAMPLE_INPUTS, single_layer_spec
from tests.engine.train_helpers import tiny_config

NEW_LAYERS = ("layer_norm", "group_norm", "silu", "hardswish", "hardsigmoid", "gelu", "prelu", "identity",
              "squeeze_excitation", "stochastic_depth", "upsample", "pad", "permute", "transpose",
              "channel_shuffle", "select", "adaptive_max_pool2d", "multi_head_attention",
              "patch_embedding", "class_token", "position_embedding", "dropout2d")


def one_layer(layer_type: str, shape: list[int], **args):
    """The compiled single-layer model (in eval) and its node's module."""
    b = SpecBuilder(f"only_{layer_type}")
    b.output("out", b.layer("layer", layer_type, b.input("x", shape), **args))
    model = compile_spec(b.build(), device="cpu").eval()
    return model, model.layer


def randomized(module: nn.Module) -> nn.Module:
    """``module`` with every parameter drawn at random (so that weights really are compared)."""
    with torch.no_grad():
        for param in module.parameters():
            param.copy_(torch.randn_like(param))
    return module


# ---- each layer against its counterpart -------------------------------------------------------------


@pytest.mark.parametrize("layout,shape,reference", [
    ("channels_last", [5, 6], lambda: nn.LayerNorm(6, eps=1e-6)),
    ("channels_first", [6, 4, 5], lambda: LayerNorm2d(6, eps=1e-6)),
])
def test_layer_norm_is_torchvisions_in_both_layouts(layout, shape, reference):
    model, module = one_layer("layer_norm", shape, layout=layout, eps=1e-6)
    ref = randomized(reference())
    module.load_state_dict(ref.state_dict())
    x = torch.randn(3, *shape)
    torch.testing.assert_close(model(x), ref(x))
    assert [tuple(p.shape) for p in module.parameters()] == [(6,), (6,)]


def test_group_norm_is_nn_group_norm():
    model, module = one_layer("group_norm", [8, 3, 3], num_groups=4)
    ref = randomized(nn.GroupNorm(4, 8))
    module.load_state_dict(ref.state_dict())
    x = torch.randn(2, 8, 3, 3)
    torch.testing.assert_close(model(x), ref(x))


@pytest.mark.parametrize("layer_type,args,reference", [
    ("silu", {}, F.silu), ("hardswish", {}, F.hardswish), ("hardsigmoid", {}, F.hardsigmoid),
    ("gelu", {}, F.gelu), ("gelu", {"approximate": "tanh"}, lambda x: F.gelu(x, approximate="tanh")),
    ("identity", {}, lambda x: x),
])
def test_activations_are_torchs(layer_type, args, reference):
    model, _ = one_layer(layer_type, [4, 5], **args)
    x = 4 * torch.randn(3, 4, 5)
    torch.testing.assert_close(model(x), reference(x))


def test_tanh_gelu_differs_from_the_exact_one():
    x = torch.linspace(-3, 3, 50).view(1, 50)
    exact, tanh = one_layer("gelu", [50])[0](x), one_layer("gelu", [50], approximate="tanh")[0](x)
    assert 0 < (exact - tanh).abs().max() < 1e-2


@pytest.mark.parametrize("per_channel,count", [(False, 1), (True, 4)])
def test_prelu_is_nn_prelu_with_one_slope_or_one_per_channel(per_channel, count):
    model, module = one_layer("prelu", [4, 3, 3], per_channel=per_channel, slope=0.1)
    assert module.weight.shape == (count,) and torch.all(module.weight == 0.1)
    ref = randomized(nn.PReLU(count))
    module.load_state_dict(ref.state_dict())
    x = torch.randn(2, 4, 3, 3)
    torch.testing.assert_close(model(x), ref(x))


def test_squeeze_excitation_takes_torchvisions_weights():
    model, module = one_layer("squeeze_excitation", [8, 5, 4], squeeze_channels=3,
                              squeeze_activation="silu", scale_activation="hardsigmoid")
    ref = randomized(SqueezeExcitation(8, 3, activation=nn.SiLU, scale_activation=nn.Hardsigmoid))
    module.load_state_dict(ref.state_dict())  # the same names: fc1.weight, fc1.bias, fc2...
    x = torch.randn(2, 8, 5, 4)
    torch.testing.assert_close(model(x), ref(x))


@pytest.mark.parametrize("mode", ["row", "batch"])
def test_stochastic_depth_is_torchvisions_in_training_and_the_identity_in_eval(mode):
    model, _ = one_layer("stochastic_depth", [4, 3], p=0.5, mode=mode)
    ref = StochasticDepth(0.5, mode)
    x = torch.randn(16, 4, 3)
    assert torch.equal(model(x), x)
    model.train()
    torch.manual_seed(3)
    ours = model(x)
    torch.manual_seed(3)
    torch.testing.assert_close(ours, ref.train()(x))
    kept = (ours != 0).flatten(1).all(1)
    assert 0 < kept.sum() < 16 if mode == "row" else kept.all() or not kept.any()
    torch.testing.assert_close(ours[kept], 2 * x[kept])


@pytest.mark.parametrize("args,reference", [
    ({"scale_factor": 2.0}, lambda x: F.interpolate(x, scale_factor=2.0)),
    ({"scale_factor": 1.5, "mode": "bilinear"},
     lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear", align_corners=False)),
    ({"size": [7, 3], "mode": "bilinear", "align_corners": True},
     lambda x: F.interpolate(x, size=(7, 3), mode="bilinear", align_corners=True)),
])
def test_upsample_is_interpolate(args, reference):
    model, _ = one_layer("upsample", [3, 4, 5], **args)
    x = torch.randn(2, 3, 4, 5)
    torch.testing.assert_close(model(x), reference(x))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate"])
def test_pad_is_f_pad(mode):
    padding = [1, 2, 0, 3]
    model, _ = one_layer("pad", [3, 4, 5], padding=padding, mode=mode, value=0.5)
    x = torch.randn(2, 3, 4, 5)
    expected = F.pad(x, padding, mode=mode, value=0.5) if mode == "constant" else F.pad(x, padding, mode)
    torch.testing.assert_close(model(x), expected)
    assert analyze(single_layer_spec("pad")).ok


def test_permute_transpose_select_and_channel_shuffle_move_values_as_torch_does():
    x = torch.randn(2, 6, 3, 4)
    torch.testing.assert_close(one_layer("permute", [6, 3, 4], dims=[1, 2, 0])[0](x), x.permute(0, 2, 3, 1))
    torch.testing.assert_close(one_layer("transpose", [6, 3, 4], dim0=0, dim1=2)[0](x), x.transpose(1, 3))
    torch.testing.assert_close(one_layer("channel_shuffle", [6, 3, 4], groups=3)[0](x), channel_shuffle(x, 3))
    torch.testing.assert_close(one_layer("select", [6, 3, 4], dim=1, index=-1)[0](x), x[:, :, -1])
    torch.testing.assert_close(one_layer("adaptive_max_pool2d", [6, 3, 4], output_size=[2, 2])[0](x),
                               F.adaptive_max_pool2d(x, (2, 2)))


@pytest.mark.parametrize("train", [False, True])
def test_attention_is_nn_multihead_attention_with_the_same_weights(train):
    model, module = one_layer("multi_head_attention", [5, 16], num_heads=4)
    ref = randomized(nn.MultiheadAttention(16, 4, batch_first=True))
    module.load_state_dict(ref.state_dict())  # in_proj_weight, in_proj_bias, out_proj.*
    model.train(train), ref.train(train)
    x = torch.randn(3, 5, 16)
    torch.testing.assert_close(model(x), ref(x, x, x, need_weights=False)[0])


def test_bad_shapes_are_refused_in_a_sentence():
    cases = [("multi_head_attention", [5, 10], {"num_heads": 4}, "must divide"),
             ("patch_embedding", [3, 10, 8], {"patch_size": 4}, "must tile"),
             ("group_norm", [6, 2, 2], {"num_groups": 4}, "must divide"),
             ("permute", [2, 3], {"dims": [0, 0]}, "each of"),
             ("pad", [3, 2, 2], {"padding": 2, "mode": "reflect"}, "smaller than"),
             ("class_token", [3, 4, 4], {}, "[tokens, dim]")]
    for layer_type, shape, args, message in cases:
        b = SpecBuilder("bad")
        b.output("out", b.layer("layer", layer_type, b.input("x", shape), **args))
        issues = analyze(b.build()).issues
        assert issues and issues[0].node == "layer" and message in issues[0].message, layer_type


# ---- the ViT layers against torchvision's VisionTransformer -----------------------------------------

VIT = dict(image_size=16, patch_size=4, num_layers=1, num_heads=2, hidden_dim=8, mlp_dim=16, num_classes=3)
VIT_NAMES = {"conv_proj.": "patch.conv_proj.", "class_token": "cls.class_token",
             "encoder.pos_embedding": "pos.pos_embedding", "encoder.layers.encoder_layer_0.ln_1.": "ln1.",
             "encoder.layers.encoder_layer_0.self_attention.": "attn.",
             "encoder.layers.encoder_layer_0.ln_2.": "ln2.", "encoder.layers.encoder_layer_0.mlp.0.": "mlp1.",
             "encoder.layers.encoder_layer_0.mlp.3.": "mlp2.", "encoder.ln.": "ln.", "heads.head.": "head."}


def tiny_vit(channels=3, size=16, patch=4, dim=8, heads=2, mlp=16, classes=3):
    """Patch embedding -> class token -> position embedding -> one pre-norm encoder layer -> layer
    norm -> the class token -> a linear head: torchvision's VisionTransformer, drawn."""
    b = SpecBuilder("tiny_vit")
    x = b.layer("patch", "patch_embedding", b.input("image", [channels, size, size]), embed_dim=dim,
                patch_size=patch)
    tokens = b.layer("pos", "position_embedding", b.layer("cls", "class_token", x))
    y = b.layer("attn", "multi_head_attention", b.layer("ln1", "layer_norm", tokens, eps=1e-6),
                num_heads=heads)
    x = b.layer("res1", "add", [tokens, b.layer("drop1", "stochastic_depth", y, p=0.1)])
    y = b.layer("mlp1", "fully_connected", b.layer("ln2", "layer_norm", x, eps=1e-6), out_features=mlp,
                activation="gelu")
    y = b.layer("mlp2", "fully_connected", y, out_features=dim)
    x = b.layer("res2", "add", [x, b.layer("drop2", "stochastic_depth", y, p=0.1)])
    x = b.layer("token", "select", b.layer("ln", "layer_norm", x, eps=1e-6), index=0)
    b.output("logits", b.layer("head", "fully_connected", x, out_features=classes))
    return b.build()


def renamed(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in state.items():
        prefix = next(p for p in VIT_NAMES if key.startswith(p))
        out[VIT_NAMES[prefix] + key[len(prefix):]] = value
    return out


def test_tiny_vit_restores_torchvisions_weights_and_gives_its_outputs():
    torch.manual_seed(0)
    reference = randomized(torchvision.models.VisionTransformer(**VIT)).eval()
    model = compile_spec(tiny_vit(), device="cpu").eval()
    model.load_state_dict(renamed(reference.state_dict()))  # strict: every name and shape fits
    assert model.cls.class_token.shape == (1, 1, 8) and model.pos.pos_embedding.shape == (1, 17, 8)
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(model.patch(x), reference._process_input(x))
        torch.testing.assert_close(model(x), reference(x), atol=1e-5, rtol=1e-5)
    result = analyze(tiny_vit())
    assert result.ok and result.nodes["patch"].output_shape == (16, 8)
    assert sum(info.params for info in result.nodes.values()) == sum(
        p.numel() for p in reference.parameters())


def test_tiny_vit_trains_a_step(tmp_path):
    folder = make_image_folder(tmp_path / "images", classes=3, per_class=4, size=12)
    spec = tiny_vit(channels=1, size=12, classes=3)
    result = Trainer(spec, tiny_config(folder, steps=1), run_dir=tmp_path / "run").run()
    assert result.status == "finished", result.reason
    assert result.step == 1


# ---- multiply-adds ------------------------------------------------------------------------------------


def macs(layer_type: str, shape: list[int], **args) -> int:
    b = SpecBuilder("m")
    b.output("out", b.layer("layer", layer_type, b.input("x", shape), **args))
    result = analyze(b.build())
    assert result.ok, result.issues
    return result.nodes["layer"].macs


def test_multiply_adds_count_the_compute():
    assert macs("patch_embedding", [3, 16, 16], embed_dim=8, patch_size=4) == macs(
        "conv2d", [3, 16, 16], out_channels=8, kernel_size=4, stride=4, padding="valid")
    assert macs("multi_head_attention", [5, 16], num_heads=4) == 4 * 5 * 16 * 16 + 2 * 5 * 5 * 16
    assert macs("squeeze_excitation", [8, 5, 4], squeeze_channels=2) > 2 * 8 * 2
    for layer_type, shape, args in [("layer_norm", [5, 6], {}), ("group_norm", [32, 2, 2], {}),
                                    ("upsample", [3, 4, 4], {"mode": "bilinear"})]:
        assert macs(layer_type, shape, **args) > 0, layer_type
    assert macs("upsample", [3, 4, 4]) == 0 and macs("permute", [3, 4, 4]) == 0


# ---- ONNX -----------------------------------------------------------------------------------------


ONNX_VARIANTS = [
    ("layer_norm", [6, 4, 5], {"layout": "channels_first"}), ("gelu", [4, 3], {"approximate": "tanh"}),
    ("prelu", [4, 3, 3], {"per_channel": True}),
    ("squeeze_excitation", [8, 5, 4], {"squeeze_activation": "hardswish", "scale_activation": "hardsigmoid"}),
    ("upsample", [3, 4, 5], {"scale_factor": 1.5, "mode": "bilinear"}),
    ("upsample", [3, 4, 5], {"size": [6, 9], "mode": "bilinear", "align_corners": True}),
    ("pad", [3, 4, 5], {"padding": [1, 2, 3, 0], "mode": "reflect"}),
    ("pad", [3, 4, 5], {"padding": 2, "mode": "replicate"}),
    ("adaptive_max_pool2d", [3, 8, 6], {"output_size": [2, 3]}),  # (ONNX: sizes that divide the input's)
    ("stochastic_depth", [4, 3], {"mode": "batch"}), ("transpose", [3, 4, 5], {"dim0": 2, "dim1": 0}),
]


@pytest.mark.filterwarnings("ignore")  # the exporter's deprecation and tracer notices
@pytest.mark.parametrize("name", NEW_LAYERS)
def test_each_layer_exports_to_onnx_with_the_same_outputs(name, tmp_path):
    assert name in SAMPLE_INPUTS
    assert_onnx_equal(single_layer_spec(name), tmp_path)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("layer_type,shape,args", ONNX_VARIANTS, ids=lambda v: str(v))
def test_layer_variants_export_to_onnx_with_the_same_outputs(layer_type, shape, args, tmp_path):
    b = SpecBuilder("variant")
    b.output("out", b.layer("layer", layer_type, b.input("x", shape), **args))
    assert_onnx_equal(b.build(), tmp_path)


def assert_onnx_equal(spec, tmp_path):
    torch.manual_seed(0)
    model = compile_spec(spec, device="cpu")
    result = export_model(spec, randomized(model).state_dict(), "onnx", tmp_path / "m.onnx")
    assert result.max_abs_diff < 1e-4


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("fmt,script", [("onnx", False), ("code", False), ("torchscript", True)])
def test_the_tiny_vit_exports_with_the_same_outputs(fmt, script, tmp_path):
    torch.manual_seed(0)
    spec = tiny_vit()
    result = export_model(spec, compile_spec(spec, device="cpu").state_dict(), fmt, tmp_path / "vit",
                          script=script)
    assert result.max_abs_diff < 1e-4
