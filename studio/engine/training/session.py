"""Everything a run needs, built before the first step (``Trainer.prepare``): device, data, model,
losses, optimizer, schedule, loaders, evaluator, run directory and checkpoint store."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from studio.engine.checkpoints import CheckpointInfo, CheckpointStore
from studio.engine.checkpoints.mapping import NameMapping
from studio.engine.checkpoints.restore import restore
from studio.engine.checkpoints.selection import Selection
from studio.engine.compiler import compile_spec
from studio.engine.data import (
    Augmenter,
    BatchLoader,
    ImageData,
    Normalization,
    load_split,
    prepare_image_data,
)
from studio.engine.data.augment import ignored_for_channels
from studio.engine.data.facts import data_facts
from studio.engine.errors import SpecError, StudioError
from studio.engine.graph_module import GraphModule
from studio.engine.runs import RunWriter, layout
from studio.engine.runs.locate import locate_checkpoint
from studio.engine.runs.lock import RunLock
from studio.engine.runs.tensorboard import INSTALL_HINT, TensorBoardLogger
from studio.engine.spec.analysis import analyze, fitted_spec
from studio.engine.spec.model import ModelSpec
from studio.engine.training import distributed
from studio.engine.training.config import TrainConfig
from studio.engine.training.device import DeviceSetup, choose_device
from studio.engine.training.distributed import DistContext
from studio.engine.training.evaluator import Evaluator
from studio.engine.training.events import DataReportEvent, ProgressEvent, WarningEvent
from studio.engine.training.failures import FitError
from studio.engine.training.losses import Head, LossSet, bind_losses
from studio.engine.training.optim import build_optimizer, build_scheduler
from studio.engine.training.resume import restore_rng

Emit = Callable[[Any], None]


@dataclass
class Session:
    """The prepared state of one training process."""

    config: TrainConfig
    spec: ModelSpec
    ctx: DistContext
    setup: DeviceSetup
    data: ImageData
    model: GraphModule  # what checkpoints save
    train_model: torch.nn.Module  # the same, wrapped in DDP when distributed
    heads: list[Head]
    loss_set: LossSet
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    scaler: torch.amp.GradScaler | None
    train_loader: BatchLoader
    val_loader: BatchLoader | None
    evaluator: Evaluator | None
    total_steps: int
    start_step: int
    resume_state: dict[str, Any] | None
    run_dir: Path | None
    writer: RunWriter | None
    tensorboard: TensorBoardLogger | None
    store: CheckpointStore | None
    created_group: bool
    threads_before: int | None = None  # torch's thread count to restore when the run ends
    lock: RunLock | None = None  # the run folder's (rank 0 with a run folder)

    @property
    def steps_per_epoch(self) -> int:
        return self.train_loader.steps_per_epoch

    def close(self, discard: bool = False) -> None:
        """Let go of everything; ``discard``: remove the run folder this run created (it failed before
        its first step: what it wrote describes no run)."""
        if self.tensorboard is not None:
            self.tensorboard.close()
        if self.writer is not None:
            self.writer.close()
        if self.lock is not None:
            self.lock.release(discard=discard)
        self.data.close()
        distributed.shutdown(self.created_group)
        if self.threads_before is not None:
            torch.set_num_threads(self.threads_before)


def input_shape_of(spec: ModelSpec) -> tuple[int, int, int]:
    """The single image input's ``(C, H, W)``; SpecError when the model cannot take image batches."""
    inputs = spec.input_nodes()
    if len(inputs) != 1:
        raise SpecError("training on an image folder needs a model with one input, "
                        f"this one has {len(inputs)}")
    shape = inputs[0].args.get("shape")
    if not isinstance(shape, list | tuple) or len(shape) != 3:
        raise SpecError(f"input '{inputs[0].id}' must declare an image shape [channels, height, width], "
                        f"not {shape!r}")
    channels, height, width = shape
    return int(channels), int(height), int(width)


def fit_to_data(spec: ModelSpec, config: TrainConfig,
                class_names: tuple[str, ...] | None = None) -> ModelSpec:
    """``spec`` as it trains on ``config``'s data, found before any image is decoded (a scan and a few
    image headers): an input without a shape takes the images', and every output a loss trains must
    give one value per class. SpecError (FitError when the first problem is an output that does not
    fit the classes; or DataError, ConfigError) naming what to fix."""
    facts = data_facts(config.data, class_names)
    outputs = [node.id for node in spec.output_nodes()]
    heads = tuple(head.output for head in bind_losses(config.losses, outputs)) if outputs else None
    if any(node.args.get("shape") is None for node in spec.input_nodes()):
        facts.required_shape()
    data = replace(facts, heads=heads)
    try:
        return fitted_spec(spec, data)
    except SpecError as exc:  # which problem came first: fitted_spec raised the first error's message
        first = next((issue for issue in analyze(spec, data).issues if issue.severity == "error"), None)
        if first is not None and first.about == "data":
            raise FitError(str(exc)) from None
        raise


