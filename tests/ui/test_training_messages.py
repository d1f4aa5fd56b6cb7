"""Engine failures become messages that say what to do, whichever way they arrive."""

import pytest

from studio.engine.data import DataError
from studio.engine.errors import ShapeError
from studio.engine.training.fields import ConfigError
from studio.ui.training.messages import MessageBar, advise


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
