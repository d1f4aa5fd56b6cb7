"""Hostile files for every JSON and checkpoint reader: 10,000 levels of nesting, too many bytes, bytes
that are not UTF-8, numbers too long to read, documents of the wrong shape, pickles that would run code.
Each is refused with one sentence (a StudioError of the reader's kind, no newline), and the command
line ends in one ``studio: error:`` line, never a traceback."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from studio.cli import main
from studio.engine import jsonio
from studio.engine.checkpoints import CheckpointStore
from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.checkpoints.info import read_sidecar
from studio.engine.checkpoints.mapping import NameMapping
from studio.engine.checkpoints.pytorch_file import torch_load_error_sentence
from studio.engine.checkpoints.reader import open_checkpoint
from studio.engine.data.decode_store import DecodeStore
from studio.engine.data.errors import DataError
from studio.engine.data.split import load_split
from studio.engine.errors import SpecError, StudioError
from studio.engine.project import ProjectError, Recovery, find_recoveries, load_project, load_recovery
from studio.engine.projector.embedding import Embedding
from studio.engine.projector.errors import ProjectorError
from studio.engine.projector.sprites import SpriteAtlas
from studio.engine.runs.labels import read_labels
from studio.engine.spec.edits import fragment_from_text
from studio.engine.spec.io import save_spec
from studio.engine.training import Trainer
from studio.engine.training.config import load_config
from studio.engine.training.fields import ConfigError
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.engine.train_helpers import tiny_config

NESTED = "[" * 10_000 + "]" * 10_000
HOSTILE = {
    "nested 10,000 levels": NESTED.encode(),
    "nested 150 levels": ('{"a": ' * 150 + "1" + "}" * 150).encode(),
    "not UTF-8": b'{"format": "\xff\xfe"}',
    "not JSON": b'{"format": ',
    "a 5,000 digit number": b'{"format": ' + b"1" * 5000 + b"}",
    "a list, not an object": b"[1, 2, 3]",
    "too large": b'{"format": "' + b"x" * 5000 + b'"}',
}


def _embedding_file(tmp_path: Path) -> Path:
    emb = Embedding(np.zeros((2, 3)), [0, 1], ("a", "b"), paths=["a.png", "b.png"], layer="fc")
    emb.save(tmp_path / "emb")
    return tmp_path / "emb.json"


def _recovery(path: Path):
    return load_recovery(Recovery(path, None, 0.0, 1))


# (name, error kind, how to make the file the reader reads, the call)
READERS = [
    ("checkpoint sidecar", CheckpointError, lambda d: d / "ckpt-000000001.json", read_sidecar),
    ("name mapping", CheckpointError, lambda d: d / "rules.json", NameMapping.load),
    ("training config", ConfigError, lambda d: d / "config.json", load_config),
    ("split file", DataError, lambda d: d / "split.json", load_split),
    ("project", ProjectError, lambda d: d / "p.studio", load_project),
    ("autosave", ProjectError, lambda d: d / "session-1.autosave.json", _recovery),
    ("embedding", ProjectorError, _embedding_file, lambda p: Embedding.load(p.with_suffix(".npz"))),
    ("sprite atlas", ProjectorError, lambda d: d / "sprites.json", SpriteAtlas.load),
    ("clipboard", SpecError, lambda d: d / "clip.txt",
     lambda p: fragment_from_text(p.read_bytes().decode("utf-8", "surrogateescape"))),
]


@pytest.mark.parametrize("content", list(HOSTILE), ids=list(HOSTILE))
@pytest.mark.parametrize("name,kind,make,read", READERS, ids=[r[0] for r in READERS])
def test_every_json_reader_refuses_hostile_files_in_one_sentence(tmp_path, monkeypatch, name, kind, make,
                                                               read, content):
    monkeypatch.setattr(jsonio, "MAX_BYTES", 4096)  # "too large" is 5 KB: the limit, not the disk, is tried
    path = make(tmp_path)
    path.write_bytes(HOSTILE[content])
    with pytest.raises(kind) as caught:
        read(path)
    message = str(caught.value)
    assert "\n" not in message and message, message
    assert "Traceback" not in message and len(message) < 400


@pytest.mark.parametrize("content", list(HOSTILE), ids=list(HOSTILE))
def test_readers_that_skip_bad_files_skip_them(tmp_path, monkeypatch, content):
    monkeypatch.setattr(jsonio, "MAX_BYTES", 4096)
    run = tmp_path / "run"
    run.mkdir()
    (run / "labels.json").write_bytes(HOSTILE[content])
    assert read_labels(run).name == "" and read_labels(run).tags == ()
    (tmp_path / "session-99999999.autosave.json").write_bytes(HOSTILE[content])
    assert find_recoveries(tmp_path) == []
    store = DecodeStore(tmp_path / "decoded", 1 << 20)
    store.root.mkdir()
    np.save(store.root / "k.npy", np.zeros((1, 1, 2, 2), np.uint8))
    (store.root / "k.json").write_bytes(HOSTILE[content])
    assert store.load("k", (1, 1, 2, 2), mmap=False) is None  # decoded again instead


def test_jsonio_limits_and_escaped_names():
    with pytest.raises(ConfigError, match="nested more than 100 levels"):
        jsonio.parse_json(NESTED, "the config", error=ConfigError)
    with pytest.raises(StudioError, match="larger than 10 bytes"):
        jsonio.parse_json("[1, 2, 3, 4, 5]", "x", max_bytes=10)
    assert jsonio.parse_json("[[1]]", "x", max_depth=2) == [[1]]
    with pytest.raises(StudioError, match="nested more than 1 levels"):
        jsonio.parse_json("[[1]]", "x", max_depth=1)
    with pytest.raises(StudioError) as caught:
        jsonio.read_json("/nonexistent/a\nb\udcff.json")
    assert str(caught.value) == "cannot read /nonexistent/a\\nb\\xff.json: it does not exist"
    value = {"files": ["c0/\udcff\udcfe.png", "café.png"], "cl\udce4ss": 1}
    text = jsonio.dumps_json(value, indent=1)
    assert "café" in text and "\\udcff" in text
    text.encode("utf-8")  # writable as UTF-8
    assert jsonio.parse_json(text, "x") == value  # and read back to the very same names


# ---- checkpoints ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A real run: 4 steps of a tiny CNN, two checkpoints with training state, and its data."""
    root = tmp_path_factory.mktemp("trained")
    data = make_image_folder(root / "data", classes=3, per_class=6, size=8)
    spec = tiny_cnn(classes=3, size=8)
    save_spec(spec, root / "spec.json")
    config = tiny_config(data, steps=4, batch_size=6, eval_every_steps=2, checkpoint={"every_steps": 2})
    result = Trainer(spec, config, run_dir=root / "run").run()
    assert result.status == "finished", result.reason
    assert sorted(p.name for p in (root / "run" / "checkpoints").glob("*.json")) == [
        "ckpt-000000002.json", "ckpt-000000004.json"]
    return root


