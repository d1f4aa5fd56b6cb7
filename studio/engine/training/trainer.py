"""The trainer: one object the GUI (in a worker thread), the command line and torchrun all drive.

    trainer = Trainer(spec, config, run_dir="runs/demo", callbacks=print)
    if trainer.prepare():        # heavy: data decoding, model build (the GUI calls it off the UI thread)
        result = trainer.run()   # blocks; pause()/resume()/stop() may be called from any thread

Events (``studio.engine.training.events``) carry plain values only. Failures are reported through a
FailedEvent and the result, never raised: bad data, a spec that does not compile, NaN/inf losses,
running out of memory, a full disk, a run folder another process is writing.
"""

from __future__ import annotations

import gc
import math
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from studio.engine.atomic import no_room, os_error_of, write_failure
from studio.engine.errors import StudioError
from studio.engine.spec.model import ModelSpec
from studio.engine.training.config import TrainConfig
from studio.engine.training.distributed import any_flags, gather_objects
from studio.engine.training.events import (
    CheckpointEvent,
    EpochEvent,
    EvalEvent,
    FailedEvent,
    FinishedEvent,
    StateEvent,
    StepEvent,
    WarningEvent,
)
from studio.engine.training.failures import failure_kind
from studio.engine.training.resume import capture_rng
from studio.engine.training.session import Session, build_session
from studio.engine.training.steplog import StepLog

STATUS_SECONDS = 2.0  # at most one status.json heartbeat per this many seconds while running


@dataclass(frozen=True)
class TrainResult:
    """How a run ended: ``status`` finished | failed; ``reason`` completed, stopped (or the reason given
    to ``stop``, e.g. "interrupted by SIGINT"), early stopping, or the failure message; ``kind`` the
    failure's kind (``studio.engine.training.failures.FAILURE_KINDS``), None when it finished."""

    status: str
    reason: str
    step: int = 0
    epoch: float = 0.0
    metrics: dict[str, float] = field(default_factory=dict)
    last_checkpoint: str | None = None
    best_checkpoint: str | None = None
    run_dir: str | None = None
    seconds: float = 0.0
    kind: str | None = None


class _Failure(Exception):
    """Ends the loop with a message for the user: the loss or the weights are no longer finite."""

    kind = "nan"


