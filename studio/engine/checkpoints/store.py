"""A run's checkpoint directory: atomic saves, listing, keep-last-K plus best, loading.

    store = CheckpointStore(run_dir / layout.CHECKPOINTS, keep_last=5, best_metric="val_accuracy")
    info = store.save(step, model.state_dict(), epoch=2.0, metrics={"val_accuracy": 0.91},
                      spec=spec, training_state={"optimizer": opt.state_dict()})
    weights = store.load_weights(store.latest())

One writer per directory; any number of readers. Files are renamed into place in the order
state, weights, sidecar, so a kill at any moment leaves either the complete new checkpoint or none.
A save that fails (a full disk) removes what it wrote; what a killed one left is removed by the next
save and by :meth:`CheckpointStore.remove_leftovers`, which a writer calls when it opens the folder.
A reader may find a listed checkpoint pruned before it read it: it gets :class:`CheckpointVanished`.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from studio import __version__
from studio.engine.atomic import atomic_write, atomic_write_text
from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.checkpoints.info import (
    FORMAT,
    NAME_PATTERN,
    CheckpointInfo,
    checkpoint_stem,
    info_from_sidecar,
    read_sidecar,
)
from studio.engine.checkpoints.pytorch_file import torch_load_error_sentence
from studio.engine.checkpoints.reader import load_state_dict
from studio.engine.checkpoints.weights_file import write_weights
from studio.engine.spec.io import spec_from_dict, spec_hash, spec_to_dict
from studio.engine.spec.model import ModelSpec


class CheckpointVanished(CheckpointError):
    """A listed checkpoint was deleted (its run keeps only the last few) before or while it was read;
    a follower skips it and goes on."""


class CheckpointStore:
    """The checkpoints in ``directory``. ``keep_last=None`` keeps every checkpoint.

    The best checkpoint (highest ``best_metric`` for ``best_mode="max"``, lowest for ``"min"``) is
    kept besides the last ``keep_last``. A store opened without ``best_metric`` uses the one
    recorded by the writer.
    """

    def __init__(self, directory: str | os.PathLike, keep_last: int | None = 5,
                 best_metric: str | None = None, best_mode: str = "max") -> None:
        if best_mode not in ("max", "min"):
            raise CheckpointError(f"best_mode must be 'max' or 'min', not {best_mode!r}")
        if keep_last is not None and keep_last < 1:
            raise CheckpointError("keep_last must be at least 1 (or None to keep all)")
        self.directory = Path(directory)
        self.keep_last = keep_last
        self.best_metric = best_metric
        self.best_mode = best_mode

    # ----------------------------------------------------------------------------------- writing
    def save(self, step: int, weights: dict[str, torch.Tensor], *, epoch: float = 0.0,
             metrics: dict | None = None, spec: ModelSpec | None = None,
             training_state: dict | None = None, reason: str = "scheduled") -> CheckpointInfo:
        """Write the checkpoint of ``step`` (replacing one of the same step), then prune old ones."""
        if step < 0:
            raise CheckpointError(f"step must be >= 0, got {step}")
        if training_state is not None:
            _check_plain(training_state, "training_state")
        self.directory.mkdir(parents=True, exist_ok=True)
        stem = checkpoint_stem(step)
        sidecar = self.directory / f"{stem}.json"
        sidecar.unlink(missing_ok=True)  # an old checkpoint of this step stops counting as complete
        metrics = _plain_metrics(metrics or {})
        the_hash = spec_hash(spec) if spec is not None else None
        doc: dict[str, Any] = {
            "format": FORMAT, "step": int(step), "epoch": float(epoch), "time": time.time(),
            "metrics": metrics, "reason": reason, "spec_hash": the_hash, "studio_version": __version__,
            "best_metric": self.best_metric, "best_mode": self.best_mode,
            "has_state": training_state is not None, "tensors": len(weights)}
        state_path = self.directory / f"{stem}.state.pt"
        metadata = {key: value if isinstance(value, str) else json.dumps(value)
                    for key, value in doc.items() if value is not None}
        if spec is not None:
            doc["spec"] = spec_to_dict(spec)
        try:
            if training_state is not None:
                atomic_write(state_path, lambda tmp: _save_state(training_state, tmp))
            else:
                state_path.unlink(missing_ok=True)
            write_weights(self.directory / f"{stem}.safetensors", weights, metadata)
            atomic_write_text(sidecar, json.dumps(doc, indent=1) + "\n")
        except BaseException:
            _delete(stem, self.directory)  # (a full disk): no sidecar-less files stay behind
            raise
        self._prune()
        for info in self.list():
            if info.step == step:
                return info
        raise CheckpointError(f"checkpoint {stem} vanished right after it was written")

    def _prune(self) -> None:
        infos = self.list()
        keep = {info.step for info in infos if info.is_best}
        if self.keep_last is None:
            keep |= {info.step for info in infos}
        else:
            keep |= {info.step for info in infos[-self.keep_last:]}
        for info in infos:
            if info.step not in keep:
                _delete(info.path.stem, self.directory)
        self._remove_leftovers({info.path.stem for info in infos if info.step in keep})

    def remove_leftovers(self) -> None:
        """Remove what killed saves left: temp files, weights and state files without a sidecar. Only
        the folder's one writer may call this (a save in progress looks like leftovers)."""
        if self.directory.is_dir():
            self._remove_leftovers({info.path.stem for info in self.list()})

    def _remove_leftovers(self, complete: set[str]) -> None:
        for path in self.directory.iterdir():
            name = path.name
            temp = name.startswith(".ckpt-") and name.endswith(".tmp")
            orphan = (name.startswith("ckpt-") and name.endswith((".safetensors", ".state.pt"))
                      and name.split(".", 1)[0] not in complete)
            if temp or orphan:
                path.unlink(missing_ok=True)

    # ----------------------------------------------------------------------------------- reading
    def list(self) -> list[CheckpointInfo]:
        """Complete checkpoints, oldest step first, with ``is_best`` and ``is_last`` set."""
        if not self.directory.is_dir():
            return []
        infos: list[CheckpointInfo] = []
        metric, mode = self.best_metric, self.best_mode
        newest_doc_step = -1
        for sidecar in self.directory.glob("ckpt-*.json"):
            if not NAME_PATTERN.match(sidecar.stem):
                continue
            try:
                data = read_sidecar(sidecar)
                info = info_from_sidecar(sidecar, data)
            except CheckpointError:
                continue  # deleted or replaced while we looked: not a complete checkpoint
            infos.append(info)
            named = isinstance(data.get("best_metric"), str) and data["best_metric"]
            if self.best_metric is None and named and info.step > newest_doc_step:
                newest_doc_step = info.step
                metric, mode = data["best_metric"], data.get("best_mode", "max")
        infos.sort(key=lambda info: info.step)
        best = _best_step(infos, metric, mode)
        return [replace(info, is_best=info.step == best, is_last=i == len(infos) - 1)
                for i, info in enumerate(infos)]

    def latest(self) -> CheckpointInfo | None:
        infos = self.list()
        return infos[-1] if infos else None

    def best(self) -> CheckpointInfo | None:
        """The best checkpoint by the best metric, or None when no checkpoint has it."""
        return next((info for info in self.list() if info.is_best), None)

    def get(self, step: int) -> CheckpointInfo:
        for info in self.list():
            if info.step == step:
                return info
        raise CheckpointError(f"no complete checkpoint at step {step} in {self.directory}")

    def load_weights(self, info: CheckpointInfo | str | os.PathLike) -> dict[str, torch.Tensor]:
        """The tensors of a checkpoint; CheckpointVanished when a listed one was pruned meanwhile."""
        try:
            return load_state_dict(_weights_path(info))
        except Exception as exc:  # (safetensors raises RuntimeError for a file deleted as it opens it)
            gone = _vanished(info)
            if gone is not None:
                raise gone from None
            if isinstance(exc, OSError):
                raise CheckpointError(f"cannot read checkpoint {exc.filename or _weights_path(info)}: "
                                      f"{exc.strerror or exc}") from None
            raise

    def load_training_state(self, info: CheckpointInfo) -> dict:
        """The optimizer/scheduler/RNG state saved with ``info`` (loaded with weights_only=True)."""
        if info.state_path is None:
            raise CheckpointError(f"checkpoint {info.name} was saved without training state")
        try:
            return torch.load(info.state_path, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises many exception types for bad files
            sentence = torch_load_error_sentence(info.state_path, exc, what="training state file")
            raise _vanished(info) or CheckpointError(sentence) from None

    def load_spec(self, info: CheckpointInfo) -> ModelSpec | None:
        """The model spec recorded with ``info``, if one was."""
        try:
            return recorded_spec(info.path)
        except CheckpointError:
            gone = _vanished(info)
            if gone is None:
                raise
            raise gone from None


def recorded_spec(weights: str | os.PathLike) -> ModelSpec | None:
    """The spec in the sidecar beside a Studio checkpoint's weights file (None for other files)."""
    sidecar = Path(weights).with_suffix(".json")
    if not NAME_PATTERN.match(sidecar.stem) or not sidecar.is_file():
        return None
    data = read_sidecar(sidecar).get("spec")
    return spec_from_dict(data) if data is not None else None


def _weights_path(info: CheckpointInfo | str | os.PathLike) -> Path:
    return info.path if isinstance(info, CheckpointInfo) else Path(info)


def _vanished(info: CheckpointInfo | str | os.PathLike) -> CheckpointVanished | None:
    """The error to raise when listed checkpoint ``info`` is no longer complete (None while it is)."""
    if not isinstance(info, CheckpointInfo) or (info.sidecar.is_file() and info.path.is_file()):
        return None
    return CheckpointVanished(f"checkpoint {info.name} was removed while it was being read (its run "
                              "keeps only the last checkpoints)")


def _save_state(state: dict, path: Path) -> None:
    """``torch.save`` through a file of ours, so that a failed write keeps the OS error (errno) as the
    context of torch's RuntimeError, where :func:`studio.engine.atomic.os_error_of` finds it."""
    with open(path, "wb") as handle:
        torch.save(state, handle)


def _plain_metrics(metrics: dict) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, torch.Tensor):
            value = value.item()
        if isinstance(value, bool | str) or value is None:
            plain[str(key)] = value
        else:
            try:
                plain[str(key)] = float(value) if not isinstance(value, int) else value
            except (TypeError, ValueError):
                raise CheckpointError(f"metric '{key}' is not a number or text: {value!r}") from None
    return plain


