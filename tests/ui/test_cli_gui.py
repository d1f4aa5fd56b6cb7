"""`studio gui --demo --screenshot PATH` renders offscreen and exits; bad input gives a clear error."""

from __future__ import annotations

import os
import subprocess
import sys

from PIL import Image

from studio.engine.project import Project, save_project
from studio.engine.templates import create_template


def run_gui(*args, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "studio", "gui", *args], capture_output=True, text=True,
                          env=env, timeout=240)


def test_demo_screenshot_from_the_command_line(tmp_path):
    out = tmp_path / "shots" / "demo.png"
    result = run_gui("--demo", "--screenshot", str(out), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    with Image.open(out) as image:
        assert image.size == (1280, 800)


def test_a_bad_project_is_a_clear_error_not_a_traceback(tmp_path):
    (tmp_path / "bad.studio").write_text("{")
    cases = ((tmp_path / "nope.studio", "cannot read"), (tmp_path / "bad.studio", "not valid JSON"))
    for path, message in cases:
        result = run_gui(str(path), "--screenshot", str(tmp_path / "x.png"), tmp_path=tmp_path)
        assert result.returncode == 1 and "studio: error: " in result.stderr and message in result.stderr
        assert "Traceback" not in result.stderr


def test_screenshot_of_a_project_and_an_unknown_panel(window, tmp_path):
    from studio.engine.errors import StudioError
    from studio.ui.app import save_screenshot

    path = save_project(Project(create_template("mlp")), tmp_path / "mlp.studio")
    window.document.open(path)
    assert save_screenshot(window, tmp_path / "mlp.png").exists()
    try:
        save_screenshot(window, tmp_path / "x.png", "nope")
    except StudioError as exc:
        assert "no panel 'nope'" in str(exc)
    else:
        raise AssertionError("an unknown panel must be refused")
