"""Studio's engine: everything the GUI does, without Qt.

Nothing under ``studio.engine`` may import a Qt binding; ``tests/engine/test_no_qt.py`` enforces it.
"""
