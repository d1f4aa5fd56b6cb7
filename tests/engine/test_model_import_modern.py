"""Importing models that read their parameters in the forward and attend (issue 14, item 3):
torchvision's ConvNeXt (layer scale), ViT (class token, position embedding, nn.MultiheadAttention,
patchify) become Studio specs whose outputs equal the originals' with the carried weights, folded
into blocks, and train; attention Studio cannot express, a parameter used otherwise and swin_t are
one line each."""

from __future__ import annotations

import textwrap

import pytest
import torch
import torchvision
from safetensors.torch import load_file
from torchvision.models.vision_transformer import VisionTransformer

from studio.cli import main
from studio.engine.compiler import compile_spec
from studio.engine.importing import ModelImportError, import_model, write_import
from studio.engine.runs import RunReader
from studio.engine.spec.io import load_spec
from tests.engine.image_folders import make_image_folder

SMALL_VIT = {"image_size": 32, "patch_size": 8, "num_layers": 3, "num_heads": 2, "hidden_dim": 32,
             "mlp_dim": 64, "num_classes": 5}


def small_vit(seed: int = 0) -> VisionTransformer:
    """A small torchvision ViT, its class token and head (zeros at first) random so that they matter."""
    torch.manual_seed(seed)
    model = VisionTransformer(**SMALL_VIT)
    with torch.no_grad():
        for tensor in (model.class_token, model.encoder.pos_embedding, model.heads.head.weight,
                       model.heads.head.bias):
            tensor.normal_()
    return model


def convnext(seed: int = 0) -> torch.nn.Module:
    """torchvision's convnext_tiny, its layer scales (1e-6 at first) random so that the blocks count."""
    torch.manual_seed(seed)
    model = torchvision.models.convnext_tiny(weights=None, num_classes=4)
    with torch.no_grad():
        for block in model.modules():
            if isinstance(block, torchvision.models.convnext.CNBlock):
                block.layer_scale.normal_(0.5, 0.2)
    return model


def reloaded(spec_path, weights_path) -> torch.nn.Module:
    model = compile_spec(load_spec(spec_path), device="cpu")
    model.load_state_dict(load_file(str(weights_path)), strict=True)
    return model.eval()


def max_diff(a: torch.nn.Module, b: torch.nn.Module, batch: torch.Tensor) -> float:
    with torch.no_grad():
        return float((a.eval()(batch) - b.eval()(batch)).abs().max())


def written_equals_original(result, original, tmp_path, shape, carried: str) -> None:
    """The written spec and weights, loaded strictly, give the original's outputs on a new batch, and
    the parameter ``carried`` (a spec name) matters: zeroed, they differ."""
    write_import(result, tmp_path / "s.json", tmp_path / "w.safetensors")
    model = reloaded(tmp_path / "s.json", tmp_path / "w.safetensors")
    batch = torch.randn(3, *shape, generator=torch.Generator().manual_seed(7))
    assert max_diff(model, original, batch) <= 1e-4
    with torch.no_grad():
        model.get_parameter(carried).zero_()
    assert max_diff(model, original, batch) > 1e-3


@pytest.fixture(scope="module")
def vit():
    original = small_vit()
    return original, import_model(original, (3, 32, 32), name="vit"), \
        import_model(original, (3, 32, 32), name="vit", flat=True)


@pytest.fixture(scope="module")
def cnx():
    original = convnext()
    return original, import_model(original, (3, 64, 64), name="convnext_tiny"), \
        import_model(original, (3, 64, 64), name="convnext_tiny", flat=True)


