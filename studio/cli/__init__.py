"""Studio's command line: ``studio COMMAND ...`` (no command opens the GUI).

Each command group lives in its own module with a ``register(subparsers)`` function that adds its
parsers and sets ``func`` to a handler returning the exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys

from studio import __version__
from studio.engine.errors import StudioError

COMMAND_MODULES = ["gui", "templates", "model", "train", "predict", "ckpt", "embed"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studio", description="Build, train and inspect neural networks on PyTorch.")
    parser.add_argument("--version", action="version", version=f"studio {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"studio.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    for stream in (sys.stdout, sys.stderr):  # names of files that are not UTF-8 print escaped
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv or ["gui"])
    try:
        return int(args.func(args) or 0)
    except StudioError as exc:
        print(f"studio: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("studio: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `studio ... | head` stopped reading: no traceback, no error at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