def _nest_metadata(run: Path, key: str) -> None:
    for weights in (run / "checkpoints").glob("*.safetensors"):
        with safe_open(str(weights), "pt") as handle:
            metadata = dict(handle.metadata())
        save_file(load_file(str(weights)), str(weights), metadata={**metadata, key: NESTED})


def _nest_sidecars(run: Path) -> None:
    for sidecar in (run / "checkpoints").glob("*.json"):
        sidecar.write_text(sidecar.read_text().rstrip()[:-1] + ', "deep": ' + NESTED + "}")


def _nest_header(run: Path) -> None:
    for weights in (run / "checkpoints").glob("*.safetensors"):
        data = weights.read_bytes()
        size = struct.unpack("<Q", data[:8])[0]
        header = data[8:8 + size].decode().rstrip()[:-1] + ', "zz": ' + NESTED + "}"
        weights.write_bytes(struct.pack("<Q", len(header)) + header.encode() + data[8 + size:])


HOSTILE_RUNS = {"nested tensor_order": lambda run: _nest_metadata(run, "tensor_order"),
                "nested sidecars": _nest_sidecars, "nested safetensors header": _nest_header}


@pytest.fixture(params=list(HOSTILE_RUNS))
def hostile_run(request, trained, tmp_path) -> Path:
    run = tmp_path / "run"
    shutil.copytree(trained / "run", run)
    HOSTILE_RUNS[request.param](run)
    return run


