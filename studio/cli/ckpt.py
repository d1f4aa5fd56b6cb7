"""`studio ckpt ls|show|diff|restore|export`: the checkpoint browser's engine on the command line."""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Sequence
from pathlib import Path

import torch

from studio.cli.common import TIMES, print_json, spec_from_argument
from studio.engine.checkpoints.diff import diff_checkpoints, diff_with_model
from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.checkpoints.export import DEFAULT_OPSET, FORMATS, export_model
from studio.engine.checkpoints.info import NAME_PATTERN
from studio.engine.checkpoints.inspector import CheckpointInspector
from studio.engine.checkpoints.mapping import NameMapping
from studio.engine.checkpoints.plan import RestorePlan, plan_restore
from studio.engine.checkpoints.presets import load_preset
from studio.engine.checkpoints.reader import open_checkpoint
from studio.engine.checkpoints.restore import apply_plan
from studio.engine.checkpoints.selection import Selection
from studio.engine.checkpoints.store import recorded_spec
from studio.engine.checkpoints.weights_file import write_weights
from studio.engine.compiler import compile_spec
from studio.engine.formatting import shape_text, size_text
from studio.engine.runs.locate import checkpoint_file, list_checkpoints
from studio.engine.spec.io import load_spec, spec_hash
from studio.engine.spec.model import ModelSpec
from studio.engine.templates import list_templates


