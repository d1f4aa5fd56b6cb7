"""Rules mapping checkpoint tensor names to model tensor names, as data (saved with a run, reusable).

For each checkpoint name, in order: an explicit ``table`` entry wins (a null value drops the tensor);
otherwise the first matching ``strip_prefixes`` entry is removed, the ``rewrites`` (regex, replacement)
are applied one after another, and ``add_prefix`` is prepended. A name rewritten to "" is dropped.

    NameMapping(strip_prefixes=("module.",))                       # from DataParallel
    NameMapping(strip_prefixes=("vgg16/",), rewrites=(("/", "."), (r"params1$", "weight")))
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.engine.atomic import atomic_write_text
from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.jsonio import read_json


@dataclass(frozen=True)
class NameMapping:
    """Checkpoint name -> model name rules; ``map(name)`` returns None for dropped tensors."""

    strip_prefixes: tuple[str, ...] = ()
    rewrites: tuple[tuple[str, str], ...] = ()
    add_prefix: str = ""
    table: dict[str, str | None] = field(default_factory=dict)
    _compiled: tuple[tuple[re.Pattern, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "strip_prefixes", tuple(self.strip_prefixes))
        rewrites = tuple((str(p), str(r)) for p, r in self.rewrites)
        object.__setattr__(self, "rewrites", rewrites)
        compiled = []
        for pattern, replacement in rewrites:
            try:
                compiled.append((re.compile(pattern), replacement))
            except re.error as exc:
                raise CheckpointError(f"bad regular expression '{pattern}' in name mapping: {exc}") from None
        object.__setattr__(self, "_compiled", tuple(compiled))

    def map(self, name: str) -> str | None:
        if name in self.table:
            return self.table[name] or None
        for prefix in self.strip_prefixes:
            if name.startswith(prefix):
                name = name[len(prefix):]
                break
        for regex, replacement in self._compiled:
            try:
                name = regex.sub(replacement, name)
            except (re.error, IndexError) as exc:
                raise CheckpointError(f"name mapping rule '{regex.pattern}' -> '{replacement}' "
                                      f"failed: {exc}") from None
        return self.add_prefix + name if name else None

    @property
    def is_identity(self) -> bool:
        return not (self.strip_prefixes or self.rewrites or self.add_prefix or self.table)

    def to_dict(self) -> dict[str, Any]:
        return {"strip_prefixes": list(self.strip_prefixes), "rewrites": [list(r) for r in self.rewrites],
                "add_prefix": self.add_prefix, "table": dict(self.table)}

    @classmethod
    def from_dict(cls, data: Any) -> NameMapping:
        if not isinstance(data, dict):
            raise CheckpointError("a name mapping must be a JSON object")
        unknown = set(data) - {"strip_prefixes", "rewrites", "add_prefix", "table"}
        if unknown:
            raise CheckpointError(f"unknown key(s) in name mapping: {', '.join(sorted(unknown))} "
                                  "(known: strip_prefixes, rewrites, add_prefix, table)")
        try:
            rewrites = tuple((pattern, replacement) for pattern, replacement in data.get("rewrites", ()))
            table = {str(k): (None if v is None else str(v)) for k, v in dict(data.get("table", {})).items()}
            return cls(strip_prefixes=tuple(str(p) for p in data.get("strip_prefixes", ())),
                       rewrites=rewrites, add_prefix=str(data.get("add_prefix", "")), table=table)
        except (TypeError, ValueError) as exc:
            raise CheckpointError(f"malformed name mapping: {exc} (rewrites are [pattern, replacement] "
                                  "pairs, table maps names to names or null)") from None

    def save(self, path: str | os.PathLike) -> Path:
        return atomic_write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> NameMapping:
        data = read_json(path, f"name mapping {path}", error=CheckpointError)
        return cls.from_dict(data.get("mapping", data) if isinstance(data, dict) else data)
