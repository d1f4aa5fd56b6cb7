"""Dotted tensor names grouped into scopes (``conv3.conv3_1.weight`` -> conv3 / conv3_1 / weight).

The tensor table and both trees of the restore dialog show names this way; a scope's path is the
prefix every name under it starts with, which is exactly the engine's ``scope:`` selection pattern.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Scope:
    """A scope: its dotted ``path`` ("" for the root), child scopes and the tensors directly in it."""

    path: str
    children: dict[str, Scope] = field(default_factory=dict)
    tensors: list[str] = field(default_factory=list)  # full names, in the order given

    @property
    def label(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    def names(self) -> list[str]:
        """Every tensor name under this scope, in tree order."""
        out = list(self.tensors)
        for child in self.children.values():
            out.extend(child.names())
        return out


def group_by_scope(names: Iterable[str]) -> Scope:
    """The scope tree of ``names``; children keep the order in which they first appear."""
    root = Scope("")
    for name in names:
        node = root
        parts = name.split(".")
        for part in parts[:-1]:
            path = f"{node.path}.{part}" if node.path else part
            node = node.children.setdefault(part, Scope(path))
        node.tensors.append(name)
    return root


def leaf_label(name: str) -> str:
    """The last part of a dotted name (what a tree row shows under its scope)."""
    return name.rsplit(".", 1)[-1]


def compress(unchecked: set[str], root: Scope) -> list[str]:
    """Selection patterns covering exactly ``unchecked``: a scope when all of it is, else ``name:``."""
    patterns: list[str] = []

    def visit(scope: Scope) -> None:
        for name in scope.tensors:
            if name in unchecked:
                patterns.append(f"name:{name}")
        for child in scope.children.values():
            names = child.names()
            if names and all(name in unchecked for name in names):
                patterns.append(child.path)
            elif any(name in unchecked for name in names):
                visit(child)

    visit(root)
    return patterns
