"""Engine failures become messages that say what to do, whichever way they arrive."""

import pytest

from studio.engine.data import DataError
from studio.engine.errors import ShapeError
from studio.engine.spec.builder import SpecBuilder
from studio.engine.training import FailedEvent, Trainer, TrainResult
from studio.engine.training.fields import ConfigError
from studio.ui.training.messages import MessageBar, advise, advise_failure
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.engine.train_helpers import Recorder, tiny_config


@pytest.mark.parametrize(("text", "exception", "user_error", "title", "action"), [
    ("out of memory on cuda:0 with batch size 256: try a smaller batch size", None, True, "Out of memory",
     "batch size"),
    ("the loss became NaN or infinite at step 11: training stopped.", None, True, "NaN or infinite",
     "learning rate"),
    ("no usable images in /data: expected class folders", DataError("x"), True, "data cannot be used",
     "Data page"),
    ("no usable images in /data: expected class folders", None, True, "data cannot be used", "Data page"),
    ("output 'logits' gives 2 values but the data has 3 classes: set fc to 3 outputs", None, True,
     "does not fit the data", "one-click fix"),
    ("the validation metrics of output 'logits' cannot be computed: it gives values of shape [128] for "
     "labels of 3 classes; ValueError: If `preds` have one dimension more than `target`, `preds.shape[1]` "
     "should be equal to number of classes. Make the output give one value per class", None, True,
     "does not fit the data", "canvas"),
    ("conv1 cannot take 5 channels", ShapeError("x"), True, "does not compile", "canvas"),
    ("unknown config key 'lrr'", ConfigError("x"), True, "setting is invalid", "Settings page"),
    ("ZeroDivisionError: division by zero", ZeroDivisionError(), False, "Unexpected error", "bug"),
])
def test_failures_are_classified_with_an_action(text, exception, user_error, title, action):
    advice = advise(text, exception, user_error)
    assert title in advice.title and action in advice.action and advice.text == text


def test_an_internal_error_of_the_trainer_is_a_bug_never_a_model_that_does_not_compile():
    from studio.ui.training.messages import is_bug

    text = "internal error: KeyError: 'shape'"
    advice = advise(text, user_error=not is_bug(text))
    assert advice.title == "Unexpected error" and not is_bug("no usable images in /data")


def test_message_bar_shows_and_clears(qtbot):
    bar = MessageBar()
    qtbot.addWidget(bar)
    bar.show_advice(advise("the loss became NaN or infinite at step 3", details="Traceback ..."))
    assert bar.kind == "error" and "What to do" in bar.text() and bar.label.toolTip() == "Traceback ..."
    bar.close_button.click()
    assert bar.kind == "" and bar.isHidden()


def _failed_run(case: str, tmp_path) -> tuple[TrainResult, FailedEvent]:
    """A real run that fails with ``case``: NaN loss, out of memory, or unusable data."""
    folder = make_image_folder(tmp_path / "images", classes=3, per_class=8, size=12)
    spec, config = tiny_cnn(3, 12), tiny_config(folder, steps=2)
    if case == "nan":
        config = tiny_config(folder, steps=200, optimizer={"name": "sgd", "lr": 1e12, "momentum": 0.0})
    elif case == "out_of_memory":  # (as in tests/engine/test_train_trainer.py)
        b = SpecBuilder("huge")
        x = b.input("image", [1, 12, 12])
        x = b.layer("up", "conv2d_transpose", x, out_channels=1, kernel_size=1, stride=200_000,
                    padding="valid")
        x = b.layer("gap", "global_avg_pool", x)
        b.output("logits", b.layer("fc", "fully_connected", x, out_features=3))
        spec = b.build()
    else:
        (tmp_path / "empty" / "a").mkdir(parents=True)
        config = tiny_config(tmp_path / "empty")
    events = Recorder()
    result = Trainer(spec, config, callbacks=events).run()
    return result, events.of(FailedEvent)[-1]


@pytest.mark.parametrize(("case", "title", "action"), [
    ("nan", "NaN or infinite", "Lower the learning rate"),
    ("out_of_memory", "Out of memory", "Lower the batch size"),
    ("data", "The data cannot be used", "Data page"),
])
def test_a_failed_run_carries_its_kind_and_the_window_advises_by_it(qtbot, tmp_path, case, title, action):
    result, failed = _failed_run(case, tmp_path)
    assert result.status == "failed" and result.kind == failed.kind == case
    for failure in (failed, result):
        advice = advise_failure(failure)
        assert advice.kind == case and title in advice.title and action in advice.action
    bar = MessageBar()
    qtbot.addWidget(bar)
    bar.show_advice(advise_failure(failed))
    assert bar.kind == "error" and title in bar.text() and action in bar.text()


def test_the_kind_decides_not_the_words():
    text = "the data folder /data filled the disk: no space left on device"  # words say "data"
    advice = advise_failure(FailedEvent(text, 3, None, "disk_full"))
    assert advice.title == "The disk is full" and advice.text == text
    assert advise(text).title == "The data cannot be used"  # a bare string keeps its words
