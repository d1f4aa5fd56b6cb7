"""The filter box's text as a predicate on tensor names.

Plain text matches case-insensitively anywhere in the name (``conv`` finds ``conv1.weight``);
the restore dialog's pattern syntax works too (``scope:fc``, ``suffix:.bias``, ``glob:*.weight``,
``re:^layer[12]``), and a few words separated by spaces must all match.
"""

from __future__ import annotations

from collections.abc import Callable

from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.checkpoints.selection import KINDS, compile_pattern


def name_filter(text: str) -> Callable[[str], bool]:
    """A predicate for the filter box; an unfinished regular expression matches nothing."""
    words = text.split()
    if not words:
        return lambda name: True
    tests = [_word_test(word) for word in words]
    return lambda name: all(test(name) for test in tests)


def _word_test(word: str) -> Callable[[str], bool]:
    kind, sep, _ = word.partition(":")
    if (sep and kind in KINDS) or any(char in word for char in "*?["):
        try:
            return compile_pattern(word)
        except CheckpointError:
            return lambda name: False
    lowered = word.lower()
    return lambda name: lowered in name.lower()
