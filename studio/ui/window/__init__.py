"""The main window's parts, each a small object the window composes: the model docks, the canvas tabs,
the edit commands, the find box, the themes and where runs go (:mod:`studio.ui.main_window`)."""
