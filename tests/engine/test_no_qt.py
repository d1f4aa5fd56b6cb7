"""The engine must never import Qt: the GUI depends on the engine, never the reverse."""

import subprocess
import sys

ENGINE_MODULES = [
    "studio.engine", "studio.engine.spec", "studio.engine.compiler", "studio.engine.layers",
    "studio.engine.templates", "studio.cli",
]


def test_engine_imports_no_qt_module():
    code = (
        "import importlib, pkgutil, sys\n"
        "import studio.engine\n"
        "for m in pkgutil.walk_packages(studio.engine.__path__, 'studio.engine.'):\n"
        "    importlib.import_module(m.name)\n"
        f"for name in {ENGINE_MODULES!r}: importlib.import_module(name)\n"
        "from studio.cli import build_parser; build_parser()\n"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'PyQt5', 'PyQt6', 'PySide2', 'shiboken6', 'pyqtgraph', 'qtpy'))\n"
        "print(','.join(qt))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"engine imported Qt modules: {result.stdout}"
