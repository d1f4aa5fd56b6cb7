"""QApplication set-up and the entry point of ``studio gui``."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from studio.engine.spec.analysis import analyze
from studio.engine.templates import create_template


class MainWindow(QMainWindow):
    """Studio's main window."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Studio")
        self.resize(1280, 800)
        spec = create_template("small_cnn")
        result = analyze(spec)
        self.setCentralWidget(QLabel(f"{spec.name}: {len(spec.nodes)} nodes, "
                                     f"{result.total_params:,} parameters"))


def run_app(args) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Studio")
    app.setOrganizationName("Studio")
    window = MainWindow()
    if args.screenshot:
        window.show()
        app.processEvents()
        window.grab().save(args.screenshot)
        return 0
    window.show()
    return app.exec()
