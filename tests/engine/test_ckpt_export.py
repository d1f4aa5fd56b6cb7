"""Exports in every format, each reloaded by its own runtime and compared with the in-app model."""

from __future__ import annotations

import builtins
import importlib.util
import json

import numpy as np
import onnxruntime
import pytest
import torch
from safetensors.torch import load_file

from studio.cli import main
from studio.engine.checkpoints import CheckpointError, CheckpointStore
from studio.engine.checkpoints import export as export_module
from studio.engine.checkpoints.export import FORMATS, export_model
from studio.engine.compiler import compile_spec
from studio.engine.spec.builder import SpecBuilder
from studio.engine.templates import create_template


def two_headed_spec(merge: str = "concat"):
    """Two inputs, batch norm, a merge and two outputs: the awkward cases for exporters."""
    b = SpecBuilder("two_heads")
    image = b.input("image", [1, 8, 8])
    extra = b.input("extra", [4])
    x = b.layer("conv", "conv2d", image, out_channels=4, kernel_size=3, activation="relu")
    x = b.layer("bn", "batch_norm", x)
    x = b.layer("gap", "global_avg_pool", x)
    x = b.layer("merge", merge, [x, extra])
    b.output("scene", b.layer("scene_fc", "fully_connected", x, out_features=3))
    b.output("depth", b.layer("depth_fc", "fully_connected", x, out_features=1))
    return b.build()


@pytest.fixture(scope="module")
def trained():
    torch.manual_seed(0)
    spec = two_headed_spec()
    model = compile_spec(spec, device="cpu")
    model.train()
    for _ in range(3):  # give batch norm real running statistics
        model(torch.randn(8, 1, 8, 8), torch.randn(8, 4))
    return spec, model.eval()


def expected(model, batch: int = 5):
    inputs = (torch.randn(batch, 1, 8, 8), torch.randn(batch, 4))
    with torch.no_grad():
        return inputs, model(*inputs)


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.load's deprecation notice
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_verified_and_reloads(tmp_path, trained, fmt):
    spec, model = trained
    progress: list[float] = []
    out = tmp_path / f"export.{fmt}"
    result = export_model(spec, model, fmt, out, progress=lambda f, what: progress.append(f))
    assert result.max_abs_diff <= 1e-5 and result.batch == 3 and result.format == fmt
    assert progress[0] == 0.0 and progress[-1] == 1.0 and progress == sorted(progress)
    assert all(path.exists() for path in result.files)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left
    inputs, want = expected(model)  # reload once more here, at another batch size
    if fmt == "onnx":
        assert result.opset == 17
        session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
        assert [i.name for i in session.get_inputs()] == ["image", "extra"]
        feeds = {"image": inputs[0].numpy(), "extra": inputs[1].numpy()}
        scene, depth = session.run(["scene", "depth"], feeds)
        np.testing.assert_allclose(scene, want["scene"].numpy(), atol=1e-5)
        np.testing.assert_allclose(depth, want["depth"].numpy(), atol=1e-5)
        return
    if fmt == "torchscript":
        got = torch.jit.load(str(out))(*inputs)
    elif fmt == "code":
        assert sorted(p.name for p in out.iterdir()) == ["load.py", "net.py", "weights.safetensors"]
        loader = importlib.util.spec_from_file_location("exported_loader", out / "load.py")
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
        got = module.load_model()(*inputs)
    else:
        state = load_file(str(out)) if fmt == "safetensors" else torch.load(out, weights_only=True)
        fresh = compile_spec(spec, device="cpu")
        fresh.load_state_dict(state)
        got = fresh.eval()(*inputs)
    for name in ("scene", "depth"):
        torch.testing.assert_close(got[name], want[name])


def test_weights_only_exports_without_a_spec(tmp_path, trained):
    _, model = trained
    for fmt in ("safetensors", "pt"):
        result = export_model(None, model.state_dict(), fmt, tmp_path / f"w.{fmt}")
        assert result.batch == 0 and result.max_abs_diff == 0.0
    with pytest.raises(CheckpointError, match="needs the model spec"):
        export_model(None, model.state_dict(), "onnx", tmp_path / "m.onnx")