def _commands(run: Path, trained: Path, out: Path) -> list[list[str]]:
    ckpts = run / "checkpoints"
    return [["ckpt", "show", run], ["ckpt", "show", ckpts / "ckpt-000000004.json"],
            ["ckpt", "diff", ckpts / "ckpt-000000002.safetensors", ckpts / "ckpt-000000004.json"],
            ["ckpt", "restore", trained / "spec.json", "--from", run, "-o", out / "w.safetensors"],
            ["ckpt", "export", run, "--format", "safetensors", "-o", out / "e.safetensors"],
            ["eval", run, "--data", trained / "data"],
            ["embed", run, "--out", out / "emb", "--quiet"],
            ["train", "--resume", run, "--steps", "6", "--quiet", "--device", "cpu", "--threads", "1"]]


def test_cli_on_hostile_checkpoints_ends_in_one_error_line(hostile_run, trained, tmp_path, capfd):
    refused = 0
    for argv in _commands(hostile_run, trained, tmp_path):
        code = main([str(a) for a in argv])
        out, err = capfd.readouterr()
        assert "Traceback" not in err, (argv, err)
        if code:
            assert code == 1 and err.count("\n") == 1 and err.startswith("studio: error: "), (argv, err)
            refused += 1
    code = main(["ckpt", "ls", str(hostile_run)])  # unreadable sidecars are skipped, as while rotating
    assert code == 0 and "Traceback" not in capfd.readouterr().err
    assert refused >= 6  # whatever the damage, the checkpoint commands refuse it (diff may not need it)


def test_cli_subprocess_on_hostile_checkpoints(trained, tmp_path):
    """The installed command (a fresh interpreter, as a user runs it) prints exactly one line."""
    run = tmp_path / "run"
    shutil.copytree(trained / "run", run)
    _nest_metadata(run, "tensor_order")
    for argv in (["ckpt", "show", run], ["ckpt", "export", run, "--format", "pt", "-o", tmp_path / "x.pt"]):
        done = subprocess.run([sys.executable, "-m", "studio", *map(str, argv)], capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 1 and done.stdout == "", done
        assert done.stderr.count("\n") == 1, done
        assert done.stderr.startswith("studio: error: the tensor order"), done


class _RunsCode:
    def __reduce__(self):
        return (os.system, ("echo planted > planted.txt",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # torch.load called here directly
@pytest.mark.parametrize("kind", ["zip", "legacy protocol 2", "legacy protocol 4"])
def test_planted_pickles_are_refused_in_one_line(tmp_path, kind, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "weights.pt"
    if kind == "zip":
        torch.save({"w": torch.zeros(2), "x": _RunsCode()}, path)
    else:
        path.write_bytes(pickle.dumps({"w": _RunsCode()}, protocol=int(kind[-1])))
    with pytest.raises(CheckpointError) as caught:
        open_checkpoint(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message, message
    assert "Python objects" in message or "not plain tensors" in message, message
    if kind != "legacy protocol 4":  # torch names the global it refused
        assert "(posix.system)" in message
    assert not (tmp_path / "planted.txt").exists()
    try:
        torch.load(path, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - the helper the state loader shares
        sentence = torch_load_error_sentence(path, exc, "training state")
        assert "\n" not in sentence and str(path) in sentence


def test_deeply_nested_pytorch_files_are_refused_in_one_line(tmp_path):
    nested: object = torch.zeros(2)
    for _ in range(5000):
        nested = {"a": nested}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)  # only to write it
    try:
        torch.save(nested, tmp_path / "deep.pt")
    finally:
        sys.setrecursionlimit(limit)
    with pytest.raises(CheckpointError, match="contains no tensors") as caught:
        open_checkpoint(tmp_path / "deep.pt")
    assert "\n" not in str(caught.value)


def test_a_bad_sidecar_is_skipped_by_the_store(trained, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained / "run", run)
    (run / "checkpoints" / "ckpt-000000004.json").write_text(NESTED)
    assert [info.step for info in CheckpointStore(run / "checkpoints").list()] == [2]
    assert json.loads((run / "checkpoints" / "ckpt-000000002.json").read_text())["step"] == 2
