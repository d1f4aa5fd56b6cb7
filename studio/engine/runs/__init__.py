"""Run directories: written by a trainer, followed by other processes (the GUI, `studio eval`).

A run holds spec.json, config.json, data_report.json, split.json, metrics.jsonl, status.json,
log.txt, checkpoints/ and, with tensorboard installed, TensorBoard event files.
"""

from studio.engine.runs.layout import list_runs, new_run_dir
from studio.engine.runs.reader import RunReader, RunStatus
from studio.engine.runs.writer import RunWriter

__all__ = ["RunReader", "RunStatus", "RunWriter", "list_runs", "new_run_dir"]
