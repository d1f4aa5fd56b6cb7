"""Name-mapping presets shipped with Studio (JSON files in ``presets/``), e.g. torchvision -> templates.

    preset = load_preset("torchvision_resnet18")
    restore(model, "resnet18.pth", mapping=preset.mapping)
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.checkpoints.mapping import NameMapping
from studio.engine.jsonio import parse_json


@dataclass(frozen=True)
class Preset:
    """A named mapping; ``source`` says where such weights come from, ``template`` what they fit."""

    name: str
    description: str
    source: str
    template: str | None
    mapping: NameMapping


def list_presets() -> list[Preset]:
    folder = resources.files(__package__) / "presets"
    names = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".json"))
    return [_read(name.removesuffix(".json")) for name in names]


def load_preset(name: str) -> Preset:
    """The preset called ``name``; CheckpointError listing the known ones otherwise."""
    known = {preset.name: preset for preset in list_presets()}
    if name not in known:
        raise CheckpointError(f"unknown mapping preset '{name}' (presets: {', '.join(sorted(known))})")
    return known[name]


def _read(name: str) -> Preset:
    text = (resources.files(__package__) / "presets" / f"{name}.json").read_text(encoding="utf-8")
    data = parse_json(text, f"mapping preset {name}", error=CheckpointError)
    return Preset(name=data["name"], description=data["description"], source=data["source"],
                  template=data.get("template"), mapping=NameMapping.from_dict(data["mapping"]))