def build_session(spec: ModelSpec, config: TrainConfig, run_dir: Path | None, resume: Any,
                  emit: Emit) -> Session:
    """Prepare a run (heavy: decodes the data, builds the model). Raises StudioError for user mistakes."""
    ctx = distributed.from_environment()
    threads_before = torch.get_num_threads() if config.threads else None
    if config.threads:
        torch.set_num_threads(config.threads)
    try:
        return _build(spec, config, run_dir, resume, emit, ctx, threads_before)
    except BaseException:
        if threads_before is not None:
            torch.set_num_threads(threads_before)
        raise


def _build(spec, config, run_dir, resume, emit, ctx, threads_before) -> Session:
    store = resume_run = None
    if resume is not None:
        store, _, resume_run = locate_checkpoint(resume)
        run_dir = run_dir or resume_run
    lock = None
    if ctx.is_main and run_dir is not None:  # before anything is written (or a resume point chosen)
        lock = RunLock.acquire(run_dir)
    try:
        session = _build_locked(spec, config, run_dir, resume, resume_run, emit, ctx)
    except BaseException:
        if lock is not None:
            lock.release(discard=True)  # a failed start leaves no run (a folder that was there stays)
        raise
    session.threads_before, session.lock = threads_before, lock
    return session


def _build_locked(spec, config, run_dir, resume, resume_run, emit, ctx) -> Session:
    setup = choose_device(config.device, ctx.local_rank, config.amp, config.channels_last)
    created = distributed.init(ctx, setup.device)
    checkpoint, resume_state, split, classes, norm = None, None, None, None, None
    if ctx.is_main and run_dir is not None:  # the one writer: what killed saves left goes now
        CheckpointStore(Path(run_dir) / layout.CHECKPOINTS).remove_leftovers()
    if resume is not None:
        store, checkpoint, _ = locate_checkpoint(resume)  # (again: the newest now that the run is ours)
        resume_state = store.load_training_state(checkpoint)
        split, classes, norm = _saved_data_choices(resume_run or run_dir)
    elif run_dir is not None:
        split, classes, norm = _saved_data_choices(run_dir)
    spec = fit_to_data(spec, config, classes)  # before decoding: a model that cannot fit is told at once
    shape = input_shape_of(spec)

    def progress(stage: str, done: int, total: int) -> None:
        emit(ProgressEvent(stage, done, total))

    data = prepare_image_data(config.data, shape, saved_split=split, class_names=classes, normalization=norm,
                              progress=progress if ctx.is_main else None)
    note = ignored_for_channels(config.augment, shape[0])
    if note is not None:
        data.report = replace(data.report, warnings=(*data.report.warnings, note))
    try:
        return _finish(spec, config, run_dir, ctx, setup, created, data, checkpoint, resume_state, emit)
    except BaseException:
        data.close()
        distributed.shutdown(created)
        raise


