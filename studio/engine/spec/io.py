"""Reading and writing model specs: the versioned JSON format and its migrations.

The document is ``{"format": "studio.model/1", "name", "meta", "defaults", "nodes", "edges",
"blocks"}``. Saving is deterministic (load -> save gives identical bytes) and atomic.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.engine.atomic import atomic_write_text
from studio.engine.errors import SpecError
from studio.engine.jsonio import check_depth, parse_json
from studio.engine.spec.model import BlockDef, Graph, ModelSpec, shown

FORMAT_NAME = "studio.model"
FORMAT_VERSION = 1
FORMAT = f"{FORMAT_NAME}/{FORMAT_VERSION}"
MAX_DEPTH = 64  # nesting levels a spec document may have (a real one has fewer than 10)

# version -> function turning a document of that version into one of version + 1
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def format_version(data: dict[str, Any]) -> int:
    """The version number of a spec document, or SpecError if it is not a Studio model."""
    tag = data.get("format") if isinstance(data, dict) else None
    if not isinstance(tag, str) or not tag.startswith(FORMAT_NAME + "/"):
        raise SpecError(f"not a Studio model spec (expected \"format\": \"{FORMAT}\", got {tag!r})")
    try:
        return int(tag.split("/", 1)[1])
    except ValueError:
        raise SpecError(f"unreadable spec format version in {tag!r}") from None


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring an older document up to the current format; refuse newer ones clearly."""
    version = format_version(data)
    if version > FORMAT_VERSION:
        raise SpecError(f"this spec was written by a newer Studio (format version {version}); this "
                        f"Studio reads up to version {FORMAT_VERSION}. Please update Studio.")
    while version < FORMAT_VERSION:
        if version not in MIGRATIONS:
            raise SpecError(f"no migration from spec format version {version}")
        data = MIGRATIONS[version](data)
        version += 1
        data["format"] = f"{FORMAT_NAME}/{version}"
    return data


def spec_to_dict(spec: ModelSpec) -> dict[str, Any]:
    """The JSON document of ``spec`` (keys in a fixed order)."""
    data: dict[str, Any] = {"format": FORMAT, "name": spec.name}
    if spec.meta:
        data["meta"] = json.loads(json.dumps(spec.meta))
    data.update(spec.graph.to_dict())
    data["blocks"] = {name: block.to_dict() for name, block in spec.blocks.items()}
    return data


def spec_from_dict(data: Any) -> ModelSpec:
    """Build a spec from a JSON document (migrating older formats). Every name is checked here
    (:func:`studio.engine.spec.model.check_id`), so nothing a file says reaches a module or generated
    code unchecked; a problem is one located SpecError."""
    if not isinstance(data, dict):
        raise SpecError("a model spec must be a JSON object")
    check_depth(data, "the spec", error=SpecError, max_depth=MAX_DEPTH)
    data = migrate(dict(data))
    name = data.get("name", "model")
    if not isinstance(name, str):
        raise SpecError(f"the model's 'name' must be text, not {shown(name)}")
    spec = ModelSpec(name=name)
    if not isinstance(data.get("meta", {}), dict):
        raise SpecError("'meta' must be a JSON object")
    spec.meta = dict(data.get("meta", {}))
    spec.graph = Graph.from_dict(data)
    blocks = data.get("blocks", {})
    if not isinstance(blocks, dict):
        raise SpecError("'blocks' must map block names to definitions")
    spec.blocks = {name: BlockDef.from_dict(name, body) for name, body in blocks.items()}
    return spec


def dumps(spec: ModelSpec) -> str:
    """Canonical JSON text of ``spec``: indented, with short lists of numbers kept on one line."""
    return _format(spec_to_dict(spec), 0) + "\n"


def _format(value: Any, depth: int) -> str:
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(key, ensure_ascii=False)}: {_format(item, depth + 1)}"
                 for key, item in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value and not all(_is_scalar(v) for v in value):
        items = [f"{inner}{_format(v, depth + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def loads(text: str) -> ModelSpec:
    """The spec in JSON ``text`` (bounded: at most ``MAX_DEPTH`` levels deep)."""
    return spec_from_dict(parse_json(text, "the spec", error=SpecError, max_depth=MAX_DEPTH))


def load_spec(path: str | os.PathLike) -> ModelSpec:
    """Read a spec file; a missing, unreadable or invalid file raises SpecError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read spec {path}: {exc}") from None
    return loads(text)


def save_spec(spec: ModelSpec, path: str | os.PathLike) -> Path:
    """Write ``spec`` to ``path`` atomically."""
    return atomic_write_text(path, dumps(spec))


def spec_hash(spec: ModelSpec) -> str:
    """A short content hash of the architecture (positions excluded), recorded in checkpoints."""
    data = spec_to_dict(spec)
    data.pop("meta", None)
    for graph in [data, *data["blocks"].values()]:
        for node in graph["nodes"]:
            node.pop("pos", None)
    text = json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
