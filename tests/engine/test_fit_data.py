"""The model fits the data: an input without a shape takes the images' shape, a head whose width is not
the class count is a located issue with its fix, `studio train` refuses such a head before decoding
in one line, a loss or metric failing is never an "internal error", and a run that fails before its
first step leaves no run folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from studio.engine.data import DataConfig
from studio.engine.data.facts import DataFacts, data_facts
from studio.engine.errors import SpecError
from studio.engine.spec.analysis import analyze, fitted_spec
from studio.engine.spec.builder import SpecBuilder
from studio.engine.spec.io import load_spec, save_spec, spec_to_dict
from studio.engine.templates import create_template
from studio.engine.training import TrainConfig, Trainer
from studio.engine.training.config import LossConfig
from studio.engine.training.evaluator import Evaluator
from studio.engine.training.losses import Head, LossError, LossSet
from tests.engine.image_folders import make_image_folder, tiny_cnn

REPO = Path(__file__).resolve().parents[2]
REFUSAL = "output 'logits' gives 128 values but the data has 3 classes: set fc1 to 3 outputs"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return make_image_folder(tmp_path_factory.mktemp("fit") / "data", classes=3, per_class=8, size=12)


def wide_head(shape=None, units: int = 128):
    """input (no shape) -> flatten -> fc1 (units, relu) -> dropout -> logits: the layers a user drags in."""
    b = SpecBuilder("drawn")
    x = b.input("image1", shape)
    x = b.layer("flat", "flatten", x)
    x = b.layer("fc1", "fully_connected", x, out_features=units, activation="relu")
    x = b.layer("drop", "dropout", x, p=0.2)
    b.output("logits", x)
    return b.build()


def test_the_facts_of_a_folder_are_its_images_shape_and_classes(folder, tmp_path):
    facts = data_facts(DataConfig(str(folder)))
    assert facts.shape == (1, 12, 12) and facts.class_names == ("c0", "c1", "c2") and facts.num_classes == 3
    rgb = make_image_folder(tmp_path / "rgb", classes=2, per_class=3, size=20, mode="RGB")
    assert data_facts(DataConfig(str(rgb))).shape == (3, 20, 20)


def test_an_input_without_a_shape_is_an_issue_until_the_data_is_known(folder):
    spec = wide_head(units=3)
    issues = analyze(spec).issues
    assert [(i.node, i.arg) for i in issues] == [("image1", "shape")]
    assert "choose a data folder" in issues[0].message and "or set one" in issues[0].message
    analysis = analyze(spec, data=data_facts(DataConfig(str(folder))))
    assert analysis.ok and analysis.nodes["image1"].output_shape == (1, 12, 12)
    assert analysis.nodes["image1"].args["shape"].source == "data"
    assert analysis.nodes["fc1"].params == 144 * 3 + 3
    broken = analyze(spec, data=DataFacts(problem="no usable images in /x/empty"))
    assert "no usable images in /x/empty" in broken.issues[0].message


def test_an_explicit_shape_wins_over_the_data(folder):
    spec = wide_head(shape=[1, 8, 8], units=3)
    analysis = analyze(spec, data=data_facts(DataConfig(str(folder))))
    assert analysis.nodes["image1"].output_shape == (1, 8, 8)
    assert analysis.nodes["image1"].args["shape"].source == "explicit"


def test_a_head_wider_than_the_classes_is_located_with_its_fix(folder):
    facts = data_facts(DataConfig(str(folder)))
    analysis = analyze(wide_head(), data=facts)
    [issue] = analysis.issues
    assert issue.node == "logits" and issue.about == "data"
    assert issue.message == REFUSAL
    assert (issue.fix.node, issue.fix.arg, issue.fix.value, issue.fix.label) == (
        "fc1", "out_features", 3, "Set fc1 to 3 outputs")
    assert issue.to_dict()["fix"]["label"] == "Set fc1 to 3 outputs"
    narrow = analyze(wide_head(units=2), data=facts).issues
    assert "gives 2 values" in narrow[0].message and narrow[0].fix.value == 3


def test_the_fix_goes_back_through_pooling_to_a_convolution_or_says_what_to_do(folder):
    facts = data_facts(DataConfig(str(folder)))
    b = SpecBuilder("conv_head")
    x = b.layer("conv", "conv2d", b.input("image"), out_channels=8, kernel_size=3)
    b.output("logits", b.layer("gap", "global_avg_pool", b.layer("act", "relu", x)))
    [issue] = analyze(b.build(), data=facts).issues
    assert (issue.fix.node, issue.fix.arg) == ("conv", "out_channels")
    assert "set conv to 3 output channels" in issue.message
    b = SpecBuilder("repeated")
    x = b.layer("fc", "fully_connected", b.layer("flat", "flatten", b.input("image")), out_features=8,
                repeat=2)
    b.output("logits", x)
    [issue] = analyze(b.build(), data=facts).issues
    assert issue.fix is None and "make the layer before it give 3 values" in issue.message
    b = SpecBuilder("unflat")
    b.output("logits", b.input("image"))
    [issue] = analyze(b.build(), data=facts).issues
    assert "one value per class" in issue.message


def test_only_the_outputs_a_loss_trains_must_fit(folder):
    b = SpecBuilder("two")
    x = b.layer("flat", "flatten", b.input("image"))
    b.output("logits", b.layer("fc", "fully_connected", x, out_features=3))
    b.output("embedding", b.layer("emb", "fully_connected", x, out_features=16))
    facts = data_facts(DataConfig(str(folder)))
    assert [i.node for i in analyze(b.build(), data=facts).issues] == ["embedding"]
    assert analyze(b.build(), data=DataFacts(facts.shape, facts.class_names, heads=("logits",))).ok


def test_the_fitted_spec_holds_the_data_shape_and_stays_compatible(folder):
    facts = data_facts(DataConfig(str(folder)))
    spec = wide_head(units=3)
    assert "shape" not in spec_to_dict(spec)["nodes"][0]["args"]  # unset: simply absent
    fitted = fitted_spec(spec, facts)
    assert fitted.graph.nodes["image1"].args["shape"] == [1, 12, 12] and "shape" not in spec.graph.nodes[
        "image1"].args
    with pytest.raises(SpecError, match="set fc1 to 3 outputs"):
        fitted_spec(wide_head(), facts)
    for name in ("small_cnn", "lenet5", "mlp"):  # templates declare their shape: unchanged by the data
        template = create_template(name, num_classes=3)
        before = spec_to_dict(template)
        assert spec_to_dict(fitted_spec(template, facts)) == before


def test_training_an_unset_input_takes_the_data_shape_and_records_it(folder, tmp_path):
    config = TrainConfig.from_dict({"data": {"root": str(folder), "keep_decoded": False}, "epochs": 1,
                                    "batch_size": 8, "threads": 1})
    result = Trainer(wide_head(units=3), config, run_dir=tmp_path / "run").run()
    assert result.status == "finished", result.reason
    saved = json.loads((tmp_path / "run" / "spec.json").read_text())
    assert saved["nodes"][0]["args"]["shape"] == [1, 12, 12]  # the run's spec compiles on its own


def test_a_head_that_does_not_fit_is_refused_before_any_image_is_decoded(folder, tmp_path, monkeypatch):
    import studio.engine.training.session as session

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded the images of a model that cannot fit them")

    monkeypatch.setattr(session, "prepare_image_data", no_decoding)
    config = TrainConfig.from_dict({"data": {"root": str(folder)}, "epochs": 1})
    result = Trainer(wide_head(), config, run_dir=tmp_path / "run").run()
    assert result.status == "failed"
    assert result.reason == REFUSAL
    assert not (tmp_path / "run").exists()  # and no run folder is left


def test_studio_train_refuses_a_wide_head_in_one_line_before_decoding(folder, tmp_path):
    save_spec(wide_head(), tmp_path / "spec.json")
    env = {**os.environ, "STUDIO_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "studio", "train", str(tmp_path / "spec.json"), "--data",
                           str(folder), "--run-dir", str(tmp_path / "run"), "--quiet"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and lines == [f"studio: error: {REFUSAL}"]
    assert not (tmp_path / "cache").exists() and not (tmp_path / "run").exists()  # nothing decoded or written
    assert load_spec(tmp_path / "spec.json").graph.nodes["fc1"].args["out_features"] == 128


def test_a_loss_or_a_metric_that_fails_is_named_never_an_internal_error():
    head = Head("logits", "cross_entropy", LossConfig())
    labels = torch.tensor([0, 1, 2, 2])
    with pytest.raises(LossError, match="cross_entropy loss of output 'logits' cannot be computed"):
        LossSet([head], regularized=False)({"logits": torch.zeros(4, 2)}, labels)  # label 2 of 2 values
    evaluator = Evaluator([head], 3, torch.device("cpu"))
    with pytest.raises(LossError, match="validation metrics of output 'logits'") as caught:
        evaluator._update(head, torch.zeros(4, 128, 2), labels)  # what torchmetrics refuses
    assert "internal error" not in str(caught.value) and "does not compile" not in str(caught.value)


def test_a_train_that_fails_before_its_first_step_leaves_no_run(tmp_path):
    (tmp_path / "empty").mkdir()
    config = TrainConfig.from_dict({"data": {"root": str(tmp_path / "empty")}, "epochs": 1})
    result = Trainer(tiny_cnn(3, 12), config, run_dir=tmp_path / "runs" / "untitled-1").run()
    assert result.status == "failed" and "no usable images" in result.reason
    assert not (tmp_path / "runs" / "untitled-1").exists()
    kept = tmp_path / "runs" / "mine"
    (kept / "notes").mkdir(parents=True)  # a folder that was there before is never removed
    assert Trainer(tiny_cnn(3, 12), config, run_dir=kept).run().status == "failed"
    assert (kept / "notes").is_dir()


def test_a_run_whose_first_step_fails_leaves_no_run_either(folder, tmp_path, monkeypatch):
    def failing(self, outputs, labels, model=None):
        raise LossError("the cross_entropy loss of output 'logits' cannot be computed")

    monkeypatch.setattr(LossSet, "__call__", failing)
    config = TrainConfig.from_dict({"data": {"root": str(folder), "keep_decoded": False}, "epochs": 1,
                                    "threads": 1})
    result = Trainer(tiny_cnn(3, 12), config, run_dir=tmp_path / "run").run()
    assert result.status == "failed" and result.reason.startswith("the cross_entropy loss")
    assert not (tmp_path / "run").exists()