def _finish(spec, config, run_dir, ctx, setup, created, data, checkpoint, resume_state, emit) -> Session:
    device = setup.device
    num_classes = len(data.class_names)
    torch.manual_seed(config.seed)
    try:
        model = compile_spec(spec, device=device)
    except SpecError as exc:
        raise SpecError(f"the model does not compile: {exc}") from None
    heads = bind_losses(config.losses, model.output_names)
    for index, init in enumerate(config.init):
        emit(ProgressEvent("restore", index, len(config.init)))
        restore(model, init.checkpoint, Selection(init.include, init.exclude),
                NameMapping.from_dict(init.mapping or {}), freeze=init.freeze)
    if checkpoint is not None:
        weights = CheckpointStore(checkpoint.path.parent).load_weights(checkpoint)
        try:
            model.load_state_dict(weights)
        except RuntimeError as exc:
            raise StudioError(f"checkpoint {checkpoint.name} does not fit this model: "
                              f"{str(exc).splitlines()[0]}") from None
    if setup.channels_last:
        model = model.to(memory_format=torch.channels_last)
    train_model = distributed.wrap(model, ctx, device)
    optimizer = build_optimizer(model.parameters(), config.optimizer)
    augmenter = Augmenter(config.augment, config.seed, device) if config.augment.enabled else None
    train_loader = BatchLoader(data.train, config.batch_size, device, data.normalization, shuffle=True,
                               seed=config.seed, rank=ctx.rank, world=ctx.world, augmenter=augmenter,
                               channels_last=setup.channels_last)
    total_steps = config.steps or max(1, round(config.epochs * train_loader.steps_per_epoch))
    scheduler = build_scheduler(optimizer, config.schedule, total_steps)
    scaler = torch.amp.GradScaler(device.type) if setup.needs_scaler else None
    val_loader, evaluator = None, None
    if data.val is not None:
        val_loader = BatchLoader(data.val, config.eval_batch_size or config.batch_size * 2, device,
                                 data.normalization, shuffle=False, rank=ctx.rank, world=ctx.world, pad=False,
                                 channels_last=setup.channels_last)
        evaluator = Evaluator(heads, num_classes, device, ctx=ctx, autocast=setup.autocast)
    start_step = 0
    if resume_state is not None:
        optimizer.load_state_dict(resume_state["optimizer"])
        scheduler.load_state_dict(resume_state["scheduler"])
        if scaler is not None and resume_state.get("scaler"):
            scaler.load_state_dict(resume_state["scaler"])
        start_step = int(resume_state["step"])
        rng = resume_state.get("rng") or []
        if len(rng) == ctx.world:
            restore_rng(rng[ctx.rank])
        else:
            emit(WarningEvent(f"the checkpoint was written by {len(rng)} process(es), this run has "
                              f"{ctx.world}: random states start fresh"))
    else:
        torch.manual_seed(config.seed + ctx.rank)
    writer = tensorboard = store = None
    if ctx.is_main and run_dir is not None:
        writer, tensorboard, store = _open_run(run_dir, spec, config, data, setup, ctx, checkpoint, emit)
    if ctx.is_main:
        emit(DataReportEvent(data.report.to_dict()))
        for warning in data.report.warnings:
            emit(WarningEvent(warning))
    return Session(config, spec, ctx, setup, data, model, train_model, heads,
                   LossSet(heads, regularized=bool(model.regularizers)), optimizer, scheduler, scaler,
                   train_loader, val_loader, evaluator, total_steps, start_step, resume_state, run_dir,
                   writer, tensorboard, store, created)


def _saved_data_choices(run_dir: Path | None):
    """The split, class names and normalisation an earlier run of ``run_dir`` used (if any)."""
    if run_dir is None or not (run_dir / layout.SPLIT).exists():
        return None, None, None
    from studio.engine.runs import RunReader

    report = RunReader(run_dir).data_report() or {}
    norm = report.get("normalization")
    classes = tuple(report["class_names"]) if "class_names" in report else None
    return (load_split(run_dir / layout.SPLIT), classes,
            Normalization(tuple(norm["mean"]), tuple(norm["std"])) if norm else None)


def _open_run(run_dir: Path, spec: ModelSpec, config: TrainConfig, data: ImageData, setup: DeviceSetup,
              ctx: DistContext, checkpoint: CheckpointInfo | None, emit: Emit):
    from studio.engine.data import save_split

    writer = RunWriter(run_dir)
    writer.write_spec(spec)
    writer.write_json(layout.CONFIG, config.to_dict())
    writer.write_json(layout.DATA_REPORT, data.report.to_dict())
    save_split(data.split, run_dir / layout.SPLIT)
    writer.log_text(f"device: {setup.description}" + (f", {ctx.world} processes" if ctx.enabled else ""))
    writer.log_text(data.report.summary().replace("\n", "\n    "))
    if checkpoint is not None:
        writer.log_text(f"resuming from {checkpoint.path} (step {checkpoint.step})")
        writer.log_metrics({"kind": "resume", "step": checkpoint.step, "time": time.time()})
    tensorboard = TensorBoardLogger.create(run_dir, purge_step=checkpoint.step + 1 if checkpoint else None)
    if tensorboard is None:
        writer.log_text(INSTALL_HINT)
        emit(WarningEvent(INSTALL_HINT))
    store = CheckpointStore(run_dir / layout.CHECKPOINTS, keep_last=config.checkpoint.keep_last,
                            best_metric=config.checkpoint.best_metric if data.val is not None else None,
                            best_mode=config.checkpoint.best_mode)
    return writer, tensorboard, store
