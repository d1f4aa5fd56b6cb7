"""studio.engine.pretrained: weight files in the torch hub cache, the head of every template with a
torchvision preset, the restore step "all but the head", and `studio train --pretrained`."""

from __future__ import annotations

import json
import os

import pytest
import torch
import torchvision

from studio.cli import main
from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.compiler import compile_spec
from studio.engine.pretrained import (
    cached_weights,
    finetune_init,
    head_nodes,
    hub_checkpoints_dir,
    no_cached_weights,
    plan_counts,
    plan_finetune,
    preset_for,
    pretrained_templates,
    template_spec,
)
from tests.engine.image_folders import make_image_folder

HEADS = {"alexnet": "fc8", "vgg16": "fc8", "resnet18": "fc", "resnet34": "fc", "resnet50": "fc",
         "mobilenet_v2": "fc", "mobilenet_v3_small": "fc2", "mobilenet_v3_large": "fc2",
         "efficientnet_b0": "fc", "convnext_tiny": "fc", "vit_b_16": "head"}


@pytest.fixture
def hub(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    folder = tmp_path / "torch" / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture(scope="module")
def mobilenet_file(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / "mobilenet_v3_small-047dcff4.pth"
    torch.save(torchvision.models.mobilenet_v3_small(weights=None).state_dict(), path)
    return path


def test_the_cache_lists_only_matching_files_on_disk(hub):
    assert hub_checkpoints_dir() == hub
    names = ["mobilenet_v3_small-047dcff4.pth", "mobilenet_v3_small-0a0b0c0d.pth",
             "mobilenet_v3_large-8738ca79.pth", "efficientnet_b0_rwightman-7f5810bc.pth",
             "resnet18-f37072fd.pth", "resnet18-f37072fd.pth.partial", "notes.txt"]
    for age, name in enumerate(names):
        (hub / name).write_bytes(b"x")
        os.utime(hub / name, (1000 + age, 1000 + age))
    assert [p.name for p in cached_weights("mobilenet_v3_small")] == [
        "mobilenet_v3_small-0a0b0c0d.pth", "mobilenet_v3_small-047dcff4.pth"]  # newest first
    assert [p.name for p in cached_weights("efficientnet_b0")] == ["efficientnet_b0_rwightman-7f5810bc.pth"]
    assert [p.name for p in cached_weights("resnet18")] == ["resnet18-f37072fd.pth"]
    assert cached_weights("resnet50") == []
    assert cached_weights("resnet18", hub / "missing") == []
    assert no_cached_weights("resnet50") == "no cached weights for resnet50: choose a file"


def test_every_template_with_a_torchvision_preset_is_offered():
    assert set(HEADS) == set(pretrained_templates())
    for name in pretrained_templates():
        assert preset_for(name) is not None and preset_for(name).template == name


@pytest.mark.parametrize("name", sorted(HEADS))
def test_the_head_is_the_layer_sized_by_the_class_count(name):
    spec = template_spec(name, 7)
    assert head_nodes(spec) == (HEADS[name],)
    # the head owns exactly the tensors whose shape follows the class count
    one = {k: v.shape for k, v in compile_spec(spec, device="meta").state_dict().items()}
    two = {k: v.shape for k, v in compile_spec(template_spec(name, 9), device="meta").state_dict().items()}
    changed = {k.split(".")[0] for k in one if one[k] != two[k]}
    assert changed == {HEADS[name]}


def test_all_but_the_head_restore_from_torchvisions_state_dict(mobilenet_file):
    spec = template_spec("mobilenet_v3_small", 2, (3, 32, 32))
    preset = preset_for("mobilenet_v3_small")
    plan = plan_finetune(spec, mobilenet_file, head_nodes(spec), preset)
    assert plan_counts(plan) == {"restored": 242, "head": 2, "mismatched": 0, "missing": 0, "unused": 2}
    assert {entry.name for entry in plan.of_status("excluded")} == {"fc2.weight", "fc2.bias"}
    init = finetune_init(mobilenet_file, head_nodes(spec), preset, freeze=True)
    assert (init.checkpoint, init.exclude, init.freeze) == (str(mobilenet_file), ("fc2",), True)
    assert init.mapping == preset.mapping.to_dict()


def test_weights_of_another_architecture_are_one_sentence(tmp_path):
    resnet = tmp_path / "resnet18-f37072fd.pth"
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), resnet)
    spec = template_spec("mobilenet_v3_small", 2)
    with pytest.raises(CheckpointError) as caught:
        plan_finetune(spec, resnet, head_nodes(spec), preset_for("mobilenet_v3_small"))
    message = str(caught.value)
    assert "another architecture" in message and "resnet18-f37072fd.pth" in message and "\n" not in message


@pytest.mark.parametrize("content", ["list", "code"])
def test_a_file_that_is_not_weights_is_one_sentence(tmp_path, content):
    path = tmp_path / "mobilenet_v3_small-bad.pth"
    if content == "list":
        torch.save([1, 2, 3], path)
    else:
        torch.save({"run": os.system}, path)  # a pickle naming code (weights_only refuses it)
    spec = template_spec("mobilenet_v3_small", 2)
    with pytest.raises(CheckpointError) as caught:
        plan_finetune(spec, path, head_nodes(spec), preset_for("mobilenet_v3_small"))
    assert "\n" not in str(caught.value)


def test_studio_train_pretrained_fine_tunes_all_but_the_head(mobilenet_file, tmp_path, capsys):
    data = make_image_folder(tmp_path / "data", classes=2, per_class=4, size=32, mode="RGB")
    run = tmp_path / "run"
    assert main(["train", "mobilenet_v3_small", "--pretrained", str(mobilenet_file), "--freeze-backbone",
                 "--data", str(data), "--steps", "1", "--batch-size", "4", "--device", "cpu",
                 "--run-dir", str(run), "--quiet"]) == 0
    init = json.loads((run / "config.json").read_text())["init"]
    assert init[0]["checkpoint"] == str(mobilenet_file) and init[0]["exclude"] == ["fc2"]
    assert init[0]["freeze"] is True


def test_studio_train_pretrained_refuses_another_architecture(tmp_path, capsys):
    resnet = tmp_path / "resnet18.pth"
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), resnet)
    data = make_image_folder(tmp_path / "data", classes=2, per_class=4, size=32, mode="RGB")
    run = tmp_path / "run"
    assert main(["train", "mobilenet_v3_small", "--pretrained", str(resnet), "--data", str(data),
                 "--steps", "1", "--run-dir", str(run), "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("studio: error: ") and "another architecture" in err and "\n" not in err
    assert not run.exists()
