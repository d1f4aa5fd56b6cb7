"""File names that are not UTF-8 (bytes a camera or another OS leaves; Python gives them with lone
surrogates): scanned, decoded, split, reported escaped, trained on, resumed, scored and embedded, never
a stop. Real folders of real images, the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from studio.cli import main
from studio.engine.data import DataConfig, prepare_image_data
from studio.engine.data.split import load_split, positions_of, save_split
from studio.engine.filenames import shown_name
from studio.engine.jsonio import dumps_json, parse_json, read_json
from studio.engine.projector.embedding import Embedding
from studio.engine.spec.io import save_spec
from tests.engine.image_folders import give_undecodable_names, make_image_folder, tiny_cnn

CLASS = "cl\udce4ss2"  # the class folder b"cl\xe4ss2"


@pytest.fixture
def folder(tmp_path) -> tuple[Path, list[str]]:
    """3 classes of 8 real PNGs, two per class renamed to names that are not UTF-8, one class folder
    too; plus a broken image, a text file and an empty class folder with such names."""
    root = make_image_folder(tmp_path / "data", classes=3, per_class=8, size=8)
    try:
        renamed = give_undecodable_names(root)
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    base = os.fsencode(root)
    Path(os.fsdecode(base + b"/c0/\xfa bad.png")).write_bytes(b"not a png")
    Path(os.fsdecode(base + b"/c1/\xfb.txt")).write_text("x")
    os.mkdir(base + b"/\xfcempty")
    return root, renamed


def read_json_text(text: str):
    return parse_json(text.encode("utf-8"), "the report")  # (encodes: nothing UTF-8 cannot hold)


def test_shown_name_escapes_what_cannot_be_shown():
    assert shown_name("c0/\udcff\udcfe.png") == "c0/\\xff\\xfe.png"
    assert shown_name(b"caf\xe9.png") == "caf\\xe9.png"
    assert shown_name("café.png") == "café.png" and shown_name("plain") == "plain"
    assert shown_name("two\nlines\u202e.png") == "two\\nlines\\u202e.png"
    assert shown_name("\ud800") == "\\ud800"  # a surrogate no file system decoding makes


def test_prepare_image_data_uses_every_name_and_reports_it_escaped(folder, tmp_path):
    root, renamed = folder
    config = DataConfig(str(root), keep_decoded_dir=str(tmp_path / "decoded"))
    data = prepare_image_data(config, (1, 8, 8))
    files = set(data.split.train) | set(data.split.val)
    assert len(files) == 24 and set(renamed) <= files and len(renamed) == 6
    assert CLASS in data.class_names
    report = data.report.to_dict()
    assert read_json_text(dumps_json(report))["class_names"] == list(data.class_names)  # real names kept
    skipped = {entry["path"] for entry in report["skipped"]}
    assert skipped == {f"{root}/c0/\\xfa bad.png", f"{root}/c1/\\xfb.txt"}
    assert "class folder '\\xfcempty' has no images; it is left out" in report["warnings"]
    assert "\\xfcempty" in data.report.summary()
    data.close()

    save_split(data.split, tmp_path / "split.json")
    (tmp_path / "split.json").read_text(encoding="utf-8")  # valid UTF-8 on disk
    again = load_split(tmp_path / "split.json")
    assert again == data.split
    rows, missing = positions_of(data.train.files, again.train)
    assert missing == 0 and len(rows) == len(again.train)

    reused = prepare_image_data(config, (1, 8, 8), saved_split=again)  # the decode cache, the saved split
    assert reused.report.reused_decode and reused.split == again
    assert not reused.report.warnings or all("missing" not in w for w in reused.report.warnings)
    np.testing.assert_array_equal(reused.train.cache.images[reused.train.rows],
                                  data.train.cache.images[data.train.rows])
    reused.close()


def test_studio_train_resume_eval_and_embed_on_such_names(folder, tmp_path, capfd):
    root, renamed = folder
    save_spec(tiny_cnn(classes=3, size=8), tmp_path / "spec.json")
    run = tmp_path / "run"
    common = ["--quiet", "--device", "cpu", "--threads", "1"]
    assert main(["train", str(tmp_path / "spec.json"), "--data", str(root), "--steps", "4",
                 "--batch-size", "8", "--run-dir", str(run), *common]) == 0, capfd.readouterr().err
    capfd.readouterr()
    report = read_json(run / "data_report.json")
    assert CLASS in report["class_names"] and report["num_train"] + report["num_val"] == 24
    split = load_split(run / "split.json")
    assert set(renamed) <= set(split.train) | set(split.val)
    assert "\\xfcempty" in (run / "log.txt").read_text(encoding="utf-8")

    assert main(["train", "--resume", str(run), "--steps", "6", *common]) == 0, capfd.readouterr().err
    capfd.readouterr()
    assert main(["eval", str(run), "--data", str(root), "--json"]) == 0, capfd.readouterr().err
    scored = json.loads(capfd.readouterr().out)
    assert CLASS in scored["class_names"]

    out_dir = tmp_path / "emb"
    assert main(["embed", str(run), "--data", str(root), "--out", str(out_dir), "--tensorboard",
                 "--quiet"]) == 0, capfd.readouterr().err
    capfd.readouterr()
    tsv = (out_dir / "tensorboard" / "metadata.tsv").read_text(encoding="utf-8")
    assert "caf\\xe9 1.png" in tsv and "cl\\xe4ss2" in tsv
    embedding = Embedding.load(next(out_dir.glob("flatten.npz")))
    kept = [path for path in embedding.paths if "\udcff" in path]
    assert len(kept) == 3 and all(os.path.exists(path) for path in kept)  # real names, still openable


def test_the_installed_command_trains_on_such_names(folder, tmp_path):
    """A fresh interpreter whose stdout is a pipe (strict UTF-8), as a user's shell would run it."""
    root, _ = folder
    save_spec(tiny_cnn(classes=3, size=8), tmp_path / "spec.json")
    done = subprocess.run([sys.executable, "-m", "studio", "train", str(tmp_path / "spec.json"), "--data",
                           str(root), "--steps", "2", "--batch-size", "8", "--run-dir", str(tmp_path / "run"),
                           "--device", "cpu", "--threads", "1", "--quiet"],
                          capture_output=True, timeout=300, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    done.stdout.decode("utf-8")
    assert b"internal error" not in done.stdout + done.stderr


def test_checkpoints_in_a_folder_whose_name_is_not_utf8(tmp_path):
    """safetensors' Rust core opens only UTF-8 paths; Studio reads and writes such folders anyway."""
    import torch

    from studio.engine.checkpoints import CheckpointStore
    from studio.engine.checkpoints.reader import open_checkpoint

    folder = Path(os.fsdecode(os.fsencode(tmp_path) + b"/run\xff"))
    try:
        folder.mkdir()
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    store = CheckpointStore(folder / "checkpoints")
    weights = {"fc.weight": torch.arange(6.0).reshape(2, 3), "fc.bias": torch.ones(2)}
    info = store.save(3, weights, metrics={"val/accuracy": 0.5})
    assert [i.step for i in store.list()] == [3]
    with open_checkpoint(folder) as reader:
        assert reader.names() == ["fc.weight", "fc.bias"]
        assert torch.equal(reader.tensor("fc.weight"), weights["fc.weight"])
    assert info.path.exists() and not list(info.path.parent.glob(".*.tmp"))
    done = subprocess.run([sys.executable, "-m", "studio", "ckpt", "show", str(folder), "--no-stats"],
                          capture_output=True, timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 0 and done.stdout.startswith(os.fsencode(tmp_path) + b"/run\\udcff/"), done
