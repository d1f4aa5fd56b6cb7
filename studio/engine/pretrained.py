"""Fine-tuning a template from pretrained (torchvision) weights: the weight files in the local torch
hub cache, the template's head, and the restore step "all but the head, optionally frozen".

    files = cached_weights("mobilenet_v3_small")          # what is on disk; never downloads
    spec = create_template("mobilenet_v3_small", num_classes=2)
    head = head_nodes(spec)                                # ("fc2",)
    plan = plan_finetune(spec, files[0], head, preset_for("mobilenet_v3_small"))
    init = finetune_init(files[0], head, preset_for("mobilenet_v3_small"), freeze=True)
    config = config.replace(init=(*config.init, init))    # what the Training panel and `studio train` run

The window's File > Fine-tune a pretrained model... and ``studio train TEMPLATE --pretrained FILE``
both use these.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.checkpoints.plan import RestorePlan, make_plan
from studio.engine.checkpoints.presets import Preset, list_presets
from studio.engine.checkpoints.reader import open_checkpoint
from studio.engine.checkpoints.selection import Selection
from studio.engine.compiler import compile_spec
from studio.engine.errors import SpecError
from studio.engine.filenames import shown_name
from studio.engine.layers import get_layer
from studio.engine.spec.model import ModelSpec
from studio.engine.templates import create_template, list_templates
from studio.engine.training.config import InitConfig

PRESET_PREFIX = "torchvision_"
CLASS_ARGS = ("out_features", "units", "num_classes", "out_channels")  # a head's class count argument


def hub_checkpoints_dir() -> Path:
    """Where torch.hub keeps downloaded weights: ``$TORCH_HOME/hub/checkpoints`` (by default
    ``~/.cache/torch/hub/checkpoints``), as ``torch.hub.get_dir()`` says."""
    import torch.hub

    return Path(torch.hub.get_dir()) / "checkpoints"


def preset_for(template: str) -> Preset | None:
    """The ``torchvision_<template>`` name-mapping preset, when Studio ships one."""
    for preset in list_presets():
        if preset.name == PRESET_PREFIX + template and preset.template == template:
            return preset
    return None


def pretrained_templates() -> list[str]:
    """The registered templates that torchvision weights restore into (they have a preset)."""
    known = {preset.template for preset in list_presets() if preset.name.startswith(PRESET_PREFIX)}
    return [entry.name for entry in list_templates() if entry.name in known]


def weight_file_patterns(template: str) -> list[str]:
    """File-name patterns of torchvision's weights for ``template``: the names its weight enums
    download to (``mobilenet_v3_small-047dcff4.pth``) and ``<name>-*.pth`` / ``<name>_*-*.pth``."""
    names = []
    try:
        from torchvision.models import get_model_weights

        names = [weights.url.rsplit("/", 1)[-1] for weights in get_model_weights(template)]
    except (ImportError, ValueError, KeyError, AttributeError):
        pass  # not a torchvision model name (or no torchvision): the patterns below still apply
    return [*names, f"{template}-*.pth", f"{template}_*-*.pth"]


def cached_weights(template: str, folder: str | os.PathLike | None = None) -> list[Path]:
    """The files in the torch hub cache (or ``folder``) that look like torchvision weights for
    ``template``, newest first; only what is on disk (nothing is downloaded)."""
    root = Path(folder) if folder is not None else hub_checkpoints_dir()
    try:
        entries = [entry for entry in root.iterdir() if entry.is_file()]
    except OSError:
        return []
    patterns = weight_file_patterns(template)
    found = [entry for entry in entries
             if any(fnmatch.fnmatchcase(entry.name, pattern) for pattern in patterns)]
    return sorted(found, key=lambda entry: (-_mtime(entry), entry.name))


def no_cached_weights(template: str) -> str:
    return f"no cached weights for {template}: choose a file"


def head_nodes(spec: ModelSpec) -> tuple[str, ...]:
    """The model's head: for each output, the last layer with weights before it (stepping back over
    layers without weights, such as dropout, flatten or an activation). Top-level node ids."""
    graph = spec.graph
    heads: list[str] = []
    for output in spec.output_nodes():
        seen: set[str] = set()
        todo = list(graph.inputs_of(output.id).values())
        while todo:
            node_id = todo.pop(0)
            if node_id in seen or node_id not in graph.nodes:
                continue
            seen.add(node_id)
            if _has_weights(spec, node_id):
                if node_id not in heads:
                    heads.append(node_id)
                break
            todo.extend(graph.inputs_of(node_id).values())
    if not heads:
        raise SpecError(f"model '{spec.name}' has no layer with weights before its output: no head to "
                        "replace")
    return tuple(heads)


def with_head_classes(spec: ModelSpec, num_classes: int) -> ModelSpec:
    """A copy of ``spec`` whose head layers give ``num_classes`` values (SpecError naming a head that
    has no class count argument of its own)."""
    spec = spec.copy()
    for head in head_nodes(spec):
        node = spec.graph.nodes[head]
        arg = next((name for name in CLASS_ARGS if name in node.args), None)
        if arg is None:
            raise SpecError(f"the head '{head}' has no class count argument to set ({', '.join(CLASS_ARGS)})")
        node.args[arg] = num_classes
    return spec


def template_spec(template: str, num_classes: int,
                  input_shape: tuple[int, ...] | None = None) -> ModelSpec:
    """The template for the new task (``num_classes`` classes)."""
    return create_template(template, num_classes=num_classes, input_shape=input_shape)


def finetune_init(weights: str | os.PathLike, head: tuple[str, ...] | list[str], preset: Preset | None,
                  freeze: bool = False) -> InitConfig:
    """The restore step of a fine-tune run: every tensor but the head's from ``weights`` (named
    through ``preset``), the restored ones frozen when ``freeze``."""
    mapping = preset.mapping.to_dict() if preset is not None else None
    return InitConfig(str(weights), (), tuple(head), mapping, freeze)


def model_shapes(spec: ModelSpec) -> dict[str, tuple[int, ...]]:
    """Name -> shape of the model's tensors, built without memory (the meta device)."""
    model = compile_spec(spec, device="meta")
    return {name: tuple(tensor.shape) for name, tensor in model.state_dict().items()}


