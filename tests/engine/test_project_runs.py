"""Projects own their runs: scratch folders of untitled projects, the move of their runs beside the
project file on the first save (rename, or copy-then-rename across file systems, never a live run),
relative references that survive a copied project folder, and scratch folders left behind."""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from studio.engine.checkpoints import CheckpointStore
from studio.engine.project import (
    Project,
    find_recoveries,
    left_runs_recoveries,
    load_project,
    load_recovery,
    save_project,
    write_autosave,
)
from studio.engine.project_runs import (
    being_written,
    finish_moves,
    move_run,
    project_run_dirs,
    run_reference,
    settle_runs,
)
from studio.engine.runs import RunReader
from studio.engine.runs.lock import LOCK, RunLock, RunLocked
from studio.engine.scratch import ScratchFolder, claims, left_scratch
from studio.engine.training import TrainConfig, Trainer
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.engine.train_helpers import tiny_config


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """One real run (checkpoints, metrics, status), copied into each test that needs runs."""
    base = tmp_path_factory.mktemp("trained")
    root = make_image_folder(base / "data", classes=3, per_class=8)
    run = base / "run"
    result = Trainer(tiny_cnn(3), tiny_config(root, epochs=1), run_dir=run).run()
    assert result.status == "finished", result.reason
    return run


def copy_run(trained: Path, destination: Path) -> Path:
    """A copy of the trained run as if it had been trained at ``destination`` (its files name it)."""
    shutil.copytree(trained, destination)
    status = destination / "status.json"
    status.write_text(status.read_text().replace(str(trained), str(destination)))
    return destination


def scratch_with_runs(base: Path, trained: Path, names: tuple[str, ...]) -> ScratchFolder:
    scratch = ScratchFolder.create(base)
    for name in names:
        copy_run(trained, scratch.runs / name)
    return scratch


def untitled_project(scratch: ScratchFolder) -> Project:
    """An untitled project whose runs (absolute, as the window lists them) are in ``scratch``."""
    return Project(tiny_cnn(3), runs=[str(path) for path in reversed(scratch.run_dirs())])


def test_references_are_relative_inside_the_project_folder(tmp_path):
    project = tmp_path / "p" / "net.studio"
    assert run_reference(tmp_path / "p" / "runs" / "a", project) == "runs/a"
    assert run_reference(tmp_path / "elsewhere" / "a", project) == str(tmp_path / "elsewhere" / "a")
    assert run_reference(tmp_path / "p" / "runs" / "a", None) == str(tmp_path / "p" / "runs" / "a")


def test_each_untitled_project_has_its_own_scratch_folder(tmp_path, trained):
    base = tmp_path / "scratch"
    first, second = ScratchFolder.create(base), ScratchFolder.create(base)
    assert first.root != second.root and first.runs.is_dir() and second.runs.is_dir()
    shutil.copytree(trained, first.runs / "three-classes")
    assert [p.name for p in first.run_dirs()] == ["three-classes"] and second.run_dirs() == []
    with pytest.raises(RunLocked):
        RunLock.acquire(first.root)  # held while its window shows it
    second.release()
    assert not second.root.exists()  # nothing trained: nothing left
    first.release()
    assert (first.runs / "three-classes").is_dir()  # runs are never dropped by a release


