"""`studio gui` where no window can open: one `studio: error:` line and exit 2, never Qt's abort."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from studio.ui.platform_check import SystemLibrary, missing_libraries, window_problem

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check is for Linux")


def studio_gui(env_changes: dict[str, str | None], tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    for key, value in env_changes.items():
        env.pop(key, None) if value is None else env.__setitem__(key, value)
    return subprocess.run([sys.executable, "-m", "studio", "gui", "--demo"], capture_output=True, text=True,
                          env=env, timeout=120)


@linux
def test_no_display_is_one_line_and_exit_2(tmp_path):
    result = studio_gui({"DISPLAY": None, "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None}, tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("studio: error: no display"), result.stderr
    assert "xvfb-run" in lines[0] and "--screenshot" in lines[0]


@linux
def test_a_display_nobody_serves_is_named(tmp_path):
    free = next(n for n in range(990, 999) if not os.path.exists(f"/tmp/.X11-unix/X{n}"))
    result = studio_gui({"DISPLAY": f":{free}", "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None}, tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [f"studio: error: cannot reach the display DISPLAY=:{free} "
                                          f"(no X server answers at /tmp/.X11-unix/X{free}): start one, "
                                          "or set DISPLAY to a running one"]


@linux
def test_missing_libraries_are_named_with_their_packages():
    listening = socket.socket(socket.AF_UNIX)  # an X server as far as the check can tell
    listening.bind("\0" + "/tmp/.X11-unix/X997")
    listening.listen()
    present = SystemLibrary("libc.so.6", "libc6", "glibc")
    absent = (SystemLibrary("libstudio-test-absent.so.7", "libstudio-absent7", "studio-absent"),
              SystemLibrary("libstudio-test-gone.so.1", "libstudio-gone1", "studio-absent"))
    try:
        problem = window_problem({"DISPLAY": ":997"}, "linux", (present, *absent))
    finally:
        listening.close()
    assert problem == ("Qt's X11 plugin needs system libraries that are missing: libstudio-test-absent.so.7, "
                       "libstudio-test-gone.so.1 (Debian/Ubuntu: sudo apt install libstudio-absent7 "
                       "libstudio-gone1; Fedora: sudo dnf install studio-absent)")

def test_platforms_that_need_no_display_pass():
    for value in ("offscreen", "minimal", "vnc:size=800x600", "wayland;offscreen"):
        assert window_problem({"QT_QPA_PLATFORM": value}, "linux") is None
    assert window_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert window_problem({}, "darwin") is None and window_problem({}, "win32") is None
    assert window_problem({"QT_QPA_PLATFORM": "xcb"}, "linux").startswith("no display")


def test_the_check_is_fast():
    start = time.perf_counter()
    missing_libraries()
    assert time.perf_counter() - start < 0.5  # (~30 ms; a hang detector on a loaded machine)
