"""Checkpoints: the run store, inspection, foreign files, partial restore and export.

- ``store``: ``CheckpointStore`` (atomic save, listing, keep-last + best, loading)
- ``reader``: ``open_checkpoint`` for Studio, safetensors and PyTorch files (never unpickles code)
- ``inspector``, ``stats``, ``diff``: a run's list, lazy per-tensor statistics, tensor-wise diffs
- ``selection``, ``mapping``, ``plan``, ``restore``, ``presets``: partial restore with name mapping
- ``export``: safetensors, pt, TorchScript, ONNX and generated code, each verified
"""

from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.checkpoints.info import CheckpointInfo
from studio.engine.checkpoints.store import CheckpointStore

__all__ = ["CheckpointError", "CheckpointInfo", "CheckpointStore"]