def test_first_save_moves_the_runs_beside_the_project_and_lists_them_relative(tmp_path, trained):
    base = tmp_path / "data" / "scratch"
    scratch = scratch_with_runs(base, trained, ("run-a", "run-b"))
    project = untitled_project(scratch)
    best = CheckpointStore(scratch.runs / "run-a" / "checkpoints").best()
    project.training = {"init": [{"checkpoint": str(best.path), "exclude": ["fc"]}]}
    target = tmp_path / "work" / "net.studio"
    settled = settle_runs(project, None, target, base, runs_folder=scratch.runs)
    assert set(settled.moved.values()) == {target.parent / "runs" / "run-a", target.parent / "runs" / "run-b"}
    assert sorted(project.runs) == ["runs/run-a", "runs/run-b"]
    assert project.training["init"][0]["checkpoint"] == str(target.parent / "runs" / "run-a" / "checkpoints"
                                                            / best.path.name)
    assert "2 runs moved into" in settled.sentence()
    moved = target.parent / "runs" / "run-a"
    assert not (moved / LOCK).exists() and not (scratch.runs / "run-a").exists()
    store = CheckpointStore(moved / "checkpoints")
    assert store.load_weights(store.best())  # the checkpoints load from the new place
    assert RunReader(moved).status().best_checkpoint.startswith(str(moved))
    save_project(project, target)
    scratch.release()
    assert not scratch.root.exists()

    copy = tmp_path / "copied" / "work"  # the project folder copied elsewhere opens with its runs
    shutil.copytree(target.parent, copy)
    shutil.rmtree(target.parent)
    reopened = load_project(copy / "net.studio")
    runs = project_run_dirs(reopened, copy / "net.studio", copy / "runs")
    assert sorted(p.name for p in runs) == ["run-a", "run-b"]
    assert all(p.is_relative_to(copy) and RunReader(p).checkpoints() for p in runs)


def test_save_as_of_a_saved_project_keeps_its_runs_where_they_are(tmp_path, trained):
    folder = tmp_path / "a"
    shutil.copytree(trained, folder / "runs" / "listed")
    shutil.copytree(trained, folder / "runs" / "from-the-cli")  # in runs/ but not listed
    project = Project(tiny_cnn(3), runs=["runs/listed"])
    elsewhere = tmp_path / "b" / "copy.studio"
    settled = settle_runs(project, folder / "net.studio", elsewhere, tmp_path / "scratch",
                          runs_folder=folder / "runs")
    assert not settled.moved and settled.sentence() is None
    assert project.runs == [str(folder / "runs" / "listed"), str(folder / "runs" / "from-the-cli")]
    beside = Project(tiny_cnn(3), runs=["runs/listed"])
    settle_runs(beside, folder / "net.studio", folder / "other.studio", tmp_path / "scratch")
    assert beside.runs == ["runs/listed"]
    assert (folder / "runs" / "listed").is_dir()


def test_a_run_being_written_is_not_moved_until_it_ends(tmp_path, trained):
    base = tmp_path / "scratch"
    scratch = scratch_with_runs(base, trained, ("done", "live"))
    project = untitled_project(scratch)
    lock = RunLock.acquire(scratch.runs / "live")  # a trainer writes it
    assert being_written(scratch.runs / "live") and not being_written(scratch.runs / "done")
    target = tmp_path / "p" / "net.studio"
    settled = settle_runs(project, None, target, base, runs_folder=scratch.runs)
    assert [p.name for p in settled.waiting] == ["live"] and list(settled.moved) == [scratch.runs / "done"]
    assert "live is training: it moves into" in settled.sentence()
    assert str(scratch.runs / "live") in project.runs and "runs/done" in project.runs
    assert (scratch.runs / "live" / LOCK).exists() and lock.held  # untouched
    save_project(project, target)
    assert claims(scratch.root) == [str(target.resolve())]
    scratch.release()
    assert left_scratch(base) == []  # a saved project lists it: no clean-up takes it

    assert not finish_moves(target, base).moved  # still training
    lock.release()
    settled = finish_moves(target, base)
    assert list(settled.moved.values()) == [target.parent / "runs" / "live"]
    assert sorted(load_project(target).runs) == ["runs/done", "runs/live"]
    assert not scratch.root.exists()


def test_a_move_across_file_systems_copies_then_renames_then_deletes(tmp_path, trained):
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev or not os.access(shm, os.W_OK):
        pytest.skip("no second file system to move to")
    source = tmp_path / "scratch" / "run"
    shutil.copytree(trained, source)
    target_dir = Path(tempfile.mkdtemp(dir=shm, prefix="studio-test-"))
    try:
        moved = move_run(source, target_dir / "runs")
        assert moved == target_dir / "runs" / "run" and not source.exists()
        assert sorted(os.listdir(moved)) == sorted(n for n in os.listdir(trained) if n != LOCK)
        store = CheckpointStore(moved / "checkpoints")
        assert store.load_weights(store.latest())
        assert not [p for p in (target_dir / "runs").iterdir() if p.name.startswith(".")]
    finally:
        shutil.rmtree(target_dir, ignore_errors=True)


