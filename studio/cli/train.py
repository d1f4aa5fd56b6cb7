"""`studio train SPEC_OR_TEMPLATE --data DIR ...` and `studio eval CKPT_OR_RUN --data DIR`.

Works under ``torchrun --nproc_per_node=N -m studio train ...`` too (rank 0 prints and writes).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from studio.cli.common import print_json, spec_from_argument
from studio.engine.errors import StudioError


def register(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train a model on an image folder")
    parser.add_argument("spec", nargs="?",
                        help="spec file or template name (default with --resume: the run's)")
    parser.add_argument("--data", help="image folder: <class>/<image> (or flat with --labels)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--val-data", help="separate validation folder")
    group.add_argument("--val-split", type=float, help="fraction of --data held out for validation (0.2)")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=float, help="training budget in epochs (default 10)")
    budget.add_argument("--steps", type=int, help="training budget in steps")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float, help="learning rate")
    parser.add_argument("--optimizer", choices=["sgd", "adam", "adamw", "rmsprop"])
    parser.add_argument("--labels", help="label rule: folder (default), index:80, regex:PATTERN")
    parser.add_argument("--config", help="training config JSON (command-line options override it)")
    parser.add_argument("--run-dir", help="run directory to write (default runs/<model>-<time>)")
    parser.add_argument("--resume", metavar="CKPT", help="checkpoint or run directory to continue from")
    parser.add_argument("--pretrained", metavar="FILE",
                        help="fine-tune: restore all but the head from this weights file (a torchvision "
                             "state_dict for a template, named through its torchvision_<name> preset)")
    parser.add_argument("--classes", type=int, help="classes of the new task (default: the data's)")
    parser.add_argument("--freeze-backbone", action="store_true",
                        help="with --pretrained: the restored layers do not train (only the head does)")
    parser.add_argument("--device", help="auto (default), cpu, cuda, cuda:N")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--threads", type=int, help="CPU threads for torch")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run_train)

    parser = subparsers.add_parser("eval", help="score a checkpoint on an image folder")
    parser.add_argument("checkpoint", metavar="CKPT_OR_RUN", help="checkpoint file or run directory (latest)")
    parser.add_argument("--data", required=True, help="image folder with the model's classes")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--labels", help="label rule (default: the run's)")
    parser.add_argument("--watch", action="store_true",
                        help="score each new checkpoint of the run while it trains (writes run/eval/)")
    parser.add_argument("--timeout", type=float, help="with --watch: give up after this many seconds")
    parser.add_argument("--json", action="store_true", help="print metrics as JSON")
    parser.set_defaults(func=run_eval)


def run_train(args) -> int:
    from studio.cli.train_progress import ProgressPrinter
    from studio.cli.train_signals import Interrupted, StopOnSignal
    from studio.engine.training import Trainer
    from studio.engine.training.distributed import from_environment

    spec, config, run_dir = _resolve(args)
    ctx = from_environment()
    main = ctx.is_main
    printer = ProgressPrinter(enabled=main and not args.quiet and not args.json)
    trainer = Trainer(spec, config, run_dir=run_dir if main else None, callbacks=[printer],
                      resume=args.resume)
    try:
        with StopOnSignal(trainer, announce=main, repeat_aborts=not ctx.enabled) as signals:
            result = trainer.run()
    except Interrupted as exc:
        printer.close()
        if main:
            where = "before training started" if trainer.session is None else f"at step {trainer.step}"
            print(f"studio: aborted by {exc} {where}; last checkpoint: {trainer.last_checkpoint or 'none'}",
                  file=sys.stderr)
        return 128 + exc.signum
    finally:
        printer.close()
    interrupted = signals.signum is not None and result.reason == signals.reason
    if not main:
        return signals.exit_code if interrupted else 0 if result.status == "finished" else 1
    if args.json:
        print_json(result.__dict__)
    else:
        printer.summary(result)
    if result.status == "failed":
        print(f"studio: error: {result.reason}", file=sys.stderr)
        return 1
    if interrupted:
        saved = (f"checkpoint saved: {result.last_checkpoint} (continue with --resume)"
                 if result.last_checkpoint else "no checkpoint (no step was trained)")
        print(f"studio: {result.reason} at step {result.step}; {saved}", file=sys.stderr)
        return signals.exit_code
    return 0


def _resolve(args):
    """The spec, config and run directory the options describe."""
    from studio.engine.data import LabelRule, scan_image_folder
    from studio.engine.runs import RunReader, new_run_dir
    from studio.engine.runs.locate import locate_checkpoint
    from studio.engine.training import TrainConfig, load_config

    run_dir = Path(args.run_dir) if args.run_dir else None
    resumed = None
    if args.resume:
        resumed = locate_checkpoint(args.resume).run_dir
        run_dir = run_dir or resumed
    reader = RunReader(resumed) if resumed is not None else None
    if args.config:
        config = load_config(args.config)
    elif reader is not None and (recorded := reader.config()):
        config = TrainConfig.from_dict(recorded)
    else:
        config = TrainConfig()
    data = {}
    if args.data:
        data["root"] = args.data
    if args.val_data:
        data.update(val_root=args.val_data, val_split=0.0)
    if args.val_split is not None:
        data.update(val_split=args.val_split, val_root=None)
    if args.labels:
        data["labels"] = LabelRule.from_value(args.labels)
    changes: dict[str, Any] = {"data": data} if data else {}
    if args.epochs is not None:
        changes.update(epochs=args.epochs, steps=None)
    if args.steps is not None:
        changes["steps"] = args.steps
    for key in ("batch_size", "seed", "threads", "device"):
        if getattr(args, key) is not None:
            changes[key] = getattr(args, key)
    optimizer = {k: v for k, v in (("lr", args.lr), ("name", args.optimizer)) if v is not None}
    if optimizer:
        changes["optimizer"] = optimizer
    config = config.replace(**changes) if changes else config
    if not config.data.root:
        raise StudioError("no training data: give --data DIR (a folder of class folders)")
    if args.spec:
        classes = args.classes
        if classes is None and not Path(args.spec).exists():  # a template: size it for the data's classes
            classes = len(scan_image_folder(config.data.root, config.data.labels).class_names)
        spec = spec_from_argument(args.spec, num_classes=classes)
        if args.pretrained:
            config = config.replace(init=(*config.init, _pretrained_init(spec, args)))
    elif reader is not None and (run_spec := reader.spec()) is not None:
        spec = run_spec
    else:
        raise StudioError("give a spec file or template name (see `studio templates`)")
    if args.freeze_backbone and not args.pretrained:
        raise StudioError("--freeze-backbone needs --pretrained FILE")
    if run_dir is None:
        run_dir = new_run_dir(os.environ.get("STUDIO_RUNS", "runs"), spec.name)
    return spec, config, run_dir


def _pretrained_init(spec, args):
    """The restore step of ``--pretrained``: all but the head, through the template's preset; the
    file is planned first, so weights of another architecture are one sentence before training."""
    from studio.engine.pretrained import finetune_init, head_nodes, plan_finetune, preset_for

    template = spec.meta.get("template")
    preset = preset_for(template) if isinstance(template, str) else None
    head = head_nodes(spec)
    plan_finetune(spec, args.pretrained, head, preset)
    return finetune_init(args.pretrained, head, preset, freeze=args.freeze_backbone)


def run_eval(args) -> int:
    from studio.engine.runs.layout import is_run_dir
    from studio.engine.training.scoring import evaluate_checkpoint, evaluation_loop

    options = {"batch_size": args.batch_size, "device": args.device, "labels": args.labels}
    if args.watch:
        run_dir = Path(args.checkpoint)
        if not is_run_dir(run_dir):
            raise StudioError(f"--watch needs a run directory, not {run_dir}")
        reports = evaluation_loop(run_dir, args.data, timeout=args.timeout,
                                  callback=None if args.json else _print_report, **options)
        if args.json:
            print_json([report.to_dict() for report in reports])
        return 0
    report = evaluate_checkpoint(args.checkpoint, args.data, **options)
    if args.json:
        print_json(report.to_dict())
    else:
        _print_report(report)
    return 0


def _print_report(report) -> None:
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{Path(report.checkpoint).name} (step {report.step}) on {report.images} images "
          f"from {report.data}:")
    width = max(len(k) for k in report.metrics)
    for key, value in report.metrics.items():
        print(f"  {key:<{width}}  {value:.4f}")
