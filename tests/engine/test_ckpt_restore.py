"""Partial restore: selection patterns, name mapping rules, the plan, applying it, freezing."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from studio.engine.checkpoints import CheckpointError
from studio.engine.checkpoints.mapping import NameMapping
from studio.engine.checkpoints.plan import make_plan, plan_restore
from studio.engine.checkpoints.restore import apply_plan, freeze, restore, unfreeze
from studio.engine.checkpoints.selection import Selection

NAMES = ["conv1.weight", "conv1.bias", "fc6.weight", "fc6.fc6_1.weight", "fc60.weight", "fc7.bias",
         "entry_flow_1.sep.weight", "bn.running_mean"]


@pytest.mark.parametrize(("include", "exclude", "expected"), [
    ((), ("fc6",), ["conv1.weight", "conv1.bias", "fc60.weight", "fc7.bias", "entry_flow_1.sep.weight",
                    "bn.running_mean"]),
    (("fc6",), (), ["fc6.weight", "fc6.fc6_1.weight"]),
    (("scope:fc6.",), (), ["fc6.weight", "fc6.fc6_1.weight"]),
    (("name:fc6.weight",), (), ["fc6.weight"]),
    (("suffix:.bias",), (), ["conv1.bias", "fc7.bias"]),
    (("fc*.weight",), (), ["fc6.weight", "fc6.fc6_1.weight", "fc60.weight"]),
    (("glob:*_1.*",), (), ["fc6.fc6_1.weight", "entry_flow_1.sep.weight"]),
    ((r"re:^fc\d\.",), (), ["fc6.weight", "fc6.fc6_1.weight", "fc7.bias"]),
    (("conv1", "fc6"), ("suffix:.bias", "name:fc6.fc6_1.weight"), ["conv1.weight", "fc6.weight"]),
    ((), ("fc6", "fc7", "fc60", "re:running_"), ["conv1.weight", "conv1.bias", "entry_flow_1.sep.weight"]),
])
def test_selection_patterns(include, exclude, expected):
    assert Selection(include, exclude).select(NAMES) == expected


def test_selection_round_trip_and_errors():
    selection = Selection(include=("conv1",), exclude=("re:bias$", "fc9"))
    assert Selection.from_dict(json.loads(json.dumps(selection.to_dict()))) == selection
    assert selection.unused_patterns(NAMES) == ["fc9"]
    with pytest.raises(CheckpointError, match="bad regular expression"):
        Selection(include=("re:(",))
    with pytest.raises(CheckpointError, match="empty selection pattern"):
        Selection(exclude=("name:",))


def test_mapping_rules_in_order(tmp_path):
    mapping = NameMapping(strip_prefixes=("module.", "vgg16/"),
                          rewrites=(("/", "."), (r"params1$", "weight")), add_prefix="net.",
                          table={"vgg16/global_step": None, "special": "head.weight"})
    assert mapping.map("vgg16/conv1/params1") == "net.conv1.weight"
    assert mapping.map("module.fc/params1") == "net.fc.weight"
    assert mapping.map("vgg16/global_step") is None and mapping.map("special") == "head.weight"
    assert NameMapping(rewrites=((r"^aux\..*", ""),)).map("aux.fc.weight") is None
    assert NameMapping().map("x.y") == "x.y" and NameMapping().is_identity
    path = mapping.save(tmp_path / "rules.json")
    assert NameMapping.load(path) == mapping
    (tmp_path / "bad.json").write_text('{"strip": ["module."]}')
    with pytest.raises(CheckpointError, match="unknown key"):
        NameMapping.load(tmp_path / "bad.json")
    (tmp_path / "bad2.json").write_text('{"rewrites": [["a"]]}')
    with pytest.raises(CheckpointError, match="malformed name mapping"):
        NameMapping.load(tmp_path / "bad2.json")
    with pytest.raises(CheckpointError, match="cannot read name mapping"):
        NameMapping.load(tmp_path / "missing.json")
    with pytest.raises(CheckpointError, match="bad regular expression"):
        NameMapping(rewrites=(("[", "x"),))


def test_plan_lists_every_tensor():
    model = {"conv.weight": (4, 1, 3, 3), "conv.bias": (4,), "fc.weight": (10, 16), "fc.bias": (10,),
             "new.weight": (2, 2)}
    ckpt = {"module.conv.weight": (4, 1, 3, 3), "module.conv.bias": (4,), "module.fc.weight": (5, 16),
            "module.fc.bias": (5,), "module.extra": (3,), "step": ()}
    mapping = NameMapping(strip_prefixes=("module.",), table={"step": None})
    plan = make_plan(model, ckpt, Selection(exclude=("name:fc.bias",)), mapping)
    statuses = {e.name: (e.status, e.source, e.source_shape) for e in plan.model}
    assert statuses == {
        "conv.weight": ("restore", "module.conv.weight", (4, 1, 3, 3)),
        "conv.bias": ("restore", "module.conv.bias", (4,)),
        "fc.weight": ("mismatch", "module.fc.weight", (5, 16)),
        "fc.bias": ("excluded", "module.fc.bias", (5,)),
        "new.weight": ("missing", None, None)}
    used = {e.name: (e.used, e.reason) for e in plan.checkpoint}
    assert used == {"module.conv.weight": (True, "restored"), "module.conv.bias": (True, "restored"),
                    "module.fc.weight": (False, "shape mismatch"), "module.fc.bias": (False, "excluded"),
                    "module.extra": (False, "not in model"), "step": (False, "dropped by mapping")}
    assert plan.counts == {"restore": 2, "mismatch": 1, "missing": 1, "excluded": 1, "unused": 4}
    assert "2 restored, 1 shape mismatches" in plan.summary()
    assert json.loads(json.dumps(plan.to_dict()))["model"][2]["source_shape"] == [5, 16]
    with pytest.raises(CheckpointError, match="both map to model tensor 'x'"):
        make_plan({"x": (1,)}, {"a.x": (1,), "b.x": (1,)}, mapping=NameMapping(strip_prefixes=("a.", "b.")))


class Net(nn.Module):
    def __init__(self, classes: int = 3) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                                      nn.AdaptiveAvgPool2d(1))
        self.head = nn.Linear(4, classes)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


def test_apply_restores_from_a_dataparallel_pt_file(tmp_path):
    torch.manual_seed(0)
    trained = Net(3)
    trained.features[1].running_mean.fill_(0.5)
    path = tmp_path / "dp.pth"
    torch.save({"epoch": 9, "state_dict": {f"module.{k}": v for k, v in trained.state_dict().items()}}, path)
    torch.manual_seed(1)
    model = Net(5)
    head_before = model.head.weight.detach().clone()
    progress: list[float] = []
    result = restore(model, path, mapping=NameMapping(strip_prefixes=("module.",)),
                     progress=lambda f, what: progress.append(f))
    assert result.plan.counts["mismatch"] == 2 and progress[-1] == 1.0
    for name, value in trained.state_dict().items():
        if not name.startswith("head."):
            assert torch.equal(model.state_dict()[name], value), name
    assert torch.equal(model.head.weight, head_before)
    assert model.features[1].running_mean[0] == 0.5


def test_fail_on_mismatch_writes_nothing(tmp_path):
    source = Net(3).state_dict()
    model = Net(5)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointError, match="2 tensors differ in shape, nothing restored: head.weight"):
        restore(model, source, on_mismatch="fail")
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    plan = plan_restore(model, source)
    with pytest.raises(CheckpointError, match="different model"):
        apply_plan(nn.Linear(2, 2), plan, source)


def test_freeze_restored_then_unfreeze():
    model = Net(5)
    result = restore(model, Net(3).state_dict(), freeze=True)
    assert set(result.frozen) == {"features.0.weight", "features.0.bias", "features.1.weight",
                                  "features.1.bias"}
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["head.weight", "head.bias"]
    assert unfreeze(model, Selection(include=("features.0",))) == ["features.0.weight", "features.0.bias"]
    assert freeze(model, ["head.bias"]) == ["head.bias"]
    assert len(unfreeze(model)) == 3 and all(p.requires_grad for p in model.parameters())
    with pytest.raises(CheckpointError, match="no parameter"):
        freeze(model, ["nope"])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_weights_store_restore_and_export(tmp_path):
    from studio.engine.checkpoints import CheckpointStore
    from studio.engine.checkpoints.diff import diff_with_model
    from studio.engine.checkpoints.export import export_model

    trained = Net(3).cuda()
    info = CheckpointStore(tmp_path).save(1, trained.state_dict())
    model = Net(3).cuda()
    restore(model, info.path)
    assert all(d.status == "same" for d in diff_with_model(info.path, model))
    result = export_model(None, model, "safetensors", tmp_path / "w.safetensors")
    assert result.max_abs_diff == 0.0