def test_export_from_a_store_checkpoint_and_scripted_torchscript(tmp_path):
    spec = create_template("small_cnn")
    model = compile_spec(spec, device="cpu")
    info = CheckpointStore(tmp_path / "ckpt").save(1, model.state_dict(), spec=spec)
    result = export_model(spec, info.path, "torchscript", tmp_path / "s.pt", script=True)
    assert result.verified_with == "torch.jit.load (scripted)" and result.max_abs_diff == 0.0


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.load's deprecation notice
@pytest.mark.parametrize("merge", ["concat", "add", "multiply"])
def test_scripted_torchscript_with_a_merge_layer_two_inputs_and_two_outputs(tmp_path, merge):
    torch.manual_seed(0)
    spec = two_headed_spec(merge)
    model = compile_spec(spec, device="cpu").eval()
    result = export_model(spec, model, "torchscript", tmp_path / "s.pt", script=True)
    assert result.verified_with == "torch.jit.load (scripted)" and result.max_abs_diff <= 1e-6
    loaded = torch.jit.load(str(tmp_path / "s.pt"))
    assert "xs: List[Tensor]" in loaded.merge.code  # compiled from source, not a trace of two inputs
    inputs = (torch.randn(5, 1, 8, 8), torch.randn(5, 4))  # another batch size than the export's
    got, want = loaded(*inputs), model(*inputs)
    for name in ("scene", "depth"):
        torch.testing.assert_close(got[name], want[name])


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.load's deprecation notice
@pytest.mark.parametrize("template, shape", [("resnet18", [3, 32, 32]), ("xception", [3, 71, 71])])
def test_scripted_torchscript_of_templates_with_residual_adds_from_the_command_line(
        tmp_path, template, shape, capsys):
    torch.manual_seed(0)
    spec = create_template(template, num_classes=5, input_shape=shape)
    model = compile_spec(spec, device="cpu").eval()
    info = CheckpointStore(tmp_path / "ckpt").save(1, model.state_dict(), spec=spec)
    out = tmp_path / f"{template}.pt"
    assert main(["ckpt", "export", str(info.path), "--format", "torchscript", "--script", "-o", str(out),
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["verified_with"] == "torch.jit.load (scripted)" and result["max_abs_diff"] <= 1e-5
    loaded = torch.jit.load(str(out))
    x = torch.randn(2, *shape)
    torch.testing.assert_close(loaded(x), model(x))


def test_failed_verification_leaves_no_file(tmp_path, trained, monkeypatch):
    spec, model = trained
    real_save = export_module.save_weights

    def corrupting_save(path, weights, metadata=None):
        real_save(path, {k: v + 1 if v.is_floating_point() else v for k, v in weights.items()}, metadata)

    monkeypatch.setattr(export_module, "save_weights", corrupting_save)
    with pytest.raises(CheckpointError, match="safetensors verification failed: output 'scene' differs"):
        export_model(spec, model, "safetensors", tmp_path / "bad.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_missing_onnx_packages_name_the_extra(tmp_path, trained, monkeypatch):
    spec, model = trained
    real_import = builtins.__import__

    def no_onnxruntime(name, *args, **kwargs):
        if name.split(".")[0] == "onnxruntime":
            raise ImportError(f"No module named '{name}'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnxruntime)
    with pytest.raises(CheckpointError, match=r"pip install studio\[onnx\]"):
        export_model(spec, model, "onnx", tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_bad_requests_are_clear(tmp_path, trained):
    spec, model = trained
    with pytest.raises(CheckpointError, match="unknown export format 'tflite'"):
        export_model(spec, model, "tflite", tmp_path / "m")
    with pytest.raises(CheckpointError, match="do not fit the model spec: missing scene_fc.weight"):
        export_model(spec, {k: v for k, v in model.state_dict().items() if k != "scene_fc.weight"}, "pt",
                     tmp_path / "m.pt")
    (tmp_path / "file").write_text("x")
    with pytest.raises(CheckpointError, match="not a folder"):
        export_model(spec, model, "code", tmp_path / "file")
    first = export_model(spec, model, "code", tmp_path / "bundle")
    (tmp_path / "bundle" / "stale.txt").write_text("old")
    export_model(spec, model, "code", tmp_path / "bundle")  # replaces the previous export whole
    assert sorted(p.name for p in (tmp_path / "bundle").iterdir()) == [p.name for p in sorted(first.files)]
