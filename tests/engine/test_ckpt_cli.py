"""`studio ckpt ls|show|diff|restore|export` on real files."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from studio.cli import main
from studio.engine.checkpoints import CheckpointStore
from studio.engine.compiler import compile_spec
from studio.engine.spec.io import save_spec
from studio.engine.templates import create_template
from tests.engine.image_folders import tiny_cnn


@pytest.fixture
def run(tmp_path):
    """A run folder with two checkpoints of a tiny CNN (the spec recorded) and the spec file."""
    spec = tiny_cnn(classes=3, size=8)
    torch.manual_seed(0)
    model = compile_spec(spec, device="cpu")
    store = CheckpointStore(tmp_path / "run" / "checkpoints", best_metric="val/accuracy")
    store.save(10, model.state_dict(), epoch=1, metrics={"val/accuracy": 0.75}, spec=spec)
    with torch.no_grad():
        model.fc.weight.mul_(2)
    store.save(20, model.state_dict(), epoch=2, metrics={"val/accuracy": 0.5}, spec=spec)
    save_spec(spec, tmp_path / "spec.json")
    return tmp_path


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_ls(run, capsys):
    code, out, _ = cli(capsys, "ckpt", "ls", run / "run")
    assert code == 0
    lines = out.splitlines()
    assert lines[1].startswith("ckpt-000000010") and lines[1].endswith("best")
    assert lines[2].endswith("last") and "val/accuracy=0.5" in lines[2]
    code, out, _ = cli(capsys, "ckpt", "ls", run / "run", "--json")
    data = json.loads(out)
    assert [(d["step"], d["is_best"], d["is_last"]) for d in data] == [(10, True, False), (20, False, True)]


def test_show(run, capsys):
    code, out, _ = cli(capsys, "ckpt", "show", run / "run")
    assert code == 0 and "ckpt-000000020.safetensors: safetensors, 4 tensors" in out
    assert "step 20, epoch 2" in out and out.splitlines()[3].startswith("conv1.weight  8x1x3x3")
    code, out, _ = cli(capsys, "ckpt", "show", run / "run" / "checkpoints" / "ckpt-000000010.json",
                       "--json", "--bins", "4")
    data = json.loads(out)
    assert data["info"]["step"] == 10 and [t["name"] for t in data["tensors"]][0] == "conv1.weight"
    assert len(data["tensors"][0]["histogram"]) == 4 and sum(data["tensors"][1]["histogram"]) == 8
    torch.save({"model": {"w": torch.zeros(3)}}, run / "foreign.pt")
    code, out, _ = cli(capsys, "ckpt", "show", run / "foreign.pt", "--no-stats")
    assert "pytorch (weights under 'model'), 1 tensors" in out and "w       3      float32" in out


def test_diff(run, capsys):
    folder = run / "run" / "checkpoints"
    code, out, _ = cli(capsys, "ckpt", "diff", folder / "ckpt-000000010.safetensors",
                       folder / "ckpt-000000020.safetensors")
    assert code == 0 and "fc.weight     changed            1" in out
    assert out.splitlines()[-1] == "1 changed, 3 identical, 0 with other shapes, 0 only in A, 0 only in B"
    code, out, _ = cli(capsys, "ckpt", "diff", folder / "ckpt-000000010.safetensors",
                       folder / "ckpt-000000020.safetensors", "--json")
    assert {d["name"]: d["status"] for d in json.loads(out)}["fc.bias"] == "same"


def test_diff_a_checkpoint_with_the_model_a_spec_builds(run, capsys):
    folder = run / "run" / "checkpoints"
    code, out, _ = cli(capsys, "ckpt", "diff", folder / "ckpt-000000010.json", run / "spec.json")
    assert code == 0 and out.splitlines()[1] == "B: model 'tiny' from " + str(run / "spec.json") + (
        " (initial weights, seed 0)")
    assert out.splitlines()[-1] == "0 changed, 4 identical, 0 with other shapes, 0 only in A, 0 only in B"
    code, out, _ = cli(capsys, "ckpt", "diff", run / "run", run / "spec.json", "--json")  # latest: step 20
    statuses = {d["name"]: d["status"] for d in json.loads(out)}
    assert statuses == {"conv1.weight": "same", "conv1.bias": "same", "fc.weight": "changed",
                        "fc.bias": "same"}
    code, out, _ = cli(capsys, "ckpt", "diff", run / "run", run / "spec.json", "--seed", "1")
    assert code == 0 and out.splitlines()[-1].startswith("4 changed, 0 identical")  # other initial weights

    save_spec(tiny_cnn(classes=5, size=8), run / "five.json")
    code, out, _ = cli(capsys, "ckpt", "diff", run / "run", run / "five.json", "--json")
    shapes = {d["name"]: (d["shape_a"], d["shape_b"]) for d in json.loads(out) if d["status"] == "shape"}
    assert shapes == {"fc.weight": ([3, 128], [5, 128]), "fc.bias": ([3], [5])}
    code, out, _ = cli(capsys, "ckpt", "diff", run / "run", "mlp", "--classes", "3")
    assert code == 0 and ["conv1.weight", "only_a", "-", "-", "only", "in", "A"] in [
        line.split() for line in out.splitlines()]
    assert out.splitlines()[-1].startswith("0 changed, 0 identical, 0 with other shapes, 4 only in A, ")
    (run / "not_a_spec.json").write_text('{"hello": 1}')
    code, _, err = cli(capsys, "ckpt", "diff", run / "run", run / "not_a_spec.json")
    assert code == 1 and err.startswith("studio: error: ") and "Traceback" not in err


def test_restore_into_a_new_head(run, capsys):
    new_spec = tiny_cnn(classes=5, size=8)
    save_spec(new_spec, run / "new.json")
    ckpt = run / "run" / "checkpoints" / "ckpt-000000020.safetensors"
    code, out, _ = cli(capsys, "ckpt", "restore", run / "new.json", "--from", ckpt, "--plan-only", "--json")
    plan = json.loads(out)
    assert code == 0 and plan["counts"] == {"restore": 2, "mismatch": 2, "missing": 0, "excluded": 0,
                                            "unused": 2}
    assert plan["output"] is None and not (run / "out.safetensors").exists()
    code, out, err = cli(capsys, "ckpt", "restore", run / "new.json", "--from", ckpt, "--fail-on-mismatch",
                         "-o", run / "out.safetensors")
    assert code == 1 and "2 tensors differ in shape, nothing restored" in err
    assert not (run / "out.safetensors").exists()
    rules = run / "rules.json"
    rules.write_text(json.dumps({"rewrites": [["^conv1\\.", "conv1."]]}))
    code, out, _ = cli(capsys, "ckpt", "restore", run / "new.json", "--from", ckpt, "--exclude", "fc",
                       "--map", rules, "-o", run / "out.safetensors")
    assert code == 0 and "2 restored, 0 shape mismatches, 0 missing (keep their initial values), 2 ex" in out
    restored, source = load_file(str(run / "out.safetensors")), load_file(str(ckpt))
    assert torch.equal(restored["conv1.weight"], source["conv1.weight"])
    assert restored["fc.weight"].shape == (5, 128)
    code, _, err = cli(capsys, "ckpt", "restore", run / "new.json", "--from", ckpt)
    assert code == 1 and "give -o" in err


def test_export(run, capsys):
    code, out, _ = cli(capsys, "ckpt", "export", run / "run", "--format", "code", "-o", run / "bundle")
    assert code == 0 and "verified with load.py (generated source)" in out
    assert (run / "bundle" / "net.py").exists()
    code, out, _ = cli(capsys, "ckpt", "export", run / "run", "--format", "onnx", "-o", run / "m.onnx",
                       "--json")
    assert json.loads(out)["opset"] == 17 and json.loads(out)["max_abs_diff"] < 1e-5
    torch.save(compile_spec(create_template("mlp", num_classes=3), device="cpu").state_dict(), run / "mlp.pt")
    code, _, err = cli(capsys, "ckpt", "export", run / "mlp.pt", "--format", "torchscript", "-o", run / "x")
    assert code == 1 and "needs the model spec" in err and "Traceback" not in err
    code, out, _ = cli(capsys, "ckpt", "export", run / "mlp.pt", "--format", "safetensors", "-o",
                       run / "mlp.safetensors", "--spec", "mlp", "--classes", "3")
    assert code == 0 and "outputs on a batch of 3 match the model" in out


def test_user_mistakes_are_one_line_errors(run, capsys):
    (run / "broken.pt").write_bytes(b"PK\x03\x04 truncated zip")
    for argv in (["ckpt", "show", run / "broken.pt"], ["ckpt", "ls", run / "missing"],
                 ["ckpt", "diff", run / "nope.pt", run / "broken.pt"],
                 ["ckpt", "restore", "mlp", "--from", run / "run", "--preset", "nope", "--plan-only"]):
        code, out, err = cli(capsys, *argv)
        if argv[1] == "ls":
            assert code == 0 and "no checkpoints" in out
            continue
        assert code == 1 and err.startswith("studio: error: ") and "Traceback" not in err