def register(subparsers) -> None:
    ckpt = subparsers.add_parser("ckpt", help="list, inspect, compare, restore and export checkpoints")
    commands = ckpt.add_subparsers(dest="ckpt_command", metavar="SUBCOMMAND", required=True)

    parser = commands.add_parser("ls", help="a run's checkpoints: step, time, metrics, size, best/last")
    parser.add_argument("run", help="run folder (or its checkpoints folder)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run_ls)

    parser = commands.add_parser("show", help="one checkpoint's tensors with statistics")
    parser.add_argument("checkpoint", help=".safetensors/.pt/.pth/.bin file, sidecar, or run folder (latest)")
    parser.add_argument("--no-stats", action="store_true", help="names, shapes and dtypes only (fast)")
    parser.add_argument("--bins", type=int, default=32, help="histogram bins (default 32)")
    parser.add_argument("--json", action="store_true", help="machine-readable output (with histograms)")
    parser.set_defaults(func=run_show)

    parser = commands.add_parser(
        "diff", help="relative change per tensor from checkpoint A to B (a checkpoint or a model)")
    parser.add_argument("a", help="checkpoint file, sidecar, or run folder (latest)")
    parser.add_argument("b", help="checkpoint, or a model spec file or template name: the model as built "
                                  "now (its initial weights), to see what A would fill, miss or misfit")
    parser.add_argument("--classes", type=int, help="classes, when B is a template")
    parser.add_argument("--seed", type=int, default=0, help="seed of the model's initial weights (default 0)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run_diff)

    parser = commands.add_parser("restore", help="restore (part of) a checkpoint into a model spec")
    parser.add_argument("spec", help="spec file or template name")
    parser.add_argument("--classes", type=int, help="classes, when SPEC is a template")
    parser.add_argument("--from", dest="source", required=True, help="checkpoint to restore from")
    parser.add_argument("--include", nargs="+", action="extend", default=[], metavar="PATTERN",
                        help="restore only these (scope fc6, name:, suffix:, glob:, re:)")
    parser.add_argument("--exclude", nargs="+", action="extend", default=[], metavar="PATTERN",
                        help="do not restore these (same patterns)")
    mapping = parser.add_mutually_exclusive_group()
    mapping.add_argument("--map", help="name mapping rules (JSON file)")
    mapping.add_argument("--preset", help="a shipped name mapping, e.g. torchvision_resnet18")
    parser.add_argument("--fail-on-mismatch", action="store_true", help="refuse when a shape differs")
    parser.add_argument("--plan-only", action="store_true", help="show the plan, write nothing")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial values kept (default 0)")
    parser.add_argument("-o", "--output", help="weights file to write (.safetensors)")
    parser.add_argument("--json", action="store_true", help="machine-readable plan")
    parser.set_defaults(func=run_restore)

    parser = commands.add_parser("export", help="export and verify: onnx, torchscript, safetensors, pt, code")
    parser.add_argument("checkpoint", help="checkpoint file, sidecar, or run folder (latest)")
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument("-o", "--output", required=True, help="file (or folder, for code) to write")
    parser.add_argument("--spec", help="model spec (default: the one recorded with the checkpoint)")
    parser.add_argument("--classes", type=int, help="classes, when --spec is a template")
    parser.add_argument("--opset", type=int, default=DEFAULT_OPSET,
                        help=f"ONNX opset (default {DEFAULT_OPSET})")
    parser.add_argument("--script", action="store_true", help="TorchScript: script instead of trace")
    parser.add_argument("--json", action="store_true", help="machine-readable result")
    parser.set_defaults(func=run_export)


def run_ls(args) -> int:
    infos = list_checkpoints(args.run)
    if args.json:
        print_json([info.to_dict() for info in infos])
        return 0
    if not infos:
        print(f"{args.run}: no checkpoints")
        return 0
    rows = [(info.name, str(info.step), f"{info.epoch:g}", _time(info.time), _metrics(info.metrics),
             size_text(info.size),
             " ".join(mark for mark, on in (("best", info.is_best), ("last", info.is_last)) if on))
            for info in infos]
    _table(("checkpoint", "step", "epoch", "saved", "metrics", "size", ""), rows, right={1, 2, 5})
    return 0


def run_show(args) -> int:
    with CheckpointInspector(args.checkpoint, bins=args.bins) as ckpt:
        stats = [] if args.no_stats else ckpt.all_stats()
        if args.json:
            print_json({"path": str(ckpt.path), "format": ckpt.format, "metadata": ckpt.metadata,
                        "source_key": ckpt.reader.source_key,
                        "info": ckpt.info.to_dict() if ckpt.info else None,
                        "tensors": [s.to_dict() for s in stats] if stats else [
                            {"name": e.name, "shape": list(e.shape), "dtype": e.dtype, "nbytes": e.nbytes}
                            for e in ckpt.entries]})
            return 0
        where = f" (weights under '{ckpt.reader.source_key}')" if ckpt.reader.source_key else ""
        print(f"{ckpt.path}: {ckpt.format}{where}, {len(ckpt.entries)} tensors, "
              f"{size_text(ckpt.total_bytes)}")
        if ckpt.info:
            print(f"step {ckpt.info.step}, epoch {ckpt.info.epoch:g}, saved {_time(ckpt.info.time)}, "
                  f"{_metrics(ckpt.info.metrics) or 'no metrics'}")
        if stats:
            rows = [(s.name, shape_text(s.shape, TIMES), s.dtype, size_text(s.nbytes), _num(s.min),
                     _num(s.max), _num(s.mean), _num(s.std), f"{100 * s.zero_fraction:.1f}%",
                     str(s.nan_count), str(s.inf_count)) for s in stats]
            _table(("tensor", "shape", "dtype", "size", "min", "max", "mean", "std", "zeros", "nan", "inf"),
                   rows, right=set(range(3, 11)))
        else:
            _table(("tensor", "shape", "dtype", "size"),
                   [(e.name, shape_text(e.shape, TIMES), e.dtype, size_text(e.nbytes)) for e in ckpt.entries],
                   right={3})
    return 0


def run_diff(args) -> int:
    spec = _model_spec(args.b, args.classes)
    if spec is None:
        diffs = diff_checkpoints(args.a, args.b)
    else:
        torch.manual_seed(args.seed)
        diffs = diff_with_model(args.a, compile_spec(spec, device="cpu"))
    if args.json:
        print_json([d.to_dict() for d in diffs])
        return 0
    if spec is not None:
        print(f"A: {checkpoint_file(args.a)}\nB: model '{spec.name}' from {args.b} "
              f"(initial weights, seed {args.seed})")
    rows = []
    for d in diffs:
        detail = {"shape": f"{shape_text(d.shape_a, TIMES)} -> {shape_text(d.shape_b, TIMES)}",
                  "only_a": "only in A", "only_b": "only in B"}.get(d.status, "")
        rows.append((d.name, d.status, _num(d.relative_change), _num(d.max_abs_diff), detail))
    _table(("tensor", "status", "rel. change", "max |diff|", ""), rows, right={2, 3})
    counts = {status: sum(d.status == status for d in diffs)
              for status in ("changed", "same", "shape", "only_a", "only_b")}
    print(f"{counts['changed']} changed, {counts['same']} identical, {counts['shape']} with other shapes, "
          f"{counts['only_a']} only in A, {counts['only_b']} only in B")
    return 0


def _model_spec(value: str, classes: int | None) -> ModelSpec | None:
    """The spec ``value`` names when it is a template or a spec file (not a checkpoint or its sidecar)."""
    path = Path(value)
    if path.exists():
        if path.is_file() and path.suffix == ".json" and not NAME_PATTERN.match(path.stem):
            return load_spec(path)
        return None
    if value in {template.name for template in list_templates()}:
        return spec_from_argument(value, classes)
    return None


def run_restore(args) -> int:
    if not args.plan_only and not args.output:
        raise CheckpointError("give -o OUT.safetensors for the restored weights (or --plan-only)")
    spec = spec_from_argument(args.spec, args.classes)
    mapping = load_preset(args.preset).mapping if args.preset else (
        NameMapping.load(args.map) if args.map else NameMapping())
    selection = Selection(include=tuple(args.include), exclude=tuple(args.exclude))
    torch.manual_seed(args.seed)
    model = compile_spec(spec, device="cpu")
    with open_checkpoint(args.source) as reader:
        plan = plan_restore(model, reader, selection, mapping)
        if not args.plan_only:
            apply_plan(model, plan, reader, on_mismatch="fail" if args.fail_on_mismatch else "skip")
            write_weights(args.output, model.state_dict(), {"spec_hash": spec_hash(spec),
                                                            "restored_from": str(reader.path)})
    if args.json:
        print_json({**plan.to_dict(), "output": None if args.plan_only else args.output})
    else:
        _print_plan(plan)
        print(f"wrote {args.output}" if not args.plan_only else "plan only: nothing written")
    return 0


def run_export(args) -> int:
    spec = spec_from_argument(args.spec, args.classes) if args.spec else None
    with open_checkpoint(args.checkpoint) as reader:
        if spec is None:
            spec = recorded_spec(reader.path)
        result = export_model(spec, reader, args.format, args.output, opset=args.opset, script=args.script)
    if args.json:
        print_json(result.to_dict())
        return 0
    opset = f", opset {result.opset}" if result.opset else ""
    checked = (f"outputs on a batch of {result.batch} match the model" if result.batch
               else "tensors match")
    print(f"wrote {result.path} ({result.format}{opset}); verified with {result.verified_with}: {checked}, "
          f"max abs difference {result.max_abs_diff:.3g}")
    return 0


def _print_plan(plan: RestorePlan) -> None:
    for entry in plan.model:
        if entry.status == "restore":
            detail = f"<- {entry.source}" if entry.source != entry.name else ""
        elif entry.status == "mismatch":
            detail = (f"model {shape_text(entry.shape, TIMES)} vs {entry.source} "
                      f"{shape_text(entry.source_shape, TIMES)} (kept)")
        elif entry.status == "missing":
            detail = "not in checkpoint: keeps its initial value"
        else:
            detail = "keeps its initial value"
        print(f"  {entry.status:9s} {entry.name} {detail}".rstrip())
    for source in plan.checkpoint:
        if not source.used:
            target = f" (-> {source.target})" if source.target and source.target != source.name else ""
            print(f"  unused    {source.name}{target}: {source.reason}")
    for pattern in plan.unused_patterns:
        print(f"warning: selection pattern '{pattern}' matches no model tensor")
    print(plan.summary())


def _table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]],
           right: Collection[int] = frozenset()) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    for row in [headers, *rows]:
        cells = [cell.rjust(width) if i in right else cell.ljust(width)
                 for i, (cell, width) in enumerate(zip(row, widths, strict=True))]
        print("  ".join(cells).rstrip())


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if math.isfinite(value) else str(value)


def _time(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds)) if seconds else "-"


def _metrics(metrics: dict) -> str:
    return " ".join(f"{k}={_num(v) if isinstance(v, float) else v}" for k, v in metrics.items())