def plan_finetune(spec: ModelSpec, weights: str | os.PathLike, head: tuple[str, ...] | list[str],
                  preset: Preset | None) -> RestorePlan:
    """The plan of restoring all but ``head`` from ``weights`` (reads names and shapes only).

    CheckpointError with one sentence when the file is not a state_dict or holds weights of another
    architecture (most of the model's tensors would keep their initial values).
    """
    shapes = model_shapes(spec)
    with open_checkpoint(weights) as reader:
        source = {entry.name: entry.shape for entry in reader.entries()}
    through = f" through preset {preset.name}" if preset is not None else ""
    mapping = preset.mapping if preset is not None else None
    name = shown_name(Path(weights).name)
    if not source:
        raise CheckpointError(f"{name} holds no tensors: it is not a state_dict of weights")
    try:
        plan = make_plan(shapes, source, Selection(exclude=tuple(head)), mapping)
    except CheckpointError as exc:
        raise CheckpointError(f"{name} does not fit {spec.name}{through}: {exc}") from None
    counts = plan.counts
    backbone = counts["restore"] + counts["mismatch"] + counts["missing"]
    if counts["restore"] == 0 or counts["restore"] < backbone / 2:
        raise CheckpointError(f"{name} does not look like weights of {spec.name}: only "
                              f"{counts['restore']} of the model's {backbone} tensors outside the head "
                              f"match its tensors{through} (weights of another architecture?)")
    return plan


def plan_counts(plan: RestorePlan) -> dict[str, int]:
    """What the fine-tune dialog and the command line show: restored, excluded (the head),
    mismatched (shapes differ: they keep their initial values), missing, and checkpoint tensors unused."""
    counts = plan.counts
    return {"restored": counts["restore"], "head": counts["excluded"], "mismatched": counts["mismatch"],
            "missing": counts["missing"], "unused": counts["unused"]}


def _has_weights(spec: ModelSpec, node_id: str) -> bool:
    node = spec.graph.nodes[node_id]
    if node.type in spec.blocks:
        return True  # a block use: its layers hold weights (or it would not be the head's place)
    layer = get_layer(node.type)
    return layer is not None and layer.has_weights


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0

