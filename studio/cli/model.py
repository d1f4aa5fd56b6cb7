"""`studio model summary|validate|export-code`."""

from __future__ import annotations

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
