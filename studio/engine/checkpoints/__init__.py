"""Checkpoints: the run store, inspection, foreign files, partial restore and export."""

from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.checkpoints.info import CheckpointInfo
from studio.engine.checkpoints.store import CheckpointStore

__all__ = ["CheckpointError", "CheckpointInfo", "CheckpointStore"]