def test_a_failed_copy_across_file_systems_loses_nothing(tmp_path, trained, monkeypatch):
    import studio.engine.project_runs as project_runs

    source = tmp_path / "scratch" / "run"
    shutil.copytree(trained, source)
    before = sorted(p.relative_to(source) for p in source.rglob("*"))
    real_rename, real_copytree, copied = os.rename, shutil.copytree, []

    def cross_device(src, dst):  # the run and its destination are on two file systems
        if Path(src) == source:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_rename(src, dst)

    def disk_fills(src, dst, **kwargs):
        if len(copied) >= 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        copied.append(src)
        return shutil.copy2(src, dst, **kwargs)

    monkeypatch.setattr(project_runs.os, "rename", cross_device)
    def copytree(*args, **kwargs):  # (it calls itself for each sub-folder, the copy function given)
        return real_copytree(*args, **({"copy_function": disk_fills} if len(args) < 4 else {}), **kwargs)

    monkeypatch.setattr(project_runs.shutil, "copytree", copytree)
    project = Project(tiny_cnn(3), runs=[str(source)])
    settled = settle_runs(project, None, tmp_path / "p" / "net.studio", tmp_path / "scratch")
    assert not settled.moved and list(settled.failed) == [source]
    said = settled.sentence()
    assert "No space left on device" in said and "the project lists it there" in said
    assert project.runs == [str(source)]
    assert sorted(p.relative_to(source) for p in source.rglob("*")) == before and not (source / LOCK).exists()
    assert not list((tmp_path / "p" / "runs").iterdir())  # no half-copied run left


def test_a_fine_tuned_run_moved_with_its_parent_resumes_from_the_new_place(tmp_path, trained):
    base = tmp_path / "scratch"
    scratch = scratch_with_runs(base, trained, ("parent",))
    best = CheckpointStore(scratch.runs / "parent" / "checkpoints").best()
    child = copy_run(trained, scratch.runs / "child")
    config = json.loads((child / "config.json").read_text())
    config["init"] = [{"checkpoint": str(best.path), "include": [], "exclude": ["fc"], "mapping": None,
                       "freeze": False}]
    (child / "config.json").write_text(json.dumps(config))
    project = untitled_project(scratch)
    target = tmp_path / "p" / "net.studio"
    settle_runs(project, None, target, base, runs_folder=scratch.runs)
    moved_config = TrainConfig.from_dict(RunReader(target.parent / "runs" / "child").config())
    assert moved_config.init[0].checkpoint == str(target.parent / "runs" / "parent" / "checkpoints"
                                                  / best.path.name)
    assert Path(moved_config.init[0].checkpoint).exists()


def test_scratch_folders_left_behind_are_offered_with_their_autosave_or_alone(tmp_path, trained):
    base, recovery_dir = tmp_path / "scratch", tmp_path / "recovery"
    held = scratch_with_runs(base, trained, ("mine",))  # this window's: never offered
    crashed = scratch_with_runs(base, trained, ("with-autosave",))
    orphan = scratch_with_runs(base, trained, ("no-autosave",))
    empty = ScratchFolder.create(base)
    autosave = write_autosave(untitled_project(crashed), None, recovery_dir, crashed.root)
    document = json.loads(autosave.read_text())
    document["pid"] = 999_999_999  # a session that is gone
    autosave.rename(autosave.with_name("session-999999999.autosave.json"))
    autosave.with_name("session-999999999.autosave.json").write_text(json.dumps(document))
    for folder in (crashed, orphan, empty):
        folder._lock.release()  # (the crashed session's locks died with it)
    recoveries = find_recoveries(recovery_dir)
    assert [r.scratch for r in recoveries] == [str(crashed.root)] and recoveries[0].runs == 1
    assert "1 trained run" in recoveries[0].label
    left = left_runs_recoveries(base, recoveries)
    assert [r.path for r in left] == [orphan.root.resolve()] and not empty.root.exists()
    assert "1 run trained in an untitled project" in left[0].label
    project = load_recovery(left[0])
    assert project.runs == [str(orphan.root.resolve() / "runs" / "no-autosave")]
    assert project.spec.nodes and project.data_dir  # the model and data of its newest run
    held.release()
