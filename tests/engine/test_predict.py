"""`studio predict` on a real tiny run, through the installed command: the rows equal the run's own
per-image predictions (studio eval's), an ONNX export with --run gives the same, broken files are
skipped rows, bad input is one line."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from studio.engine.checkpoints import CheckpointStore
from studio.engine.predict import image_paths, open_predictor, predict
from studio.engine.training import Trainer
from studio.engine.training.predictions import predict_run
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.engine.train_helpers import tiny_config

STUDIO = Path(sys.executable).parent / "studio"
COMMAND = [str(STUDIO)] if STUDIO.exists() else [sys.executable, "-m", "studio"]


def studio(*args) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished run on 3 classes, its validation images copied into one flat folder (no classes), and
    the run's own predictions for them keyed by the copied file's name."""
    root = tmp_path_factory.mktemp("predict")
    data = make_image_folder(root / "data", classes=3, per_class=12, size=12)
    run = root / "run"
    result = Trainer(tiny_cnn(3, 12), tiny_config(data, epochs=2), run_dir=run).run()
    assert result.status == "finished"
    own = predict_run(run, device="cpu")  # the best checkpoint on the validation split
    flat = root / "flat"
    flat.mkdir()
    expected = {}
    for i, path in enumerate(own.paths):
        name = f"{Path(path).parent.name}_{Path(path).name}"
        shutil.copy(path, flat / name)
        expected[str(flat / name)] = (own.class_names[own.predicted[i]], float(own.confidence[i]))
    return run, flat, expected


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_predict_equals_the_runs_own_predictions(trained, tmp_path):
    run, flat, expected = trained
    out = tmp_path / "out.csv"
    done = studio("predict", run, "--data", flat, "-o", out, "--device", "cpu")
    assert done.returncode == 0, done.stderr
    rows = read_csv(out)
    assert [row["path"] for row in rows] == image_paths([flat]) and len(rows) == len(expected)
    assert list(rows[0]) == ["path", "prediction", "confidence", "top1", "p1", "top2", "p2", "top3", "p3",
                             "skipped"]
    for row in rows:
        label, confidence = expected[row["path"]]
        assert row["prediction"] == label == row["top1"] and not row["skipped"]
        assert float(row["confidence"]) == pytest.approx(confidence, abs=1e-5)
        probs = [float(row[f"p{i}"]) for i in (1, 2, 3)]
        assert all(0.0 <= p <= 1.0 for p in probs) and probs == sorted(probs, reverse=True)
        assert sum(probs) == pytest.approx(1.0, abs=1e-4)  # all three classes


def test_onnx_export_with_its_run_gives_the_same(trained, tmp_path):
    pytest.importorskip("onnxruntime")
    run, flat, _ = trained
    best = CheckpointStore(run / "checkpoints", keep_last=None).best()
    assert best is not None
    onnx = tmp_path / "model.onnx"
    done = studio("ckpt", "export", best.path, "--format", "onnx", "-o", onnx)
    assert done.returncode == 0, done.stderr
    source = open_predictor(run, device="cpu")
    want = predict(source, image_paths([flat]), top_k=2)
    got = predict(open_predictor(onnx, run=run), image_paths([flat]), top_k=2)
    assert [r.path for r in got] == [r.path for r in want]
    for a, b in zip(got, want, strict=True):
        assert [name for name, _ in a.top] == [name for name, _ in b.top]
        assert max(abs(p - q) for (_, p), (_, q) in zip(a.top, b.top, strict=True)) <= 1e-4
    out = tmp_path / "onnx.csv"
    done = studio("predict", onnx, "--run", run, "--data", flat, "-o", out, "--top-k", "9")
    assert done.returncode == 0, done.stderr
    rows = read_csv(out)
    assert [row["prediction"] for row in rows] == [r.prediction for r in want]
    assert "top3" in rows[0] and "top4" not in rows[0]  # capped at the class count

    missing = studio("predict", onnx, "--data", flat)
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.strip().splitlines() == [missing.stderr.strip()]
    assert "--run RUN" in missing.stderr


def test_broken_image_is_a_skipped_row(trained, tmp_path):
    run, flat, _ = trained
    images = sorted(flat.iterdir())[:2]
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG not really")
    out = tmp_path / "out.csv"
    done = studio("predict", run, "--data", *images, broken, "-o", out, "--top-k", "1")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and f"skipped {broken}:" in done.stderr
    rows = read_csv(out)
    assert [row["path"] for row in rows] == [*map(str, images), str(broken)]
    assert rows[2]["prediction"] == "" and rows[2]["confidence"] == "" and rows[2]["skipped"]
    assert rows[0]["prediction"] and not rows[0]["skipped"] and "top2" not in rows[0]

    table = studio("predict", run, "--data", *images, broken)  # no -o: a table on stdout
    assert table.returncode == 0 and len(table.stdout.splitlines()) == 4
    assert "skipped" in table.stdout.splitlines()[3]


@pytest.mark.parametrize("case", ["not_a_run", "no_images", "missing_data", "missing_model", "bad_onnx"])
def test_bad_input_is_one_line(trained, tmp_path, case):
    run, flat, _ = trained
    (tmp_path / "empty").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("hello")
    (tmp_path / "bad.onnx").write_bytes(b"not onnx")
    args = {"not_a_run": (tmp_path / "other", "--data", flat),
            "no_images": (run, "--data", tmp_path / "empty"),
            "missing_data": (run, "--data", tmp_path / "nowhere.png"),
            "missing_model": (tmp_path / "nowhere", "--data", flat),
            "bad_onnx": (tmp_path / "bad.onnx", "--run", run, "--data", flat)}[case]
    out = tmp_path / "out.csv"
    done = studio("predict", *args, "-o", out)
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("studio: error: "), done.stderr
    assert not out.exists()


def test_names_that_are_not_utf8_are_shown_escaped(trained, tmp_path):
    run, flat, _ = trained
    folder = tmp_path / "odd"
    folder.mkdir()
    try:
        target = os.path.join(os.fsencode(folder), b"caf\xe9.png")
        shutil.copy(sorted(flat.iterdir())[0], target)
    except OSError:
        pytest.skip("the file system refuses names that are not UTF-8")
    out = tmp_path / "out.csv"
    done = studio("predict", run, "--data", folder, "-o", out)
    assert done.returncode == 0, done.stderr
    rows = read_csv(out)
    assert [row["path"] for row in rows] == [f"{folder}/caf\\xe9.png"] and rows[0]["prediction"]
    table = studio("predict", run, "--data", folder)
    assert table.returncode == 0 and "caf\\xe9.png" in table.stdout
