"""Helpers shared by the command modules."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from studio.engine.errors import SpecError
from studio.engine.spec.io import load_spec
from studio.engine.spec.model import ModelSpec
from studio.engine.templates import create_template, list_templates

TIMES = "x"  # shapes in the terminal stay ASCII (engine.formatting.shape_text): 8x1x3x3


def spec_from_argument(value: str, num_classes: int | None = None) -> ModelSpec:
    """A spec from a file path, or from a template name (with ``num_classes``)."""
    path = Path(value)
    if path.exists():
        return load_spec(path)
    if value in {t.name for t in list_templates()}:
        return create_template(value, num_classes=num_classes or 10)
    raise SpecError(f"'{value}' is neither a spec file nor a template name "
                    "(see `studio templates`)")


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")
