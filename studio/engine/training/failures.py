"""What kind of failure ended a run, from the exception that ended it: a small closed set, so that the
window chooses its advice by kind and never by the words of the message.

    data            the data folder, label rule or images cannot be used (DataError)
    fit             an output a loss trains does not give one value per class (FitError)
    spec            the model does not compile (SpecError, ShapeError)
    config          a training setting is invalid (ConfigError)
    loss            a loss or metric cannot be computed on an output (LossError)
    checkpoint      the checkpoint to resume or restore from cannot be used (CheckpointError)
    nan             the loss or the weights became NaN or infinite (the trainer's own check)
    out_of_memory   the device ran out of memory
    disk_full       a write failed for lack of space, quota or file size
    other           another user mistake (a StudioError: a run folder another process writes...)
    internal        a bug (any other exception)
"""

from __future__ import annotations

from studio.engine.atomic import no_room
from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.data.errors import DataError
from studio.engine.errors import ShapeError, SpecError, StudioError
from studio.engine.training.fields import ConfigError
from studio.engine.training.losses import LossError, is_out_of_memory

FAILURE_KINDS = ("data", "fit", "spec", "config", "loss", "checkpoint", "nan", "out_of_memory", "disk_full",
                 "other", "internal")


class FitError(SpecError):
    """The model does not fit the data: an output a loss trains does not give one value per class."""


BY_TYPE: tuple[tuple[type[BaseException], str], ...] = (
    (FitError, "fit"), (LossError, "loss"), (DataError, "data"), (SpecError, "spec"), (ShapeError, "spec"),
    (ConfigError, "config"), (CheckpointError, "checkpoint"), (StudioError, "other"))


def failure_kind(exc: BaseException | None) -> str:
    """The kind (one of FAILURE_KINDS) of the failure ``exc`` stands for; an exception may name its
    own with a ``kind`` attribute (the trainer's NaN check does)."""
    own = getattr(exc, "kind", None)
    if own in FAILURE_KINDS:
        return own
    if exc is None:
        return "internal"
    if not isinstance(exc, StudioError) and is_out_of_memory(exc):
        return "out_of_memory"
    if no_room(exc):
        return "disk_full"
    return next((kind for kind_type, kind in BY_TYPE if isinstance(exc, kind_type)), "internal")
