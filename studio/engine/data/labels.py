"""Label rules: how a file's class is found (its class folder, a regex on its name, or an index rule).

    LabelRule()                                  # root/<class>/.../image.png (torchvision layout)
    LabelRule("regex", pattern=r"^([a-z]+)_\\d+") # flat folder, class from a group of the file name
    LabelRule("index", per_class=80)             # Flowers-17: label = (number - 1) // 80
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from studio.engine.data.errors import DataError

KINDS = ("folder", "regex", "index")


@dataclass(frozen=True)
class LabelRule:
    """``kind`` folder | regex | index. ``pattern``: for regex the group (named ``label`` or the first)
    giving the class name; for index the group giving the file number (default: the last number in the
    name). Index labels are ``(number - first) // per_class``, named by ``class_names`` when given."""

    kind: str = "folder"
    pattern: str | None = None
    per_class: int = 80
    first: int = 1
    class_names: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise DataError(f"unknown label rule '{self.kind}' (use one of: {', '.join(KINDS)})")
        if self.kind == "regex" and not self.pattern:
            raise DataError("the regex label rule needs a pattern with a group, e.g. '^([a-z]+)_'")
        if self.pattern:
            try:
                compiled = re.compile(self.pattern)
            except re.error as exc:
                raise DataError(f"label pattern {self.pattern!r} is not a valid regex: {exc}") from None
            if compiled.groups < 1:
                raise DataError(f"label pattern {self.pattern!r} needs a group (...) that captures the "
                                "label")
        if self.kind == "index" and self.per_class < 1:
            raise DataError("per_class must be at least 1")

    @property
    def flat(self) -> bool:
        """True when labels come from file names (the folder may be flat)."""
        return self.kind != "folder"

    def label_of(self, name: str) -> str | None:
        """The class name for file name ``name`` (flat rules only), or None when the rule does not match."""
        if self.kind == "regex":
            assert self.pattern is not None  # __post_init__ refuses a regex rule without one
            match = re.search(self.pattern, name)
            return _group(match) if match else None
        if self.pattern:
            match = re.search(self.pattern, name)
            number = _group(match) if match else None
        else:
            numbers = re.findall(r"\d+", name.rsplit(".", 1)[0])
            number = numbers[-1] if numbers else None
        if number is None or not number.isdigit():
            return None
        index = (int(number) - self.first) // self.per_class
        if index < 0:
            return None
        if self.class_names:
            return self.class_names[index] if index < len(self.class_names) else None
        return f"class_{index}"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.pattern:
            data["pattern"] = self.pattern
        if self.kind == "index":
            data.update(per_class=self.per_class, first=self.first)
        if self.class_names:
            data["class_names"] = list(self.class_names)
        return data

    @classmethod
    def from_value(cls, value: Any) -> LabelRule:
        """From a dict (config files) or a short string: ``folder``, ``regex:PATTERN``, ``index:80``."""
        if isinstance(value, LabelRule):
            return value
        if value is None:
            return cls()
        if isinstance(value, str):
            kind, _, rest = value.partition(":")
            if kind == "regex":
                return cls("regex", pattern=rest)
            if kind == "index":
                try:
                    return cls("index", per_class=int(rest)) if rest else cls("index")
                except ValueError:
                    raise DataError(f"'index:{rest}' needs a number of images per class") from None
            return cls(kind)
        if isinstance(value, dict):
            unknown = set(value) - {"kind", "pattern", "per_class", "first", "class_names"}
            if unknown:
                raise DataError(f"unknown label rule key(s): {', '.join(sorted(unknown))}")
            names = tuple(str(n) for n in value.get("class_names") or ())
            return cls(str(value.get("kind", "folder")), value.get("pattern"),
                       int(value.get("per_class", 80)), int(value.get("first", 1)), names)
        raise DataError(f"cannot read a label rule from {value!r}")


def _group(match: re.Match) -> str | None:
    if "label" in match.re.groupindex:
        return match.group("label")
    return match.group(1)


def natural_key(text: str) -> list:
    """Sort key that orders ``class_2`` before ``class_10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]