def test_a_small_vision_transformer_imports_verified_with_its_blocks(vit, tmp_path):
    original, folded, flat = vit
    print(f"\nViT (3 layers): {folded.node_count} nodes folded, {flat.node_count} flat, "
          f"max |diff| {folded.max_diff:.3g} / {flat.max_diff:.3g}")
    assert folded.verified() and flat.verified()
    nodes = folded.spec.nodes
    assert [nodes[n].type for n in ("conv_proj", "class_token", "encoder_pos_embedding")] == [
        "patch_embedding", "class_token", "position_embedding"]  # _process_input, the two parameters
    assert nodes["conv_proj"].args["patch_size"] == [8, 8] and nodes["conv_proj"].args["embed_dim"] == 32
    assert nodes["encoder_layers_encoder_layer_0"].args["block"] == "encoder_block"
    assert nodes["encoder_layers"].repeat == 2  # encoder_layer_1 and _2, equal uses
    assert {n.type for n in nodes.values()} >= {"select", "layer_norm", "fully_connected"}
    assert "dropout" not in {n.type for n in flat.spec.nodes.values()}  # p = 0: the identity
    block = {n.id: n.type for n in folded.spec.blocks["encoder_block"].graph.nodes.values()}
    assert block["self_attention"] == "multi_head_attention"
    assert flat.node_count == 32 and folded.node_count == 10
    names = folded.names
    assert names["class_token"] == "class_token.class_token"
    assert names["encoder.pos_embedding"] == "encoder_pos_embedding.pos_embedding"
    assert names["conv_proj.weight"] == "conv_proj.conv_proj.weight"
    assert names["encoder.layers.encoder_layer_0.self_attention.in_proj_weight"] == \
        "encoder_layers_encoder_layer_0.self_attention.in_proj_weight"
    assert names["encoder.layers.encoder_layer_2.self_attention.out_proj.bias"] == \
        "encoder_layers.encoder_layers_2.self_attention.out_proj.bias"
    assert sorted(names) == sorted(original.state_dict())  # every tensor carried

    written_equals_original(folded, original, tmp_path, (3, 32, 32), "class_token.class_token")


def test_convnext_tiny_imports_verified_as_one_block_with_a_drop_parameter(cnx, tmp_path):
    original, folded, flat = cnx
    print(f"\nconvnext_tiny: {folded.node_count} nodes folded, {flat.node_count} flat, "
          f"max |diff| {folded.max_diff:.3g} / {flat.max_diff:.3g}")
    assert folded.verified() and flat.verified()
    spec = folded.spec
    uses = [n for n in spec.nodes.values() if n.type == "block" and n.args["block"] == "cn_block"]
    assert len(uses) == 18 and folded.node_count == 29
    drops = [n.args["p"] for n in uses]
    assert drops[0] == 0.0 and drops[-1] == pytest.approx(0.1) and len(set(drops)) == 18  # a parameter
    body = {n.id: n for n in spec.blocks["cn_block"].graph.nodes.values()}
    assert body["layer_scale"].type == "layer_scale" and body["stochastic_depth"].args["p"] == "$p"
    assert body["block_1"].type == "permute"  # torchvision's Permute module: one op, not a block
    assert folded.names["features.5.4.layer_scale"] == "features_5_4.layer_scale.layer_scale"
    assert flat.names["features.5.4.layer_scale"] == "features_5_4_layer_scale.layer_scale"
    assert sum(n.type == "layer_scale" for n in flat.spec.nodes.values()) == 18
    assert sorted(folded.names) == sorted(original.state_dict())

    written_equals_original(folded, original, tmp_path, (3, 64, 64), "features_5_4.layer_scale.layer_scale")


def test_a_fresh_layer_scale_keeps_its_start_value():
    torch.manual_seed(1)
    model = torchvision.models.convnext_tiny(weights=None, num_classes=3)
    model.features = model.features[:2]  # the stem and the first stage are enough
    model.classifier = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                                           torch.nn.Linear(96, 3))
    result = import_model(model, (3, 32, 32))
    assert result.verified()
    scale = result.spec.blocks["cn_block"].graph.nodes["layer_scale"]
    assert scale.args["init_value"] == 1e-6  # torchvision's start, as Studio's template draws it


def test_a_vision_transformer_from_the_command_line_trains_a_step(tmp_path, capsys):
    spec, weights = tmp_path / "vit.json", tmp_path / "vit.safetensors"
    code = main(["model", "import", "torchvision.models.vision_transformer:VisionTransformer", "-o",
                 str(spec), "--weights", str(weights), "--input-shape", "3", "32", "32", "--kwargs",
                 '{"image_size": 32, "patch_size": 8, "num_layers": 2, "num_heads": 2, "hidden_dim": 32, '
                 '"mlp_dim": 64, "num_classes": 3}'])
    out, err = capsys.readouterr()
    assert code == 0 and err == "", err
    assert "nodes (2 blocks)" in out and "(verified)" in out
    model = reloaded(spec, weights)  # every tensor by name, strictly
    assert "encoder_layers_encoder_layer_1.self_attention.in_proj_weight" in model.state_dict()

    data = make_image_folder(tmp_path / "images", classes=3, per_class=4, size=32, mode="RGB")
    code = main(["train", str(spec), "--data", str(data), "--steps", "1", "--batch-size", "4",
                 "--run-dir", str(tmp_path / "run"), "--device", "cpu", "--threads", "1", "--quiet"])
    assert code == 0, capsys.readouterr().err
    assert RunReader(tmp_path / "run").status().step == 1


