"""Scoring checkpoints on an image folder: once (``studio eval``), or each new checkpoint of a run
as it appears (TF-Slim's evaluation_loop), writing ``run/eval/metrics.jsonl``."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from studio.engine.checkpoints import CheckpointInfo
from studio.engine.checkpoints.store import CheckpointVanished
from studio.engine.compiler import compile_spec
from studio.engine.data import BatchLoader, LabelRule, Normalization, prepare_image_data
from studio.engine.errors import StudioError
from studio.engine.runs import RunReader, layout
from studio.engine.runs.locate import list_checkpoints, locate_checkpoint
from studio.engine.training.config import TrainConfig
from studio.engine.training.device import choose_device
from studio.engine.training.evaluator import Evaluator
from studio.engine.training.losses import bind_losses
from studio.engine.training.session import input_shape_of


@dataclass(frozen=True)
class EvalReport:
    """Metrics of one checkpoint on one folder (``accuracy``, ``loss``, ... without a prefix)."""

    checkpoint: str
    step: int
    data: str
    images: int
    metrics: dict[str, float]
    details: dict[str, Any] = field(default_factory=dict)
    class_names: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"checkpoint": self.checkpoint, "step": self.step, "data": self.data, "images": self.images,
                "metrics": self.metrics, "details": self.details, "class_names": list(self.class_names),
                "warnings": list(self.warnings)}


class CheckpointScorer:
    """Decodes ``data_root`` once (with the run's classes, label rule and normalisation), then scores
    any checkpoint of the same model."""

    def __init__(self, target: str | os.PathLike | CheckpointInfo, data_root: str | os.PathLike, *,
                 batch_size: int = 128, device: str = "auto", labels: Any = None) -> None:
        self.store, info, run_dir = locate_checkpoint(target)
        reader = RunReader(run_dir) if run_dir is not None else None
        spec = self.store.load_spec(info) or (reader.spec() if reader else None)
        if spec is None:
            raise StudioError(f"checkpoint {info.name} records no model spec and has no run directory")
        config = TrainConfig.from_dict(reader.config() or {}) if reader else TrainConfig()
        report = (reader.data_report() if reader else None) or {}
        warnings = []
        norm = report.get("normalization")
        if norm is None:
            warnings.append("the training run's normalisation is unknown: using this folder's statistics")
        rule = LabelRule.from_value(labels) if labels is not None else config.data.labels
        data_config = replace(config.data, root=str(data_root), val_root=None, val_split=0.0, labels=rule)
        classes = tuple(report["class_names"]) if report.get("class_names") else None
        normalization = Normalization(tuple(norm["mean"]), tuple(norm["std"])) if norm else None
        self.data = prepare_image_data(data_config, input_shape_of(spec), class_names=classes,
                                       normalization=normalization)
        self.warnings = tuple(warnings) + self.data.report.warnings
        self.setup = choose_device(device, amp=config.amp, channels_last="off")
        self.model = compile_spec(spec, device=self.setup.device)
        heads = bind_losses(config.losses, self.model.output_names)
        self.evaluator = Evaluator(heads, len(self.data.class_names), self.setup.device, prefix="",
                                   autocast=self.setup.autocast)
        self.loader = BatchLoader(self.data.train, batch_size, self.setup.device, self.data.normalization,
                                  shuffle=False)
        self.data_root = str(data_root)
        self.first = info

    def score(self, info: CheckpointInfo | None = None) -> EvalReport:
        info = info or self.first
        try:
            self.model.load_state_dict(self.store.load_weights(info))
        except RuntimeError as exc:
            first_line = str(exc).splitlines()[0]
            raise StudioError(f"checkpoint {info.name} does not fit its model: {first_line}") from None
        metrics, details = self.evaluator.evaluate(self.model, self.loader)
        return EvalReport(str(info.path), info.step, self.data_root, len(self.data.train), metrics, details,
                          self.data.class_names, self.warnings)

    def close(self) -> None:
        self.data.close()


def evaluate_checkpoint(target: str | os.PathLike | CheckpointInfo, data_root: str | os.PathLike,
                        **options: Any) -> EvalReport:
    """Metrics of a checkpoint (or a run's latest) on the images in ``data_root``. A run's latest that
    its trainer prunes meanwhile is replaced by the newest one then."""
    attempts = RETRIES if not isinstance(target, CheckpointInfo) and Path(target).is_dir() else 1
    scorer, info = None, None
    try:
        attempt = 1
        while True:
            try:
                scorer = scorer or CheckpointScorer(target, data_root, **options)
                return scorer.score(info)
            except CheckpointVanished:
                if attempt == attempts:
                    raise
                attempt += 1
                info = locate_checkpoint(target)[1] if scorer is not None else None
    finally:
        if scorer is not None:
            scorer.close()


def evaluation_loop(run_dir: str | os.PathLike, data_root: str | os.PathLike, *, poll_seconds: float = 5.0,
                    timeout: float | None = None, callback: Callable[[EvalReport], None] | None = None,
                    **options: Any) -> list[EvalReport]:
    """Score every checkpoint of ``run_dir`` not scored yet, then each new one, until the run is no
    longer active (or ``timeout`` seconds pass). Results go to ``run_dir/eval/metrics.jsonl``."""
    run_dir = Path(run_dir)
    reader = RunReader(run_dir)
    out_dir = run_dir / layout.EVAL
    out_dir.mkdir(parents=True, exist_ok=True)
    done = _scored_steps(out_dir / layout.METRICS)
    deadline = None if timeout is None else time.monotonic() + timeout
    scorer = None
    reports: list[EvalReport] = []
    try:
        while True:
            active = reader.is_alive()
            for info in list_checkpoints(run_dir):
                if info.step in done:
                    continue
                try:
                    scorer = scorer or CheckpointScorer(info, data_root, **options)
                    report = scorer.score(info)
                except CheckpointVanished:
                    continue  # pruned by the trainer (keep last K) before it was scored: the next one
                with open(out_dir / layout.METRICS, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps({"kind": "eval", "time": time.time(), **report.to_dict()}) + "\n")
                done.add(info.step)
                reports.append(report)
                if callback is not None:
                    callback(report)
            if not active or (deadline is not None and time.monotonic() >= deadline):
                return reports
            time.sleep(poll_seconds)
    finally:
        if scorer is not None:
            scorer.close()


RETRIES = 5  # times a one-off evaluation picks a run's newest checkpoint again when it vanished


def _scored_steps(path: Path) -> set[int]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return set()
    steps = set()
    for line in lines:
        try:
            steps.add(int(json.loads(line)["step"]))
        except (ValueError, KeyError, TypeError):
            continue
    return steps

