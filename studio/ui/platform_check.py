"""Can Qt open a window here? Asked before Qt starts, so that a machine without a display, or without
the system libraries Qt's X11 plugin needs, gets one sentence naming what is missing and the packages
that provide it, instead of Qt's abort (exit 134, "reinstalling the application may fix this").

No Qt import: this runs before PySide6 is loaded. Linux only; elsewhere Qt brings what it needs.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import socket
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

HEADLESS_PLATFORMS = {"offscreen", "minimal", "minimalegl", "vnc", "linuxfb", "eglfs", "vkkhrdisplay"}


@dataclass(frozen=True)
class SystemLibrary:
    """A shared library Qt loads, with the packages that install it."""

    soname: str
    debian: str  # Debian and Ubuntu (apt)
    fedora: str  # Fedora, RHEL (dnf)


# What PySide6's libqxcb.so and libQt6XcbQpa.so link to outside the wheel (ldd), as packaged.
XCB_LIBRARIES = (
    SystemLibrary("libxcb.so.1", "libxcb1", "libxcb"),
    SystemLibrary("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    SystemLibrary("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    SystemLibrary("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    SystemLibrary("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    SystemLibrary("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    SystemLibrary("libxcb-util.so.1", "libxcb-util1", "xcb-util"),
    SystemLibrary("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    SystemLibrary("libxcb-render.so.0", "libxcb-render0", "libxcb"),
    SystemLibrary("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    SystemLibrary("libxcb-shm.so.0", "libxcb-shm0", "libxcb"),
    SystemLibrary("libxcb-sync.so.1", "libxcb-sync1", "libxcb"),
    SystemLibrary("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb"),
    SystemLibrary("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
    SystemLibrary("libX11.so.6", "libx11-6", "libX11"),
    SystemLibrary("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
    SystemLibrary("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
    SystemLibrary("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    SystemLibrary("libGL.so.1", "libgl1", "libglvnd-glx"),
    SystemLibrary("libEGL.so.1", "libegl1", "libglvnd-egl"),
    SystemLibrary("libfontconfig.so.1", "libfontconfig1", "fontconfig"),
    SystemLibrary("libfreetype.so.6", "libfreetype6", "freetype"),
    SystemLibrary("libglib-2.0.so.0", "libglib2.0-0", "glib2"),
    SystemLibrary("libdbus-1.so.3", "libdbus-1-3", "dbus-libs"),
)


def window_problem(environ: Mapping[str, str] | None = None, system: str | None = None,
                   libraries: tuple[SystemLibrary, ...] = XCB_LIBRARIES) -> str | None:
    """Why Qt could not open a window with these environment variables, in a sentence; None when it
    can (or when the platform asked for needs no display). Fast: a socket connect and ``dlopen``s."""
    environ = os.environ if environ is None else environ
    if not (system or sys.platform).startswith("linux"):
        return None
    asked = [part.split(":")[0].strip() for part in environ.get("QT_QPA_PLATFORM", "").split(";")]
    asked = [name for name in asked if name]
    if any(name in HEADLESS_PLATFORMS for name in asked):
        return None
    wayland = environ.get("WAYLAND_DISPLAY")
    if wayland and (not asked or any(name.startswith("wayland") for name in asked)):
        return None  # Qt's Wayland plugin (Qt falls back to X11 when it cannot)
    if asked and "xcb" not in asked:
        return None  # a platform this check does not know: Qt will say
    display = environ.get("DISPLAY")
    if not display:
        return ("no display to open the window on (DISPLAY and WAYLAND_DISPLAY are not set): run it on "
                "a desktop, over `ssh -X`, or under Xvfb (`xvfb-run -a studio gui`); "
                "`studio gui --screenshot FILE.png` needs no display")
    unreachable = display_unreachable(display)
    if unreachable:
        return unreachable
    missing = missing_libraries(libraries)
    if missing:
        return ("Qt's X11 plugin needs system libraries that are missing: "
                + ", ".join(lib.soname for lib in missing) + " (" + install_hint(missing) + ")")
    return plugin_problem()


def missing_libraries(libraries: tuple[SystemLibrary, ...] = XCB_LIBRARIES,
                      load: Callable[[str], object] | None = None) -> list[SystemLibrary]:
    """The ``libraries`` the dynamic loader cannot load (``load``: ``ctypes.CDLL``, as Qt would)."""
    load = load or ctypes.CDLL
    missing = []
    for library in libraries:
        try:
            load(library.soname)
        except OSError:
            missing.append(library)
    return missing


def install_hint(libraries: list[SystemLibrary]) -> str:
    """'Debian/Ubuntu: sudo apt install ...; Fedora: sudo dnf install ...' for ``libraries``."""
    debian = " ".join(dict.fromkeys(lib.debian for lib in libraries))
    fedora = " ".join(dict.fromkeys(lib.fedora for lib in libraries))
    return f"Debian/Ubuntu: sudo apt install {debian}; Fedora: sudo dnf install {fedora}"


def display_unreachable(display: str) -> str | None:
    """A sentence when no X server listens at ``display`` (':1', 'unix:1', 'localhost:10.0'); None
    when one does or the name is of a form this check does not know."""
    match = re.fullmatch(r"(?P<host>[\w.\-]*|unix):(?P<number>\d+)(\.\d+)?", display)
    if match is None:
        return None
    number, host = int(match["number"]), match["host"]
    if host in ("", "unix"):
        path = f"/tmp/.X11-unix/X{number}"
        addresses = [(socket.AF_UNIX, path), (socket.AF_UNIX, "\0" + path)]  # file, Linux abstract
        where = path
    else:
        addresses = [(socket.AF_INET, (host, 6000 + number))]
        where = f"{host} port {6000 + number}"
    for family, address in addresses:
        try:
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                sock.settimeout(2.0)
                sock.connect(address)
            return None
        except OSError:
            continue
    return (f"cannot reach the display DISPLAY={display} (no X server answers at {where}): start one, "
            "or set DISPLAY to a running one")


def plugin_problem() -> str | None:
    """Load Qt's X11 plugin as Qt would: a sentence naming the library it cannot find, or None
    (also when PySide6's plugin is not where its wheel puts it)."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    plugin = Path(spec.submodule_search_locations[0]) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.exists():
        return None
    try:
        ctypes.CDLL(str(plugin))
    except OSError as exc:
        name = re.search(r"([\w.+\-]+\.so[\w.]*): cannot open", str(exc))
        what = name.group(1) if name else str(exc)
        return f"Qt's X11 plugin cannot load: {what} is missing (install the package that provides it)"
    return None
