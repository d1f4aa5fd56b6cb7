"""One locator from a path the user gives to a run's checkpoints (run folder, checkpoints folder, file)."""

import pytest
import torch

from studio.engine.checkpoints import CheckpointError, CheckpointStore
from studio.engine.checkpoints.reader import open_checkpoint
from studio.engine.runs import RunWriter, layout
from studio.engine.runs.locate import (
    checkpoint_file,
    checkpoints_folder,
    list_checkpoints,
    locate_checkpoint,
    run_of,
)


@pytest.fixture
def run(tmp_path):
    run = tmp_path / "run"
    RunWriter(run).update_status(state="finished", step=3)
    store = CheckpointStore(run / layout.CHECKPOINTS, keep_last=None, best_metric="val/accuracy")
    for step, accuracy in ((1, 0.5), (2, 0.9), (3, 0.7)):
        store.save(step, {"w": torch.full((2, 3), float(step))}, metrics={"val/accuracy": accuracy},
                   training_state={"step": step})
    return run


def test_a_run_folder_gives_its_store_its_newest_or_best_checkpoint(run):
    where = locate_checkpoint(run)
    assert where.run_dir == run and where.store.directory == run / layout.CHECKPOINTS
    assert where.checkpoint.step == 3 and locate_checkpoint(run, prefer="best").checkpoint.step == 2
    store, checkpoint, run_dir = where  # (unpacks like the tuple it replaced)
    assert (store.directory, checkpoint.step, run_dir) == (run / layout.CHECKPOINTS, 3, run)
    assert checkpoints_folder(run) == run / layout.CHECKPOINTS and run_of(run) == run
    assert [info.step for info in list_checkpoints(run)] == [1, 2, 3]
    assert checkpoint_file(run) == where.checkpoint.path


def test_its_checkpoints_folder_gives_the_same_answers(run):
    folder = run / layout.CHECKPOINTS
    where = locate_checkpoint(folder)
    assert (where.run_dir, where.store.directory, where.checkpoint.step) == (run, folder, 3)
    assert checkpoints_folder(folder) == folder and run_of(folder) == run
    assert [info.step for info in list_checkpoints(folder)] == [1, 2, 3]


def test_a_checkpoint_file_names_itself_whichever_of_its_files_is_given(run):
    first = list_checkpoints(run)[0]
    for path in (first.path, first.sidecar, first.state_path):
        where = locate_checkpoint(path)
        assert (where.checkpoint.path, where.run_dir) == (first.path, run)
        assert where.store.directory == first.path.parent
        assert run_of(path) == run and checkpoints_folder(path) == first.path.parent
    assert checkpoint_file(first.sidecar) == first.path
    with open_checkpoint(first.sidecar) as reader:
        assert reader.tensor("w").eq(1.0).all()


def test_a_foreign_weights_file_is_read_as_it_is_but_is_no_studio_checkpoint(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"w": torch.zeros(2)}, path)
    assert checkpoint_file(path) == path and run_of(path) is None
    with pytest.raises(CheckpointError) as caught:
        locate_checkpoint(path)
    assert str(caught.value) == f"{path} is not a complete Studio checkpoint (its .json sidecar is missing)"


def test_an_empty_folder_has_no_checkpoint_yet(tmp_path):
    (tmp_path / "empty").mkdir()
    assert list_checkpoints(tmp_path / "empty") == [] and run_of(tmp_path / "empty") is None
    for find in (locate_checkpoint, checkpoint_file, open_checkpoint):
        with pytest.raises(CheckpointError) as caught:
            find(tmp_path / "empty")
        assert str(caught.value) == f"no complete checkpoint in {tmp_path / 'empty'}"


def test_a_run_without_checkpoints_yet_says_so(tmp_path):
    RunWriter(tmp_path / "run").update_status(state="preparing", step=0)
    with pytest.raises(CheckpointError, match="^no complete checkpoint in "):
        locate_checkpoint(tmp_path / "run")


def test_a_folder_that_is_no_run_is_one_sentence(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "cat.png").write_bytes(b"not really")
    with pytest.raises(CheckpointError) as caught:
        locate_checkpoint(photos)
    assert str(caught.value) == (f"{photos} is not a run folder: it has no checkpoints folder, "
                                 "status.json or checkpoint files")
    assert list_checkpoints(photos) == []


def test_a_missing_path_does_not_exist(tmp_path):
    for find in (locate_checkpoint, checkpoint_file):
        with pytest.raises(CheckpointError) as caught:
            find(tmp_path / "nowhere.safetensors")
        assert str(caught.value) == f"checkpoint {tmp_path / 'nowhere.safetensors'} does not exist"
    assert list_checkpoints(tmp_path / "nowhere") == []
