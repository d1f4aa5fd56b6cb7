"""A restore rule set as a JSON file: selection patterns, name mapping and the freeze choice.

The ``mapping`` entry is the engine's NameMapping document, so the same file also works as
``studio ckpt restore --map RULES.json``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.engine.atomic import atomic_write_text
from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.checkpoints.mapping import NameMapping
from studio.engine.checkpoints.selection import Selection
from studio.engine.jsonio import read_json

RULES_FORMAT = "studio.restore-rules/1"


@dataclass(frozen=True)
class RuleSet:
    """What the restore dialog's rule fields hold."""

    selection: Selection = field(default_factory=Selection)
    mapping: NameMapping = field(default_factory=NameMapping)
    freeze: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"format": RULES_FORMAT, **self.selection.to_dict(), "mapping": self.mapping.to_dict(),
                "freeze": self.freeze}

    @classmethod
    def from_dict(cls, data: Any) -> RuleSet:
        if not isinstance(data, dict):
            raise CheckpointError("a rule set must be a JSON object")
        if "format" in data and data["format"] != RULES_FORMAT:
            raise CheckpointError(f"not a restore rule set (expected format {RULES_FORMAT})")
        patterns = {key: data.get(key, []) for key in ("include", "exclude")}
        if not all(isinstance(v, list) and all(isinstance(p, str) for p in v) for v in patterns.values()):
            raise CheckpointError("include and exclude must be lists of patterns")
        return cls(Selection.from_dict(patterns), NameMapping.from_dict(data.get("mapping", {})),
                   bool(data.get("freeze", False)))


def save_rules(rules: RuleSet, path: str | os.PathLike) -> Path:
    """Write ``rules`` to ``path`` atomically."""
    return atomic_write_text(path, json.dumps(rules.to_dict(), indent=2) + "\n")


def load_rules(path: str | os.PathLike) -> RuleSet:
    """Read a rule set (CheckpointError saying what is wrong)."""
    return RuleSet.from_dict(read_json(path, f"rule set {path}", error=CheckpointError))
