"""Which canvas nodes a restore touched: one :class:`NodeMark` per graph and node.

A tensor such as ``entry_flow_1.sepconv1.weight`` belongs to node ``entry_flow_1`` of the model and,
when that node is a block use, to node ``sepconv1`` of the block's own graph. A mark inside a block
counts the block's uses: restored in 1 of its 3 uses when only one was restored. The canvas words them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from torch import nn

from studio.engine.graph_module import GraphModule

Place = tuple[str | None, str]  # (graph: None for the model, else the block name; node id)


@dataclass(frozen=True)
class NodeMark:
    """What restores did to one node: ``restored`` of its ``uses`` hold a restored tensor, ``frozen`` of
    them have every parameter frozen; ``sources`` are the checkpoints its tensors came from."""

    uses: int = 1  # 1 in the model; inside a block, how many uses the block has
    restored: int = 0
    frozen: int = 0
    sources: tuple[str, ...] = ()

    @property
    def all_restored(self) -> bool:
        return self.restored >= self.uses

    @property
    def all_frozen(self) -> bool:
        return self.frozen >= self.uses


Marks = dict[str | None, dict[str, NodeMark]]  # graph -> node id -> mark


def canvas_marks(model: GraphModule, restored: Mapping[str, str]) -> Marks:
    """The marks of every graph: restored where some tensor of ``restored`` (tensor -> the checkpoint it
    came from) lives, frozen where all parameters are frozen (per block use)."""
    uses: dict[str, int] = {}
    for _, module in model.named_modules():
        if isinstance(module, GraphModule) and module.block_name is not None:
            uses[module.block_name] = uses.get(module.block_name, 0) + 1
    restored_uses: dict[Place, set[str]] = {}  # place -> uses with a restore
    sources: dict[Place, list[str]] = {}
    for name, checkpoint in restored.items():
        for place, use in tensor_places(model, name):
            restored_uses.setdefault(place, set()).add(use)
            if checkpoint not in sources.setdefault(place, []):
                sources[place].append(checkpoint)
    trainable: dict[Place, dict[str, bool]] = {}  # place -> use -> any trainable
    for name, param in model.named_parameters():
        for place, use in tensor_places(model, name):
            per_use = trainable.setdefault(place, {})
            per_use[use] = per_use.get(use, False) or param.requires_grad
    frozen = {place: sum(not train for train in per_use.values())
              for place, per_use in trainable.items() if not all(per_use.values())}
    marks: Marks = {}
    for place in [*restored_uses, *(p for p in frozen if p not in restored_uses)]:
        graph, node = place
        marks.setdefault(graph, {})[node] = NodeMark(1 if graph is None else uses.get(graph, 1),
                                                     len(restored_uses.get(place, ())), frozen.get(place, 0),
                                                     tuple(sources.get(place, ())))
    return marks


def tensor_places(model: GraphModule, tensor: str) -> list[tuple[Place, str]]:
    """The canvas nodes ``tensor`` belongs to, with the block use it is in: ``((None, "use"), "")`` in
    the model and ``(("block", "conv"), "use")`` in the block's own graph for ``use.conv.weight``."""
    parts = tensor.split(".")
    places: list[tuple[Place, str]] = [((None, parts[0]), "")]
    module = _child(model, parts[0])
    for index in range(1, len(parts) - 1):
        if module is None:
            break
        if isinstance(module, GraphModule) and module.block_name is not None:
            places.append(((module.block_name, parts[index]), ".".join(parts[:index])))
        module = _child(module, parts[index])
    return places


def _child(module: nn.Module, name: str) -> nn.Module | None:
    return dict(module.named_children()).get(name)
