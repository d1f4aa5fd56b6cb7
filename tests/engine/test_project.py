"""The .studio project file: round trip, bad files, autosave and crash recovery."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from studio.engine.errors import StudioError
from studio.engine.project import (
    Project,
    ProjectError,
    autosave_path,
    clear_autosave,
    dumps_project,
    find_recoveries,
    load_project,
    load_recovery,
    save_project,
    write_autosave,
)
from studio.engine.spec.io import dumps, save_spec
from studio.engine.templates import create_template


def test_project_round_trip_is_byte_identical(tmp_path):
    project = Project(create_template("small_cnn"), {"batch_size": 32}, "data", ["runs/one"])
    path = save_project(project, tmp_path / "demo.studio")
    loaded = load_project(path)
    assert dumps_project(loaded) == path.read_text()
    assert dumps(loaded.spec) == dumps(project.spec)
    assert loaded.training == {"batch_size": 32} and loaded.runs == ["runs/one"]
    assert loaded.resolve(loaded.data_dir, path) == tmp_path / "data"
    assert loaded.resolve("/abs/x", path) == Path("/abs/x")


def test_a_spec_file_opens_as_a_project(tmp_path):
    path = save_spec(create_template("mlp"), tmp_path / "mlp.json")
    assert load_project(path).spec.name == "mlp"


@pytest.mark.parametrize("text,message", [
    ("{", "not valid JSON"),
    ('{"format": "other"}', "not a Studio project"),
    ('{"format": "studio.project/1", "spec": {"format": "studio.model/1"}, "runs": "x"}', "runs"),
    ('{"format": "studio.project/1", "spec": 3}', "JSON object"),
])
def test_bad_project_files_give_clear_errors(tmp_path, text, message):
    path = tmp_path / "bad.studio"
    path.write_text(text)
    with pytest.raises(StudioError, match=message):
        load_project(path)
    with pytest.raises(ProjectError, match="cannot read"):
        load_project(tmp_path / "missing.studio")


def test_autosave_of_a_dead_session_is_offered_and_ours_is_not(tmp_path):
    project = Project(create_template("small_cnn"))
    write_autosave(project, "/x/demo.studio", tmp_path)
    assert find_recoveries(tmp_path) == []  # this session is alive
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    pid = int(dead.stdout)
    document = json.loads(autosave_path(tmp_path).read_text())
    document["pid"] = pid
    autosave_path(tmp_path, pid).write_text(json.dumps(document))
    (tmp_path / "session-1.autosave.json").write_text("garbage")
    recoveries = find_recoveries(tmp_path)
    assert [r.pid for r in recoveries] == [pid]
    assert recoveries[0].source == "/x/demo.studio" and "demo.studio" in recoveries[0].label
    assert dumps(load_recovery(recoveries[0]).spec) == dumps(project.spec)
    clear_autosave(tmp_path)
    assert not autosave_path(tmp_path).exists() and autosave_path(tmp_path, pid).exists()
    assert os.getpid() != pid
