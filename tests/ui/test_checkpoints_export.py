"""The export dialog on a real checkpoint: every format, verified by the engine and read back here
by its own library; missing optional packages explained; failures shown, never raised."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from studio.engine.checkpoints.inspector import list_run
from studio.engine.checkpoints.store import recorded_spec
from studio.engine.compiler import compile_spec
from studio.ui.checkpoints import CheckpointPanel, LiveModel
from studio.ui.checkpoints import export_dialog as export_module
from tests.engine.image_folders import tiny_cnn
from tests.ui.checkpoint_runs import short_run

HAVE_ONNX = not export_module.missing_packages("onnx")
FORMATS = ["safetensors", "pt", "torchscript", "code"] + (["onnx"] if HAVE_ONNX else [])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return short_run(tmp_path_factory.mktemp("export"), classes=2, steps=8)


@pytest.fixture
def panel(qtbot, run):
    widget = CheckpointPanel(LiveModel(tiny_cnn(2)))
    qtbot.addWidget(widget)
    widget.open_run(run)
    assert widget.wait_idle(300)
    return widget


def export(dialog, qtbot, format, path, **options):
    dialog.set_format(format)
    dialog.destination.setText(str(path))
    for name, value in options.items():
        if name == "opset":
            dialog.opset.setValue(value)
        else:
            getattr(dialog, name).setChecked(value)
    with qtbot.waitSignal(dialog.sigExported, timeout=300_000):
        dialog.export_button.click()
    return dialog.result


def reference(run, batch):
    info = next(info for info in list_run(run) if info.is_best)
    model = compile_spec(recorded_spec(info.path), device="cpu")
    model.load_state_dict(load_file(str(info.path)))
    x = torch.randn(batch, 1, 12, 12, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        return model.eval(), x, model(x)


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:FutureWarning")
@pytest.mark.parametrize("format", FORMATS)
def test_export_each_format_and_read_it_back(panel, qtbot, tmp_path, run, format):
    dialog = panel.open_export_dialog()
    assert dialog.spec is not None  # the spec recorded with the checkpoint
    target = tmp_path / f"out-{format}"
    result = export(dialog, qtbot, format, target)
    assert result.format == format and result.path == target and result.max_abs_diff < 1e-4
    assert "Verified with" in dialog.status.text() and f"{result.max_abs_diff:.3g}" in dialog.status.text()
    model, x, expected = reference(run, batch=5)
    if format == "safetensors":
        got = load_file(str(target))
        assert all(torch.equal(got[name], value) for name, value in model.state_dict().items())
    elif format == "pt":
        got = torch.load(target, weights_only=True)
        assert all(torch.equal(got[name], value) for name, value in model.state_dict().items())
    elif format == "torchscript":
        loaded = torch.jit.load(str(target))
        assert torch.allclose(loaded(x), expected, atol=1e-5)
    elif format == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(target), providers=["CPUExecutionProvider"])
        (got,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})  # batch 5: dynamic
        assert np.allclose(got, expected.numpy(), atol=1e-5)
    else:  # the code bundle runs on its own, in a fresh interpreter
        np.save(tmp_path / "x.npy", x.numpy())
        script = (f"import sys, numpy, torch; sys.path.insert(0, {str(target)!r}); "
                  "from load import load_model; "
                  "y = load_model()(torch.from_numpy(numpy.load('x.npy'))); "
                  "numpy.save('y.npy', y.detach().numpy())")
        subprocess.run([sys.executable, "-c", script], check=True, cwd=tmp_path)
        assert np.allclose(np.load(tmp_path / "y.npy"), expected.numpy(), atol=1e-5)


@pytest.mark.skipif(not HAVE_ONNX, reason="onnx/onnxruntime not installed")
def test_onnx_options_opset_and_fixed_batch(panel, qtbot, tmp_path):
    import onnx

    dialog = panel.open_export_dialog()
    result = export(dialog, qtbot, "onnx", tmp_path / "fixed.onnx", opset=13, dynamic=False)
    assert result.opset == 13 and result.batch == 1 and "opset 13" in dialog.status.text()
    graph = onnx.load(str(tmp_path / "fixed.onnx"))
    assert graph.opset_import[0].version == 13
    assert graph.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 1


def test_missing_onnx_is_explained_with_the_install_command(panel, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("onnx", "onnxruntime") else real(name, *a))
    dialog = panel.open_export_dialog()
    dialog.set_format("onnx")
    assert "pip install studio[onnx]" in dialog.note.text() and not dialog.export_button.isEnabled()
    dialog.set_format("torchscript")
    assert dialog.export_button.isEnabled()


def test_weights_without_a_spec_offer_only_weight_formats(panel, qtbot, tmp_path):
    foreign = tmp_path / "foreign.pt"
    torch.save({"a.weight": torch.randn(3, 3)}, foreign)
    panel.open_file(foreign)
    assert panel.wait_idle(300)
    dialog = panel.open_export_dialog()
    assert dialog.spec is None
    enabled = {dialog.format.itemData(i): dialog.format.model().item(i).isEnabled()
               for i in range(dialog.format.count())}
    assert enabled == {"safetensors": True, "pt": True, "torchscript": False, "onnx": False, "code": False}
    result = export(dialog, qtbot, "safetensors", tmp_path / "w.safetensors")
    assert result.batch == 0 and "tensor by tensor" in dialog.status.text()


def test_a_failed_export_is_shown_not_raised(panel, qtbot, tmp_path):
    dialog = panel.open_export_dialog()
    (tmp_path / "taken").write_text("a file where the code folder should go")
    dialog.set_format("code")
    dialog.destination.setText(str(tmp_path / "taken"))
    with qtbot.waitSignal(dialog.sigFailed, timeout=120_000):
        dialog.export_button.click()
    assert "Not exported" in dialog.status.text() and "not a folder" in dialog.status.text()
    assert dialog.export_button.isEnabled() and dialog.result is None


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:FutureWarning")
def test_live_model_exports_when_no_checkpoint_is_open(qtbot, tmp_path):
    panel = CheckpointPanel(LiveModel(tiny_cnn(2)))
    qtbot.addWidget(panel)
    dialog = panel.open_export_dialog()
    result = export(dialog, qtbot, "torchscript", tmp_path / "live.pt", scripted=True)
    assert "scripted" in result.verified_with
    loaded = torch.jit.load(str(tmp_path / "live.pt"))
    x = torch.randn(2, 1, 12, 12)
    assert torch.allclose(loaded(x), panel.live.module().eval()(x), atol=1e-5)


def test_a_run_checkpoint_exports_to_the_runs_exports_folder_by_default(panel, run):
    dialog = panel.open_export_dialog()
    dialog.set_format("safetensors")
    destination = Path(dialog.destination.text())
    assert destination.parent == run.resolve() / "exports"  # not among the checkpoints the browser lists
    dialog.close()
