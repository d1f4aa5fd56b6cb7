"""Choosing which model tensors to restore, as TF-Slim's ``get_variables_to_restore(include, exclude)``.

A pattern is a string; its prefix says how it matches a dotted tensor name:

- ``fc6`` or ``scope:fc6`` - the scope: ``fc6.weight``, ``fc6.fc6_1.weight``, not ``fc60.weight``
- ``name:fc6.weight``      - exactly that name
- ``suffix:.bias``         - names ending so
- ``glob:layer*.weight``   - shell-style wildcards (a pattern with ``* ? [`` and no prefix is a glob)
- ``re:^layer[12]\\.``      - a regular expression searched in the name

A name is selected when it matches some include pattern (or there are none) and no exclude pattern.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from studio.engine.checkpoints.errors import CheckpointError

KINDS = ("scope", "name", "suffix", "glob", "re")


def compile_pattern(pattern: str) -> Callable[[str], bool]:
    """A predicate on tensor names for one pattern string (CheckpointError if it is malformed)."""
    kind, sep, value = pattern.partition(":")
    if not sep or kind not in KINDS:
        kind, value = ("glob" if any(c in pattern for c in "*?[") else "scope"), pattern
    if not value:
        raise CheckpointError(f"empty selection pattern '{pattern}'")
    if kind == "scope":
        scope = value.rstrip(".")
        return lambda name: name == scope or name.startswith(scope + ".")
    if kind == "name":
        return lambda name: name == value
    if kind == "suffix":
        return lambda name: name.endswith(value)
    try:
        regex = re.compile(fnmatch.translate(value) if kind == "glob" else value)
    except re.error as exc:
        raise CheckpointError(f"bad regular expression in selection pattern '{pattern}': {exc}") from None
    return lambda name: regex.search(name) is not None


@dataclass(frozen=True)
class Selection:
    """Include and exclude patterns (JSON-serialisable; empty include means everything)."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    _include: tuple[Callable[[str], bool], ...] = field(init=False, repr=False, compare=False)
    _exclude: tuple[Callable[[str], bool], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "include", tuple(self.include))
        object.__setattr__(self, "exclude", tuple(self.exclude))
        object.__setattr__(self, "_include", tuple(compile_pattern(p) for p in self.include))
        object.__setattr__(self, "_exclude", tuple(compile_pattern(p) for p in self.exclude))

    def matches(self, name: str) -> bool:
        if self._include and not any(match(name) for match in self._include):
            return False
        return not any(match(name) for match in self._exclude)

    def select(self, names: Iterable[str]) -> list[str]:
        return [name for name in names if self.matches(name)]

    def unused_patterns(self, names: Iterable[str]) -> list[str]:
        """Patterns that match none of ``names`` (usually a typo worth showing)."""
        names = list(names)
        patterns = list(zip(self.include, self._include, strict=True))
        patterns += zip(self.exclude, self._exclude, strict=True)
        return [text for text, match in patterns if not any(match(name) for name in names)]

    def to_dict(self) -> dict[str, Any]:
        return {"include": list(self.include), "exclude": list(self.exclude)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Selection:
        return cls(include=tuple(data.get("include", ())), exclude=tuple(data.get("exclude", ())))