class Trainer:
    """Trains ``spec`` under ``config``; writes ``run_dir`` when given (rank 0 only)."""

    def __init__(self, spec: ModelSpec, config: TrainConfig, *, run_dir: str | Path | None = None,
                 callbacks: Callable[[Any], None] | Iterable[Callable[[Any], None]] = (),
                 resume: Any = None) -> None:
        self.spec = spec.copy()
        self.config = config
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.callbacks = [callbacks] if callable(callbacks) else list(callbacks)
        self.resume_from = resume
        self.session: Session | None = None
        self.state = "idle"
        self.step = 0
        self.metrics: dict[str, float] = {}
        self.last_checkpoint: str | None = None
        self.best_checkpoint: str | None = None
        self.result: TrainResult | None = None
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()
        self._stop_reason = "stopped"
        self._status_time = 0.0
        self._started = time.perf_counter()

    # ------------------------------------------------------------------------------- control
    def pause(self) -> None:
        """Pause before the next step (thread-safe)."""
        self._running.clear()

    def resume(self) -> None:
        """Continue after pause() (thread-safe)."""
        self._running.set()

    def stop(self, reason: str = "stopped") -> None:
        """Stop before the next step, after saving a checkpoint (thread-safe); ``reason`` (e.g.
        "interrupted by SIGINT") ends up in the result and status.json."""
        self._stop_reason = reason
        self._stop.set()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    # ------------------------------------------------------------------------------- lifecycle
    def prepare(self) -> bool:
        """Decode the data, build the model and optimizer, open the run directory. False (after a
        FailedEvent) when the input cannot be used."""
        if self.session is not None:
            return True
        self._set_state("preparing")
        try:
            self.session = build_session(self.spec, self.config, self.run_dir, self.resume_from, self._emit)
        except StudioError as exc:
            self._fail(str(exc))
            return False
        except Exception as exc:  # a bug, not a user mistake: report it with its type
            error = os_error_of(exc)
            if error is not None and no_room(error):
                self._fail(f"{write_failure(error)}: the run could not start. Free some space "
                           "and start it again")
            else:
                self._fail(f"internal error while preparing: {type(exc).__name__}: {exc}",
                           traceback.format_exc())
            return False
        s = self.session
        self.run_dir = s.run_dir
        self.step = s.start_step
        latest = s.store.latest() if s.store is not None and s.resume_state is not None else None
        self.last_checkpoint = str(latest.path) if latest is not None else None  # (resumed from)
        return True

    def run(self) -> TrainResult:
        """Train until the budget, a stop, early stopping or a failure; returns how it ended."""
        if self.result is not None:  # already ran (or failed to prepare)
            return self.result
        if self.session is None and not self.prepare():
            return self._ended()
        s = self.session
        assert s is not None  # prepare() built it
        try:
            self._train(s)
        except _Failure as exc:
            self._fail(str(exc))
        except torch.OutOfMemoryError:
            self._out_of_memory(s)
        except RuntimeError as exc:
            if "can't allocate memory" in str(exc) or "out of memory" in str(exc):
                self._out_of_memory(s)
            else:
                self._fail(f"internal error: {type(exc).__name__}: {exc}", traceback.format_exc())
        except StudioError as exc:
            self._fail(str(exc))
        except Exception as exc:
            error = os_error_of(exc)
            if error is not None and no_room(error):
                self._no_room(s, error)
            else:
                self._fail(f"internal error: {type(exc).__name__}: {exc}", traceback.format_exc())
        finally:
            s.close(discard=self.result is not None and self.result.status == "failed"
                    and self.step == 0 and s.resume_state is None and self.last_checkpoint is None)
        return self._ended()

    def _ended(self) -> TrainResult:
        assert self.result is not None  # _finish or _fail recorded how the run ended
        return self.result

    # ------------------------------------------------------------------------------- the loop
    def _train(self, s: Session) -> None:
        cfg, ctx = s.config, s.ctx
        spe, total = s.steps_per_epoch, s.total_steps
        step = s.start_step
        state = s.resume_state or {}
        stopper = dict(state.get("early_stopping") or {"best": None, "bad": 0})
        sync_every = 1 if (not ctx.enabled and s.setup.device.type == "cpu") else cfg.log_every
        eval_every = cfg.eval_every_steps
        ck = cfg.checkpoint
        save_after_eval = ck.every_steps is None and ck.every_seconds is None
        last_save, saved_step, eval_step = time.monotonic(), (step if s.resume_state else -1), -1
        log, epoch_images, epoch_start = StepLog(), 0, time.perf_counter()
        epoch_losses: list[float] = []
        self._set_state("running", step, total_steps=total)
        reason = "completed"
        if s.tensorboard is not None and step == 0:
            self._log_images(s)
        while step < total and reason == "completed":
            epoch, start = divmod(step, spe)
            for x, y in s.train_loader.batches(epoch, start, step):
                if not self._running.is_set():
                    self._wait_while_paused(s, step)
                if not ctx.enabled and self._stop.is_set():
                    reason = "stopped"
                    break
                loss, parts, correct = self._train_step(s, x, y)
                step += 1
                self.step = step
                log.add(loss, parts, len(y), correct)
                epoch_images += len(y) * ctx.world
                epoch_end = step % spe == 0
                stop_now = time_save = False
                if step % sync_every == 0 or step == total or epoch_end:
                    bad = log.first_bad()
                    due = ck.every_seconds is not None and time.monotonic() - last_save >= ck.every_seconds
                    bad_any, stop_now, time_save = any_flags([bad is not None, self._stop.is_set(), due],
                                                             s.setup.device, ctx)
                    if bad_any:
                        where = step - (bad or 1) + 1
                        raise _Failure(f"the loss became NaN or infinite at step {where}: training stopped. "
                                       f"Last good checkpoint: {self.last_checkpoint or 'none'}. Try a lower "
                                       "learning rate, gradient clipping or checking the data.")
                if step % cfg.log_every == 0 or step == total or epoch_end:
                    epoch_losses.append(self._log_step(s, step, log))
                evaluate = s.evaluator is not None and (
                    (eval_every is not None and step % eval_every == 0) or (eval_every is None and epoch_end))
                early_stop = False
                if evaluate:
                    self._evaluate(s, step)
                    eval_step = step
                    early_stop = self._early_stopping(s, stopper)
                every = ck.every_steps is not None and step % ck.every_steps == 0
                if every or time_save or (evaluate and save_after_eval):
                    self._save(s, step, "stopped" if stop_now else "scheduled", eval_step == step, stopper)
                    last_save, saved_step = time.monotonic(), step
                if epoch_end:
                    self._end_epoch(s, step, epoch_losses, epoch_images, time.perf_counter() - epoch_start)
                    epoch_images, epoch_start, epoch_losses = 0, time.perf_counter(), []
                if early_stop:
                    reason = "early stopping"
                elif stop_now:
                    reason = "stopped"
                if reason != "completed" or step >= total:
                    break
        if reason != "stopped" and s.evaluator is not None and eval_step != step:
            self._evaluate(s, step)
            eval_step = step
        if saved_step != step and step > s.start_step:
            self._save(s, step, "stopped" if reason == "stopped" else "final", eval_step == step, stopper)
        self._finish(s, step, self._stop_reason if reason == "stopped" else reason)

    def _train_step(self, s: Session, x: torch.Tensor, y: torch.Tensor):
        with s.setup.autocast():
            outputs = s.train_model(x)
            loss, parts = s.loss_set(outputs, y, s.model)
        correct = _correct(s, outputs, y)
        s.optimizer.zero_grad(set_to_none=True)
        if s.scaler is not None:
            s.scaler.scale(loss).backward()
            if s.config.grad_clip:
                s.scaler.unscale_(s.optimizer)
                torch.nn.utils.clip_grad_norm_(s.model.parameters(), s.config.grad_clip)
            s.scaler.step(s.optimizer)
            s.scaler.update()
        else:
            loss.backward()
            if s.config.grad_clip:
                torch.nn.utils.clip_grad_norm_(s.model.parameters(), s.config.grad_clip)
            s.optimizer.step()
        s.scheduler.step()
        return loss, parts, correct

    # ------------------------------------------------------------------------------- reporting
    def _log_step(self, s: Session, step: int, log: StepLog) -> float:
        accuracy = log.accuracy() if s.ctx.world == 1 else None  # (this process's share only)
        metrics = {} if accuracy is None else {"train/accuracy": accuracy}
        loss, parts, rate = log.summary(s.ctx.world)
        lr = s.optimizer.param_groups[0]["lr"]
        epoch = step / s.steps_per_epoch
        self._emit(StepEvent(step, epoch, loss, parts, lr, rate, metrics))
        if s.writer is not None:
            s.writer.log_metrics({"kind": "step", "step": step, "epoch": round(epoch, 4), "loss": loss,
                                  "losses": parts, "lr": lr, "images_per_s": round(rate, 1),
                                  "metrics": metrics, "time": time.time()})
            if time.monotonic() - self._status_time >= STATUS_SECONDS:
                self._status(s, step=step)  # (with its epoch)
        if s.tensorboard is not None:
            s.tensorboard.scalars(step, {"train/loss": loss, "train/lr": lr, "train/images_per_s": rate,
                                         **{f"train/{name}": value for name, value in parts.items()},
                                         **metrics})
        return loss

    def _end_epoch(self, s: Session, step: int, losses: list[float], images: int, seconds: float) -> None:
        epoch, loss, rate = step // s.steps_per_epoch, _mean(losses), images / max(seconds, 1e-9)
        self._emit(EpochEvent(epoch, step, loss, seconds, rate))
        if s.writer is not None:
            s.writer.log_metrics({"kind": "epoch", "step": step, "epoch": epoch, "loss": loss,
                                  "images": images, "seconds": round(seconds, 3),
                                  "images_per_s": round(rate, 1), "time": time.time()})

    def _evaluate(self, s: Session, step: int) -> None:
        assert s.evaluator is not None and s.val_loader is not None  # made together, from validation data
        scalars, details = s.evaluator.evaluate(s.model, s.val_loader)
        best = s.store.best_metric if s.store is not None else None
        if best is not None and best not in scalars and not self.metrics:
            self._emit(WarningEvent(f"checkpoint.best_metric '{best}' is not computed (known: "
                                    f"{', '.join(scalars)}): no checkpoint is kept as the best"))
        self.metrics = scalars
        epoch = step / s.steps_per_epoch
        self._emit(EvalEvent(step, epoch, scalars, details))
        if s.writer is not None:
            s.writer.log_metrics({"kind": "eval", "step": step, "epoch": round(epoch, 4), "metrics": scalars,
                                  "details": details, "time": time.time()})
            self._status(s, step=step, metrics=scalars)
        if s.tensorboard is not None:
            s.tensorboard.scalars(step, scalars)

    def _early_stopping(self, s: Session, stopper: dict) -> bool:
        rule = s.config.early_stopping
        if rule.metric is None:
            return False
        if rule.metric not in self.metrics:
            self._emit(WarningEvent(f"early stopping metric '{rule.metric}' is not computed "
                                    f"(known: {', '.join(self.metrics)})"))
            return False
        value, best = self.metrics[rule.metric], stopper["best"]
        better = best is None or (value > best + rule.min_delta if rule.mode == "max"
                                  else value < best - rule.min_delta)
        stopper["best"], stopper["bad"] = (value, 0) if better else (best, stopper["bad"] + 1)
        return stopper["bad"] >= rule.patience

    def _save(self, s: Session, step: int, reason: str, fresh_metrics: bool, stopper: dict) -> None:
        rng = gather_objects(capture_rng(), s.ctx)  # every process takes part
        weights = {k: v.detach().contiguous() for k, v in s.model.state_dict().items()}
        if not all(torch.isfinite(v).all() for v in weights.values() if v.is_floating_point()):
            raise _Failure(f"the weights became NaN or infinite by step {step}: training stopped. Last good "
                           f"checkpoint: {self.last_checkpoint or 'none'}. Try a lower learning rate.")
        if s.store is None:
            return
        state = {"optimizer": s.optimizer.state_dict(), "scheduler": s.scheduler.state_dict(),
                 "scaler": s.scaler.state_dict() if s.scaler is not None else {}, "step": step,
                 "rng": rng, "seed": s.config.seed, "world_size": s.ctx.world,
                 "early_stopping": dict(stopper)}
        info = s.store.save(step, weights, epoch=step / s.steps_per_epoch,
                            metrics=self.metrics if fresh_metrics else None, spec=s.spec,
                            training_state=state, reason=reason)
        self.last_checkpoint = str(info.path)
        best = s.store.best()
        self.best_checkpoint = str(best.path) if best is not None else None
        self._emit(CheckpointEvent(step, str(info.path), reason, best is not None and best.step == step))
        self._status(s, step=step, last_checkpoint=self.last_checkpoint, best_checkpoint=self.best_checkpoint)

    def _log_images(self, s: Session) -> None:
        assert s.tensorboard is not None  # called only when logging to TensorBoard
        x, _ = s.train_loader.assemble(s.train_loader.epoch_positions(0)[:16], 0)
        s.tensorboard.images("train/batch", 0, x.float() * s.train_loader.std + s.train_loader.mean)

    def _wait_while_paused(self, s: Session, step: int) -> None:
        self._set_state("paused", step)
        while not self._running.wait(STATUS_SECONDS):
            if s.writer is not None:
                self._status(s)
        self._set_state("running", step)

    # ------------------------------------------------------------------------------- endings
    def _finish(self, s: Session, step: int, reason: str) -> None:
        epoch = step / s.steps_per_epoch
        seconds = time.perf_counter() - self._started
        self.result = TrainResult("finished", reason, step, epoch, dict(self.metrics), self.last_checkpoint,
                                  self.best_checkpoint, str(self.run_dir) if self.run_dir else None, seconds)
        if s.writer is not None:
            s.writer.log_text(f"finished at step {step} ({reason}) after {seconds:.1f} s")
        self._set_state("finished", step, reason=reason)
        self._emit(FinishedEvent(step, epoch, reason, dict(self.metrics), self.last_checkpoint,
                                 self.best_checkpoint, seconds))

    def _out_of_memory(self, s: Session) -> None:
        s.optimizer.zero_grad(set_to_none=True)
        if gc.isenabled():  # off: the caller collects on one thread only (the GUI: never in this one)
            gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        size = s.config.batch_size
        self._fail(f"out of memory on {s.setup.device} with batch size {size}: try a smaller batch size "
                   f"(e.g. --batch-size {max(1, size // 2)})")

    def _no_room(self, s: Session, error: OSError) -> None:
        """A write failed for lack of space: what was being written is gone (the store and the run
        writer remove their half-written files), the checkpoints listed are whole."""
        latest = s.store.latest() if s.store is not None else None
        last = str(latest.path) if latest is not None else self.last_checkpoint
        self.last_checkpoint = last
        self._fail(f"{write_failure(error)}: training stopped at step {self.step}. Last good checkpoint: "
                   f"{last or 'none'}. Free some space, then resume the run")

    def _fail(self, reason: str, details: str | None = None) -> None:
        """End with ``reason``; writing it to the run folder is best effort (the disk may be full: the
        status then keeps its last state, which readers tell from a live one by the writer's pid).
        Called while handling the exception that ended the run: its kind is that exception's."""
        s = self.session
        kind = failure_kind(sys.exc_info()[1])
        self.result = TrainResult("failed", reason, self.step, 0.0, dict(self.metrics), self.last_checkpoint,
                                  self.best_checkpoint, str(self.run_dir) if self.run_dir else None,
                                  time.perf_counter() - self._started, kind)
        if s is not None and s.writer is not None:
            try:
                s.writer.log_text(f"failed at step {self.step}: {reason}")
                if details:
                    s.writer.log_text(details)
            except OSError:
                pass
        self._set_state("failed", self.step, best_effort=True, reason=reason)
        self._emit(FailedEvent(reason, self.step, self.last_checkpoint, kind))

    # ------------------------------------------------------------------------------- plumbing
    def _set_state(self, state: str, step: int | None = None, best_effort: bool = False,
                   **fields: Any) -> None:
        self.state = state
        step = self.step if step is None else step
        s = self.session
        if s is not None and s.writer is not None:
            try:
                self._status(s, state=state, step=step, device=s.setup.description, world_size=s.ctx.world,
                             **fields)
            except OSError:
                if not best_effort:
                    raise
        self._emit(StateEvent(state, step, fields.get("total_steps")))

    def _status(self, s: Session, **fields: Any) -> None:
        if s.writer is not None:
            if "step" in fields and "epoch" not in fields:  # never leave a heartbeat's older epoch behind
                fields["epoch"] = round(fields["step"] / s.steps_per_epoch, 4)
            s.writer.update_status(**fields)
            self._status_time = time.monotonic()

    def _emit(self, event: Any) -> None:
        for callback in self.callbacks:
            callback(event)


def _correct(s: Session, outputs: Any, labels: torch.Tensor) -> torch.Tensor | None:
    """Right predictions of the first classification head in a batch (a device tensor: no sync)."""
    head = next((h for h in s.heads if h.is_classification), None)
    if head is None:
        return None
    logits = outputs[head.output] if isinstance(outputs, dict) else outputs
    return (logits.detach().argmax(-1) == labels).sum()


def _mean(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else float("nan")
