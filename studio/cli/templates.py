"""`studio templates` and `studio template NAME -o spec.json`."""

from __future__ import annotations

from studio.cli.common import TIMES, print_json
from studio.engine.formatting import shape_text
from studio.engine.spec.analysis import analyze
from studio.engine.spec.io import dumps, save_spec
from studio.engine.templates import create_template, list_templates


def register(subparsers) -> None:
    parser = subparsers.add_parser("templates", help="list the built-in model templates")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run_list)

    parser = subparsers.add_parser("template", help="write a template's spec")
    parser.add_argument("name", help="template name (see `studio templates`)")
    parser.add_argument("--classes", type=int, default=10, help="number of classes (default 10)")
    parser.add_argument("--input-shape", type=int, nargs="+", metavar="N",
                        help="per-sample input shape, e.g. 3 224 224")
    parser.add_argument("-o", "--output", help="spec file to write (default: print it)")
    parser.set_defaults(func=run_template)


def run_list(args) -> int:
    templates = list_templates()
    if args.json:
        print_json([{"name": t.name, "help": t.help, "input_shape": list(t.input_shape)}
                    for t in templates])
        return 0
    width = max(len(t.name) for t in templates)
    for t in templates:
        print(f"{t.name:<{width}}  {shape_text(t.input_shape, TIMES):<12} {t.help}")
    return 0


def run_template(args) -> int:
    spec = create_template(args.name, num_classes=args.classes, input_shape=args.input_shape)
    if args.output:
        save_spec(spec, args.output)
        result = analyze(spec)
        print(f"wrote {args.output}: {len(spec.nodes)} nodes, {result.total_params:,} parameters")
    else:
        print(dumps(spec), end="")
    return 0
