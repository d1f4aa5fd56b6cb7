"""Where a run folder goes (``studio gui --run DIR``, scripts): to the panels that show runs."""

from __future__ import annotations

from pathlib import Path

from studio.engine.errors import StudioError
from studio.ui.panels import panel_of


def open_run(window, path: str | Path, panel: str | None = None) -> None:
    """Show run directory ``path`` in ``window``'s panel ``panel``, or in every panel that shows runs;
    StudioError when ``path`` is not a folder."""
    if not Path(path).is_dir():
        raise StudioError(f"{path} is not a run directory")
    chosen = [window.panels[panel]] if panel in window.panels else list(window.panels.values())
    takers = [taker for taker in map(panel_of, chosen) if taker.shows_runs]
    for taker in takers:
        taker.open_run(Path(path))
    if not takers and panel not in window.panels:  # (a named panel without runs, e.g. the canvas: fine)
        window.message(f"No panel can show runs yet ({path})")
