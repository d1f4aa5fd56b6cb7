"""`studio model summary|validate|export-code|import`."""

from __future__ import annotations

import json

from studio.cli.common import TIMES, print_json, spec_from_argument
from studio.engine.atomic import atomic_write_text
from studio.engine.formatting import shape_text
from studio.engine.spec.analysis import analyze


def register(subparsers) -> None:
    model = subparsers.add_parser("model", help="inspect, validate and export model specs")
    commands = model.add_subparsers(dest="model_command", metavar="SUBCOMMAND", required=True)

    parser = commands.add_parser("summary", help="per-node shapes, parameters and multiply-adds")
    parser.add_argument("spec", help="spec file or template name")
    parser.add_argument("--classes", type=int, help="classes, when SPEC is a template")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run_summary)

    parser = commands.add_parser("validate", help="check a spec; exit 1 with located messages")
    parser.add_argument("spec", help="spec file")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run_validate)

    parser = commands.add_parser("export-code", help="write standalone PyTorch source of the model")
    parser.add_argument("spec", help="spec file or template name")
    parser.add_argument("--classes", type=int, help="classes, when SPEC is a template")
    parser.add_argument("-o", "--output", required=True, help="Python file to write")
    parser.set_defaults(func=run_export_code)

    parser = commands.add_parser(
        "import", help="a PyTorch model from code -> spec (+ weights), verified; runs that code",
        description="Import an nn.Module as a Studio spec. This RUNS YOUR CODE: the file or module "
        "named in SOURCE is imported and its factory called (nothing else is). The model is traced "
        "with torch.fx, every module and op mapped to a Studio layer, the weights carried under the "
        "spec's names, and the compiled spec compared with the original on a seeded random batch.")
    parser.add_argument("source", metavar="SOURCE",
                        help="path/to/file.py:FACTORY, package.module:FACTORY (a class or a function "
                        "returning an nn.Module), torchvision:NAME (built without weights) or a saved "
                        "torch.export program FILE.pt2 (loading it unpickles: code, too)")
    parser.add_argument("-o", "--output", required=True, help="spec file to write (.json)")
    parser.add_argument("--weights", help="also write the model's weights here (.safetensors)")
    parser.add_argument("--kwargs", default="{}", metavar="JSON",
                        help='keyword arguments of the factory, e.g. \'{"num_classes": 10}\'')
    parser.add_argument("--input-shape", type=int, nargs=3, metavar=("C", "H", "W"), default=[3, 224, 224],
                        help="shape of one input sample (default 3 224 224)")
    parser.add_argument("--force", action="store_true",
                        help="write even when the outputs differ by more than 1e-4")
    parser.add_argument("--flat", action="store_true",
                        help="one node per layer (default: repeated submodules become blocks)")
    parser.set_defaults(func=run_import)


def run_summary(args) -> int:
    spec = spec_from_argument(args.spec, args.classes)
    result = analyze(spec)
    if args.json:
        print_json(result.to_dict())
        return 0 if result.ok else 1
    rows = [(info.id, info.type, shape_text(info.output_shape or None, TIMES),
             f"{info.params:,}", f"{info.macs:,}") for info in (result.nodes[n] for n in result.order)]
    headers = ("node", "type", "output", "params", "mult-adds")
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]  # rows may be []
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) if i < 3 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    print(f"total parameters: {result.total_params:,} (trainable {result.trainable_params:,})")
    print(f"multiply-adds per sample: {result.total_macs:,}")
    for issue in result.issues:
        print(f"problem: {issue}")
    return 0 if result.ok else 1


def run_validate(args) -> int:
    spec = spec_from_argument(args.spec)
    issues = analyze(spec).issues
    if args.json:
        print_json({"ok": not issues, "issues": [i.to_dict() for i in issues]})
    elif issues:
        for issue in issues:
            print(issue)
    else:
        print(f"{args.spec}: ok")
    return 1 if issues else 0


def run_export_code(args) -> int:
    from studio.engine.codegen import generate_source

    spec = spec_from_argument(args.spec, args.classes)
    atomic_write_text(args.output, generate_source(spec))
    print(f"wrote {args.output}")
    return 0


def run_import(args) -> int:
    from studio.engine.importing import ModelImportError, import_source, write_import

    try:
        kwargs = json.loads(args.kwargs)
    except json.JSONDecodeError as exc:
        raise ModelImportError(f"--kwargs is not JSON: {exc}") from None
    if not isinstance(kwargs, dict):
        raise ModelImportError(f"--kwargs must be a JSON object of keyword arguments, not {args.kwargs}")
    result = import_source(args.source, args.input_shape, kwargs, flat=args.flat)
    written = write_import(result, args.output, args.weights, force=args.force)
    verdict = "verified" if result.verified() else "NOT verified (written with --force)"
    blocks = f" ({len(result.spec.blocks)} blocks)" if result.spec.blocks else ""
    print(f"imported {args.source}: {result.node_count} nodes{blocks}, {len(result.weights)} weight tensors, "
          f"max |diff| {result.max_diff:.3g} on a seeded batch ({verdict}), {result.seconds:.2f} s")
    print("wrote " + ", ".join(str(path) for path in written))
    return 0