PLAIN_LEAVES = (type(None), bool, int, float, str, bytes, torch.Tensor, torch.Size, torch.dtype, torch.device)


def _check_plain(value: Any, where: str) -> None:
    """Refuse what ``torch.load(weights_only=True)`` could not read back (it would break resuming)."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_plain(key, where)
            _check_plain(item, f"{where}[{key!r}]")
    elif isinstance(value, list | tuple | set):
        for index, item in enumerate(value):
            _check_plain(item, f"{where}[{index}]")
    elif not isinstance(value, PLAIN_LEAVES):
        raise CheckpointError(f"{where} is a {type(value).__module__}.{type(value).__name__}; training "
                              "state may hold only tensors, numbers, strings and lists/dicts of them")


def _best_step(infos: list[CheckpointInfo], metric: str | None, mode: str) -> int | None:
    if metric is None:
        return None
    best_step, best_value = None, None
    for info in infos:
        value = info.metrics.get(metric)
        if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
            continue
        if best_value is None or (value > best_value if mode == "max" else value < best_value):
            best_step, best_value = info.step, value
    return best_step


def _delete(stem: str, directory: Path) -> None:
    """Remove a checkpoint, sidecar first so it stops counting as complete at once."""
    for suffix in (".json", ".safetensors", ".state.pt"):
        (directory / f"{stem}{suffix}").unlink(missing_ok=True)
