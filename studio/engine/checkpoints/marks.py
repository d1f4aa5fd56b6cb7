"""Which canvas nodes a restore touched: "restored" and "frozen" marks per graph and node.

A tensor such as ``entry_flow_1.sepconv1.weight`` belongs to node ``entry_flow_1`` of the model and,
when that node is a block use, to node ``sepconv1`` of the block's own graph. A mark inside a block
covers the block's uses: "restored 1/3" when only one of its three uses was restored.
"""

from __future__ import annotations

from collections.abc import Iterable

from torch import nn

from studio.engine.graph_module import GraphModule

Place = tuple[str | None, str]  # (graph: None for the model, else the block name; node id)
Marks = dict[str | None, dict[str, tuple[str, ...]]]  # graph -> node id -> marks


def canvas_marks(model: GraphModule, restored: Iterable[str]) -> Marks:
    """The marks of every graph: "restored" where some tensor named in ``restored`` lives, "frozen"
    where all parameters are frozen (per block use, with the share of uses when not all)."""
    uses: dict[str, int] = {}
    for _, module in model.named_modules():
        if isinstance(module, GraphModule) and module.block_name is not None:
            uses[module.block_name] = uses.get(module.block_name, 0) + 1
    restored_uses: dict[Place, set[str]] = {}  # place -> uses with a restore
    for name in restored:
        for place, use in tensor_places(model, name):
            restored_uses.setdefault(place, set()).add(use)
    trainable: dict[Place, dict[str, bool]] = {}  # place -> use -> any trainable
    for name, param in model.named_parameters():
        for place, use in tensor_places(model, name):
            per_use = trainable.setdefault(place, {})
            per_use[use] = per_use.get(use, False) or param.requires_grad
    frozen = {place: {use for use, train in per_use.items() if not train}
              for place, per_use in trainable.items() if not all(per_use.values())}
    marks: dict[str | None, dict[str, list[str]]] = {}
    for kind, found in (("restored", restored_uses), ("frozen", frozen)):
        for (graph, node), which in found.items():
            total = 1 if graph is None else uses.get(graph, 1)
            label = kind if len(which) >= total else f"{kind} {len(which)}/{total}"
            marks.setdefault(graph, {}).setdefault(node, []).append(label)
    return {graph: {node: tuple(kinds) for node, kinds in nodes.items()} for graph, nodes in marks.items()}


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
