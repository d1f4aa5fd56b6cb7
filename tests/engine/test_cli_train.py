"""`studio train` and `studio eval` through the real command line entry point."""

from __future__ import annotations

import json

import pytest

from studio.cli import main
from studio.engine.runs import RunReader
from studio.engine.spec.io import save_spec
from tests.engine.image_folders import make_image_folder, tiny_cnn


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    make_image_folder(root / "train", classes=3, per_class=10, size=12)
    make_image_folder(root / "val", classes=3, per_class=4, size=12, seed=5)
    save_spec(tiny_cnn(3, 12), root / "spec.json")
    return root


def test_train_then_eval(folders, tmp_path, capsys):
    run = tmp_path / "run"
    code = main(["train", str(folders / "spec.json"), "--data", str(folders / "train"), "--val-data",
                 str(folders / "val"), "--epochs", "2", "--batch-size", "8", "--lr", "0.01",
                 "--run-dir", str(run), "--device", "cpu", "--threads", "1", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and "finished (completed) at step 8" in out and "val/accuracy" in out
    status = RunReader(run).status()
    assert status.state == "finished" and status.step == 8 and status.epoch == 2  # not a stale heartbeat's
    assert RunReader(run).config()["data"]["val_root"] == str(folders / "val")

    assert main(["eval", str(run), "--data", str(folders / "val"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["step"] == 8 and report["images"] == 12 and 0.0 <= report["metrics"]["accuracy"] <= 1.0
    assert report["class_names"] == ["c0", "c1", "c2"] and "confusion" in report["details"]
    training_accuracy = RunReader(run).status().metrics["val/accuracy"]
    assert report["metrics"]["accuracy"] == pytest.approx(training_accuracy)  # same images, same model

    assert main(["eval", str(run), "--data", str(folders / "val"), "--watch", "--timeout", "0"]) == 0
    assert "ckpt-000000004" in capsys.readouterr().out
    scored = [json.loads(line) for line in (run / "eval" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in scored] == [4, 8]


def test_train_a_template_sized_for_the_data_and_resume(folders, tmp_path, capsys):
    run = tmp_path / "run"
    args = ["train", "mlp", "--data", str(folders / "train"), "--steps", "3", "--batch-size", "4",
            "--run-dir", str(run), "--threads", "1", "--quiet"]
    assert main(args) == 0
    assert RunReader(run).spec().meta["template"] == "mlp"
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--steps", "5", "--threads", "1", "--quiet", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "finished" and result["step"] == 5 and result["run_dir"] == str(run)


@pytest.mark.parametrize(("args", "message"), [
    (["train", "small_cnn", "--data", "/nonexistent/folder"], "does not exist"),
    (["train", "nonsense_spec", "--data", "DATA"], "neither a spec file nor a template"),
    (["train", "small_cnn"], "no training data"),
    (["train", "SPEC", "--data", "DATA", "--config", "/nonexistent.json"], "cannot read training config"),
    (["eval", "/nonexistent/run", "--data", "DATA"], "does not exist"),
])
def test_mistakes_exit_1_with_one_line(folders, capsys, args, message):
    args = [str(folders / "train") if a == "DATA" else str(folders / "spec.json") if a == "SPEC" else a
            for a in args]
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("studio: error:") and message in err[-1]
    assert "Traceback" not in "\n".join(err)


def test_a_failed_run_exits_1(folders, tmp_path, capsys):
    spec = tiny_cnn(2, 12)  # two outputs for three classes
    save_spec(spec, tmp_path / "two.json")
    code = main(["train", str(tmp_path / "two.json"), "--data", str(folders / "train"), "--threads", "1",
                 "--quiet"])
    assert code == 1 and "set fc to 3 outputs" in capsys.readouterr().err
