"""Engine tests run as `studio` commands do: with Python's automatic garbage collection on, also when GUI
tests earlier in the same session handed collection to the GUI thread (studio.ui.workers.MainThreadGC,
which collects only while an event loop runs, and engine tests run none)."""

from __future__ import annotations

import gc

import pytest


@pytest.fixture(autouse=True)
def automatic_garbage_collection():
    was_enabled = gc.isenabled()
    gc.enable()
    yield
    if not was_enabled:
        gc.disable()
