"""`studio gui [PROJECT] [--demo] [--screenshot PATH --panel NAME --run DIR]`."""

from __future__ import annotations

import os
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser("gui", help="open the Studio window (the default command)")
    parser.add_argument("project", nargs="?", help="a .studio project or a spec file to open")
    parser.add_argument("--demo", action="store_true", help="open the demo project (demo data + small CNN)")
    parser.add_argument("--screenshot", metavar="PATH", help="render the window to a PNG and exit")
    parser.add_argument("--panel", default="canvas", help="panel in front for --screenshot")
    parser.add_argument("--run", metavar="DIR", help="run directory to show in the panel")
    parser.set_defaults(func=run_gui)


def run_gui(args) -> int:
    """Exit 2 with one line when Qt could not open a window here (no display, missing system
    libraries), before Qt is started: Qt itself would abort."""
    from studio.ui.platform_check import window_problem  # (no Qt import)

    if args.screenshot and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a screenshot needs no display
    problem = window_problem()
    if problem:
        print(f"studio: error: {problem}", file=sys.stderr)
        return 2
    from studio.ui.app import run_app  # Qt is imported only when the GUI is asked for

    return run_app(args)