def test_imported_convnext_trains_a_step(cnx, tmp_path, capsys):
    _, folded, _ = cnx
    write_import(folded, tmp_path / "c.json", tmp_path / "c.safetensors")
    data = make_image_folder(tmp_path / "images", classes=4, per_class=1, size=64, mode="RGB")
    code = main(["train", str(tmp_path / "c.json"), "--data", str(data), "--steps", "1", "--batch-size",
                 "2", "--run-dir", str(tmp_path / "run"), "--device", "cpu", "--threads", "1", "--quiet"])
    assert code == 0, capsys.readouterr().err
    assert RunReader(tmp_path / "run").status().step == 1


USER_MODULE = '''
import torch
from torch import nn


class Attend(nn.Module):
    """Tokens from an 8-channel image, attended in one of several ways."""

    def __init__(self, mode="self", batch_first=True):
        super().__init__()
        self.proj = nn.Linear(8, 8)
        self.attn = nn.MultiheadAttention(8, 2, batch_first=batch_first)
        self.gamma = nn.Parameter(torch.ones(8))
        self.mode = mode

    def forward(self, x):
        t = x.flatten(2).transpose(1, 2)
        if self.mode == "cross":
            return self.attn(t, self.proj(t), t)[0]
        if self.mode == "mask":
            return self.attn(t, t, t, attn_mask=torch.zeros(16, 16))[0]
        if self.mode == "weights":
            return self.attn(t, t, t)[1]
        if self.mode == "gamma":
            return t * self.gamma
        out, _ = self.attn(t, t, t)
        return out


def make(**kwargs):
    torch.manual_seed(0)
    return Attend(**kwargs)
'''


@pytest.fixture(scope="module")
def user_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("user") / "attend.py"
    path.write_text(textwrap.dedent(USER_MODULE))
    return path


def test_self_attention_in_a_user_module_imports(user_file, tmp_path, capsys):
    code = main(["model", "import", f"{user_file}:make", "-o", str(tmp_path / "s.json"), "--input-shape",
                 "8", "4", "4"])
    out, err = capsys.readouterr()
    assert code == 0 and err == "" and "(verified)" in out
    assert load_spec(tmp_path / "s.json").nodes["attn"].args["num_heads"] == 2


@pytest.mark.parametrize(("kwargs", "message"), [
    ('{"mode": "cross"}', "cannot map module 'attn' (nn.MultiheadAttention): query, key and value are "
     "different tensors"),
    ('{"mode": "mask"}', "cannot map module 'attn' (nn.MultiheadAttention): it is called with attn_mask"),
    ('{"mode": "weights"}', "cannot map module 'attn' (nn.MultiheadAttention): it uses the attention "
     "weights"),
    ('{"batch_first": false}', "cannot map module 'attn' (nn.MultiheadAttention): batch_first is False"),
    ('{"mode": "gamma"}', "cannot map node 'gamma': it reads the parameter 'gamma' directly and uses it "
     "in operator.mul (Studio's layers own their weights: a parameter maps only as a layer scale"),
])
def test_what_studio_cannot_attend_or_carry_is_one_line(user_file, tmp_path, capsys, kwargs, message):
    code = main(["model", "import", f"{user_file}:make", "-o", str(tmp_path / "s.json"), "--input-shape",
                 "8", "4", "4", "--kwargs", kwargs])
    out, err = capsys.readouterr()
    assert code == 1 and out == "" and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "s.json").exists()


def test_swin_t_is_still_one_line():
    torch.manual_seed(0)
    with pytest.raises(ModelImportError, match="reads the parameter 'features.1.0.attn.relative_position_"
                       "bias_table' directly and uses it in torchvision.models.swin_transformer."
                       "_get_relative_position_bias"):
        import_model(torchvision.models.swin_t(weights=None, num_classes=3), (3, 64, 64))
