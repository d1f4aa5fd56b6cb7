"""The README stays true to the command line: every `studio ...` example parses with the real parser,
every command is shown, and every torchrun example runs `-m studio train` with known options."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from studio.cli import COMMAND_MODULES, build_parser

README = Path(__file__).resolve().parents[2] / "README.md"


def code_lines() -> list[str]:
    """Lines of the README's code blocks, with backslash continuations joined and comments dropped."""
    lines, joined = [], ""
    for block in re.findall(r"```\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        for line in block.splitlines():
            line = line.split(" #")[0].rstrip()
            joined = f"{joined} {line.rstrip(chr(92)).strip()}" if joined else line.rstrip(chr(92)).strip()
            if not line.endswith("\\"):
                if joined:
                    lines.append(joined)
                joined = ""
    return lines


def examples(prefix: str) -> list[list[str]]:
    """The arguments of each example starting with ``prefix``, ``[optional]`` hints left out."""
    lines = [line for line in code_lines() if line.startswith(prefix)]
    return [shlex.split(re.sub(r"\[[^\]]*\]", "", line))[1:] for line in lines]


def test_readme_shows_every_command():
    shown = {args[0] for args in examples("studio ") if args}
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert shown == set(commands) and set(COMMAND_MODULES) <= shown


@pytest.mark.parametrize("args", examples("studio "), ids=lambda args: " ".join(args)[:60])
def test_every_studio_example_parses(args):
    try:
        build_parser().parse_args(args)
    except SystemExit as exc:
        pytest.fail(f"`studio {' '.join(args)}` does not parse (exit {exc.code})")


def test_torchrun_examples_train_with_known_options():
    runs = examples("torchrun ")
    assert len(runs) >= 3
    for args in runs:
        at = args.index("-m")
        assert args[at + 1] == "studio" and args[at + 2] == "train"
        build_parser().parse_args(args[at + 2:])
