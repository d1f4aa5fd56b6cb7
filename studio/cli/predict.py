"""`studio predict RUN_OR_EXPORT --data DIR_OR_FILES [-o predictions.csv]`: a trained model on new,
unlabelled images, one row per image (the top-k classes with their probabilities)."""

from __future__ import annotations

import csv
import io
import sys
import time

from studio.engine.filenames import shown_name

PROGRESS_FROM = 256  # images: a progress line on stderr from this many


def register(subparsers) -> None:
    parser = subparsers.add_parser("predict", help="predict the classes of new images (CSV or a table)")
    parser.add_argument("model", metavar="RUN_OR_EXPORT",
                        help="run folder (its best checkpoint, else newest), checkpoint of a run, "
                             "or .onnx export")
    parser.add_argument("--data", nargs="+", required=True, metavar="DIR_OR_FILE",
                        help="image files, or folders (every image inside, recursively)")
    parser.add_argument("-o", "--output", help="CSV file to write (default: a table on stdout)")
    parser.add_argument("--top-k", type=int, default=3, help="classes per image (default 3)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N")
    parser.add_argument("--run", help="with an .onnx file: the run it was exported from (classes, "
                                      "preprocessing)")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    parser.set_defaults(func=run_predict)


def run_predict(args) -> int:
    from studio.engine.atomic import atomic_write_text
    from studio.engine.predict import image_paths, open_predictor, predict

    paths = image_paths(args.data)
    source = open_predictor(args.model, run=args.run, device=args.device)
    line = _ProgressLine(enabled=not args.quiet and len(paths) >= PROGRESS_FROM)
    try:
        rows = predict(source, paths, args.top_k, args.batch_size, progress=line)
    finally:
        line.close()
    k = max((len(row.top) for row in rows), default=0)
    for row in rows:
        if row.skipped:
            print(f"skipped {shown_name(row.path)}: {row.skipped}", file=sys.stderr)
    if args.output:
        atomic_write_text(args.output, _csv(rows, k))
        done = len(rows) - sum(bool(row.skipped) for row in rows)
        print(f"{done} prediction(s) -> {shown_name(args.output)}", file=sys.stderr)
    else:
        _print_table(rows, k)
    return 0


def _csv(rows, k: int) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["path", "prediction", "confidence"]
    for i in range(1, k + 1):
        header += [f"top{i}", f"p{i}"]
    writer.writerow([*header, "skipped"])
    for row in rows:
        cells = [shown_name(row.path), shown_name(row.prediction),
                 "" if row.confidence is None else f"{row.confidence:.6f}"]
        for i in range(k):
            name, p = row.top[i] if i < len(row.top) else ("", None)
            cells += [shown_name(name), "" if p is None else f"{p:.6f}"]
        writer.writerow([*cells, row.skipped])
    return buffer.getvalue()


def _print_table(rows, k: int, width: int = 40) -> None:
    shown = [_elide(shown_name(row.path), width) for row in rows]
    column = max([len("path"), *map(len, shown)])
    print(f"{'path':<{column}}  top {k}" if k else "path")
    for name, row in zip(shown, rows, strict=True):
        if row.skipped:
            print(f"{name:<{column}}  (skipped: {row.skipped})")
        else:
            print(f"{name:<{column}}  " + "  ".join(f"{shown_name(c)} {p:.3f}" for c, p in row.top))


def _elide(text: str, width: int) -> str:
    """``text`` within ``width`` characters: its start and its end (the file name) kept."""
    if len(text) <= width:
        return text
    tail = width * 2 // 3
    return f"{text[:width - tail - 1]}…{text[-tail:]}"


class _ProgressLine:
    """``decoding 120/5000`` on one stderr line, at most a few times a second."""

    def __init__(self, enabled: bool) -> None:
        self.enabled, self.last, self.shown = enabled, 0.0, False

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < 0.25 and done < total):
            return
        self.last, self.shown = now, True
        print(f"\r{stage} {done}/{total} images", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.shown:
            print(file=sys.stderr, flush=True)
            self.shown = False
