"""Fuzzing the checkpoint reader: mutated safetensors, PyTorch zip, legacy pickle and sidecar files
raise only CheckpointError (never another exception, never a hang, never code run from the file)."""

from __future__ import annotations

import copy
import json
import os
import re
import struct
import warnings
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.engine.checkpoints import CheckpointError, CheckpointStore
from studio.engine.checkpoints.reader import open_checkpoint
from studio.engine.checkpoints.store import recorded_spec
from studio.engine.checkpoints.weights_file import save_weights
from studio.engine.errors import StudioError
from studio.engine.templates import create_template
from tests.engine.faults import JSON_VALUES, pick_location

EXAMPLES = int(os.environ.get("STUDIO_FUZZ_EXAMPLES", "300"))  # benchmarks/faults.py runs more
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
HEADER_VALUES = [[0, 10**12], [-1, 4], [2**62, 2**63], [4, 0], "F32", "I64", "XX", [10**9, 10**9], [], [0],
                 None, 5, [3, 3]]


def weights() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return {"conv.weight": torch.randn(4, 1, 3, 3), "conv.bias": torch.randn(4),
            "fc.weight": torch.randn(3, 16).half(), "bn.num_batches_tracked": torch.tensor(7),
            "mask": torch.tensor([True, False])}


def legacy_save(path: Path) -> None:
    """``weights()`` in torch's legacy (pre-zip) format, its storage keys (memory addresses: other bytes in
    each process) renamed 0, 1, ... in order of use, so that a bit flipped at an offset of the pickle
    flips the same opcode in every run (the tail, storages in address order, still varies)."""
    torch.save(weights(), path, _use_new_zipfile_serialization=False)
    keys: dict[bytes, bytes] = {}

    def renamed(match: re.Match) -> bytes:
        return b"X\x0e\x00\x00\x00" + keys.setdefault(match.group(0)[5:], b"%014d" % len(keys))

    pattern = b"|".join(b"X" + bytes([n]) + rb"\x00\x00\x00\d{%d}" % n for n in range(10, 20))
    path.write_bytes(re.sub(pattern, renamed, path.read_bytes()))


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, bytes]:
    """The bytes of one small checkpoint in each format Studio reads."""
    folder = tmp_path_factory.mktemp("seeds")
    writers = {
        "safetensors": lambda path: save_weights(path, weights(), {"step": "3"}),
        "zip": lambda path: torch.save(weights(), path),
        "nested": lambda path: torch.save({"model": weights(), "epoch": 3,
                                           "optimizer": {"state": {}, "param_groups": [{"lr": 0.1}]}}, path),
        "legacy": legacy_save,
    }
    out = {}
    for name, write in writers.items():
        write(folder / name)
        out[name] = (folder / name).read_bytes()
    return out


def mutate_header(data: bytearray, draw) -> bytearray:
    """Change one dtype, shape or offsets entry in a safetensors JSON header."""
    length = struct.unpack("<Q", bytes(data[:8]))[0]
    try:
        header = json.loads(bytes(data[8:8 + length]))
    except (ValueError, UnicodeDecodeError):
        return data  # an earlier mutation broke the header already
    names = sorted(k for k, v in header.items() if isinstance(v, dict)) if isinstance(header, dict) else []
    if not names:
        return data
    entry = header[draw(st.sampled_from(names))]
    entry[draw(st.sampled_from(["dtype", "shape", "data_offsets"]))] = draw(st.sampled_from(HEADER_VALUES))
    text = json.dumps(header).encode()
    return bytearray(struct.pack("<Q", len(text)) + text + data[8 + length:])


@st.composite
def mutations(draw, seeds: dict[str, bytes]) -> bytes:
    kind = draw(st.sampled_from(sorted(seeds)))
    data = bytearray(seeds[kind])
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(["flip", "byte", "truncate", "insert", "delete", "header"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "byte" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "truncate":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        elif action == "header" and kind == "safetensors" and len(data) > 8:
            data = mutate_header(data, draw)
    return bytes(data)


@FUZZ
@given(data=st.data())
def test_mutated_checkpoint_files_raise_only_checkpoint_errors(tmp_path, seeds, data):
    path = tmp_path / "mutated.pt"
    path.write_bytes(data.draw(mutations(seeds)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about odd pickle protocols in mutated files
        try:
            with open_checkpoint(path) as reader:
                for entry in reader.entries():
                    assert reader.tensor(entry.name).shape == entry.shape
        except CheckpointError:
            pass


@pytest.fixture(scope="module")
def studio_checkpoint(tmp_path_factory):
    """A checkpoint written by the store (weights, training state, sidecar with the spec)."""
    store = CheckpointStore(tmp_path_factory.mktemp("run") / "checkpoints")
    info = store.save(5, weights(), metrics={"val/accuracy": 0.5}, spec=create_template("mlp"),
                      training_state={"step": 5, "m": torch.ones(3)})
    return info, json.loads(info.sidecar.read_text())


def shallow_in_spec(path: tuple) -> bool:
    return path[0] != "spec" or len(path) <= 4  # the spec loader has its own fuzzer


@FUZZ
@given(data=st.data())
def test_mutated_sidecars_raise_only_studio_errors(studio_checkpoint, data):
    info, original = studio_checkpoint
    doc = copy.deepcopy(original)
    for _ in range(data.draw(st.integers(1, 3))):
        parent, key = pick_location(doc, data.draw, keep=shallow_in_spec)
        if data.draw(st.booleans()):
            parent[key] = data.draw(JSON_VALUES)
        else:
            del parent[key]
    info.sidecar.write_text(json.dumps(doc))
    try:
        store = CheckpointStore(info.path.parent)
        for listed in store.list():
            json.dumps(listed.to_dict())
            recorded_spec(listed.path)
            store.load_training_state(listed)
        store.best()
        with open_checkpoint(info.path.parent) as reader:
            reader.state_dict()
    except StudioError:
        pass
    finally:
        info.sidecar.write_text(json.dumps(original))


def flipped(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 1]) + data[index + 1:]


def test_corrupt_legacy_files_are_checkpoint_errors(tmp_path, seeds):
    """Found by fuzzing: torch 2.14 raised struct.error, TypeError, AssertionError and AttributeError for
    these (a truncated header and three flipped bits of the pickle)."""
    legacy = seeds["legacy"]
    for index, data in enumerate([legacy[:18], *(flipped(legacy, at) for at in (192, 239, 254))]):
        path = tmp_path / f"broken{index}.pt"
        path.write_bytes(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(CheckpointError, match="not a readable PyTorch checkpoint"):
                open_checkpoint(path)


def test_a_sidecar_naming_a_list_as_best_metric_still_lists(studio_checkpoint, tmp_path):
    """Found by fuzzing: an unhashable best_metric made listing raise TypeError."""
    info, original = studio_checkpoint
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    for path in info.path.parent.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / info.sidecar.name).write_text(json.dumps({**original, "best_metric": ["val/accuracy"]}))
    (listed,) = CheckpointStore(folder).list()
    assert listed.step == 5 and not listed.is_best
    (folder / info.sidecar.name).write_text(json.dumps({**original, "step": float("inf")}))
    assert CheckpointStore(folder).list() == []  # malformed: not a complete checkpoint


def test_seeds_open(tmp_path, seeds):
    for name, data in seeds.items():
        path = Path(tmp_path / name)
        path.write_bytes(data)
        with open_checkpoint(path) as reader:
            assert sorted(reader.names()) == sorted(weights()), name
