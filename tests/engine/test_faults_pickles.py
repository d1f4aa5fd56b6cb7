"""A pickle that runs code, planted in a file of a run folder (the weights, the training state, the
sidecar, the run's JSON files): every command that reads the run refuses it with one line or does
without that file, and the code never runs. (``benchmarks/faults.py`` plants one in every file.)"""

from __future__ import annotations

import json
import shutil

import pytest

from studio.cli import main
from studio.engine.runs import RunReader
from tests.engine.faults import plant_pickle
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.engine.train_helpers import tiny_config

PLANTED = [("ckpt.safetensors", "zip"), ("ckpt.safetensors", "legacy"), ("ckpt.state.pt", "zip"),
           ("ckpt.state.pt", "legacy"), ("ckpt.json", "legacy"), ("spec.json", "legacy"),
           ("config.json", "legacy"), ("split.json", "legacy"), ("data_report.json", "legacy"),
           ("status.json", "legacy"), ("metrics.jsonl", "legacy")]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    from studio.engine.training import Trainer

    root = tmp_path_factory.mktemp("pickles")
    folder = make_image_folder(root / "images", classes=2, per_class=6, size=8)
    config = tiny_config(folder, steps=3, checkpoint={"every_steps": 1})
    assert Trainer(tiny_cnn(2, 8), config, run_dir=root / "run").run().status == "finished"
    return root


def one_line_or_success(code: int, err: str) -> None:
    lines = err.splitlines()
    assert code in (0, 1) and "Traceback" not in err
    if code == 1:
        assert len(lines) == 1 and lines[0].startswith("studio: error: "), lines


@pytest.mark.parametrize(("name", "kind"), PLANTED)
def test_a_planted_pickle_never_runs(pristine, tmp_path, capsys, name, kind):
    run = shutil.copytree(pristine / "run", tmp_path / "run")
    folder = run / "checkpoints" if name.startswith("ckpt") else run
    target = folder / name.replace("ckpt", "ckpt-000000003")
    assert target.exists()
    marker = tmp_path / "MARKER"
    plant_pickle(target, marker, kind)
    images = str(pristine / "images")
    commands = [["train", "--resume", str(run), "--steps", "5", "--quiet"],
                ["eval", str(run), "--data", images], ["ckpt", "ls", str(run)],
                ["ckpt", "show", str(run / "checkpoints" / "ckpt-000000003.safetensors")]]
    outcomes = []
    for command in commands:
        code = main(command)
        err = capsys.readouterr().err
        one_line_or_success(code, err)
        outcomes.append(code)
        assert not marker.exists(), f"{command} ran the planted code"
    if name in ("ckpt.state.pt", "ckpt.safetensors"):  # the newest checkpoint cannot be resumed from
        assert outcomes[0] == 1
    if name == "ckpt.json":  # no longer a complete checkpoint: the run resumes from the one before
        assert outcomes[0] == 0 and RunReader(run).status().state == "finished"
        resumed = [r for r in RunReader(run).records() if r.get("kind") == "resume"]
        assert resumed[-1]["step"] == 2


def test_a_hostile_state_file_is_refused_in_one_line_naming_it(pristine, tmp_path, capsys):
    run = shutil.copytree(pristine / "run", tmp_path / "run")
    state = run / "checkpoints" / "ckpt-000000003.state.pt"
    plant_pickle(state, tmp_path / "MARKER", "zip")
    status_before = json.loads((run / "status.json").read_text())
    assert main(["train", "--resume", str(run), "--steps", "5", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err == (f"studio: error: {state} holds Python objects (posix.system) that would have to run "
                   "code to load; Studio loads only plain tensors and containers and refused it\n")
    assert json.loads((run / "status.json").read_text()) == status_before  # refused before any write
