"""Repeated submodules -> blocks: torchvision's BasicBlock, Bottleneck or InvertedResidual becomes one
block definition used once per instance (``layer1_0``), runs of equal uses one repeated node.

Submodules are folded innermost first. The nodes traced inside one call of a submodule form its
region; a region with inputs from outside and one output can be a block use. Regions of the same
class whose graphs have the same layers, arguments names and connections are one block: arguments
that differ between them become the block's parameters (equal ones merged: ``stride``). A region
that lacks a nested block use that its siblings have at the same place (Bottleneck's ``downsample``
when it is None) gets an identity block there, so that a single block covers both (the block named
by a parameter, as Studio's resnet templates do). A submodule whose uses all differ, one called
twice, one reaching outside its region or one traced to a single op (torchvision's ``Permute``)
stays flat. The weights follow each node: the original
``layer1.0.conv1.weight`` is the spec's ``layer1_0.conv1.weight``, ``layer1.1`` of a repeat
``layer1`` is ``layer1.layer1_1``.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from studio.engine.importing.entries import Block, Entry, Graph, fresh_id

Names = dict[str, list[str]]  # original weight name -> the spec name's parts
UNSET = object()  # an argument of an inserted identity use: whatever its siblings have
IDENTITY = "identity"  # (stand-in block name of an inserted identity use until it is defined)


@dataclass
class _Region:
    key: str  # the submodule's fx key (its path)
    members: list[Entry]
    inputs: list[str]  # outside entry ids, one per port
    output: str  # the member feeding the rest
    local: dict[str, str]  # member id -> its id inside the block
    body: list[Entry] = field(default_factory=list)  # members with local ids and local sources


def fold(graph: Graph, names: Names, kinds: dict[str, str], used: set[str]) -> None:
    """Fold ``graph`` in place (entries, outputs, blocks) and rename ``names`` to match; ``kinds``
    gives each module key's class (``torchvision.models.resnet.BasicBlock``)."""
    keys = [k for e in graph.entries.values() for k in e.scopes]
    twice = {k.split("@")[0] for k in keys if "@" in k}
    depth = max((len(e.scopes) for e in graph.entries.values()), default=0)
    for level in range(depth - 1, -1, -1):
        level_keys = list(dict.fromkeys(e.scopes[level] for e in graph.entries.values()
                                        if len(e.scopes) > level))
        regions = []
        for key in level_keys:
            if key in twice or "@" in key or not _foldable_module(kinds, key, keys):
                continue
            region = _region(graph, key, level)
            if region is not None and len(region.members) > 1:  # (a module of one op stays that op)
                regions.append(region)
        by_class: dict[str, list[_Region]] = defaultdict(list)
        for region in regions:
            by_class[kinds[region.key]].append(region)
        for cls, group in by_class.items():
            _fold_class(graph, names, cls, group, level, used)
    _repeat(graph, names, used)


CONTAINERS = {f"torch.nn.modules.container.{name}" for name in ("Sequential", "ModuleList", "ModuleDict")}
SEQUENTIAL = "torch.nn.modules.container.Sequential"


def _foldable_module(kinds: dict[str, str], key: str, keys: list[str]) -> bool:
    """A container (``nn.Sequential``) folds only as a plain run of layers, no module traced through
    inside it (``downsample``, not ``layer1``)."""
    if kinds.get(key) in CONTAINERS:
        return not any(k.startswith(key + ".") for k in keys)
    return key in kinds


def _region(graph: Graph, key: str, level: int) -> _Region | None:
    members = [e for e in graph.entries.values() if len(e.scopes) > level and e.scopes[level] == key]
    ids = {e.id for e in members}
    if not members or any(e.share is not None and e.share not in ids for e in members):
        return None
    outside = [e for e in graph.entries.values() if e.id not in ids]
    if any(e.share in ids for e in outside):
        return None
    inputs = list(dict.fromkeys(s for e in members for s in e.sources if s not in ids))
    feeding = {s for e in outside for s in e.sources if s in ids}
    feeding |= {source for _, source in graph.outputs if source in ids}
    if not inputs or len(feeding) != 1:
        return None
    local = _local_ids(key, members, len(inputs))
    ports = _ports(len(inputs))
    port_of = dict(zip(inputs, ports, strict=True))
    body = [Entry(local[e.id], e.type, dict(e.args), [local.get(s) or port_of[s] for s in e.sources],
                  local[e.share] if e.share else None, repeat=e.repeat) for e in members]
    return _Region(key, members, inputs, feeding.pop(), local, body)


def _ports(count: int) -> list[str]:
    return ["x"] if count == 1 else [f"x{i}" for i in range(1, count + 1)]


def _local_ids(key: str, members: list[Entry], inputs: int) -> dict[str, str]:
    """Ids inside the block: a module's path below the region (``conv1``, ``conv_0``, ``relu_1`` for
    its second call), a layer type for a bare index, an op's name (``add``)."""
    used = {*_ports(inputs), "out"}
    local: dict[str, str] = {}
    for entry in members:
        inner = entry.module if entry.module is not None and entry.module.startswith(key + ".") else \
            entry.scopes[-1] if _alone(entry, key, members) else None  # (the one op of ``Permute``)
        if inner is not None:
            rel = inner[len(key) + 1:].replace("@", "_")
            if rel[:1].isdigit():
                rel = f"{entry.args.get('block') if entry.type == 'block' else entry.type}_{rel}"
        else:
            rel = re.sub(r"_\d+$", "", entry.id)
        local[entry.id] = fresh_id(rel, used)
    return local


def _alone(entry: Entry, key: str, members: list[Entry]) -> bool:
    inner = entry.scopes[-1] if entry.scopes else ""
    return inner.startswith(key + ".") and sum(inner in e.scopes for e in members) == 1


def _structure(region: _Region) -> tuple:
    return (len(region.inputs), tuple(sorted(
        (e.id, e.type, tuple(sorted(e.args)), tuple(e.sources), e.share, e.repeat) for e in region.body)))


def _fold_class(graph: Graph, names: Names, cls: str, regions: list[_Region], level: int,
                used: set[str]) -> None:
    _insert_identities(regions)
    groups: dict[tuple, list[_Region]] = defaultdict(list)
    for region in regions:
        groups[_structure(region)].append(region)
    for group in groups.values():
        if len(group) < 2:
            continue  # nothing repeats: it stays flat
        name = _block_name(graph, cls, group)
        identities = {e.id: _identity_block(graph, group, e.id) for e in group[0].body
                      if e.type == "block" and any(_is_identity(r, e.id) for r in group)}
        params, body_args, use_args, owners = _parameters(group)
        body = group[0].body
        for entry in body:
            entry.args = body_args[entry.id]
            if entry.args.get("block") is IDENTITY:
                entry.args["block"] = identities[entry.id]
        for args in use_args:
            for key, value in args.items():
                if value is IDENTITY:
                    args[key] = identities[owners[key]]
        output = group[0].local[group[0].output]
        graph.blocks[name] = Block(name, params, _ports(len(group[0].inputs)), body, output,
                                   f"{cls}, imported (used {len(group)} "
                                   "times)")
        for region, args in zip(group, use_args, strict=True):
            _replace(graph, names, region, name, args, level, used)


def _insert_identities(regions: list[_Region]) -> None:
    """Where a region lacks a one-input block use that a sibling has, and takes that use's input
    directly at the same places, put an identity use there (Bottleneck without ``downsample``)."""
    uses = {e.id: (region, e) for region in regions for e in region.body
            if e.type == "block" and len(e.sources) == 1}
    for region in regions:
        for local, (other, use) in uses.items():
            body = {e.id: e for e in region.body}
            if local in body:
                continue
            source = use.sources[0]
            if source not in body and source not in _ports(len(region.inputs)):
                continue
            places = [(e.id, i) for e in other.body for i, s in enumerate(e.sources) if s == local]
            if not places or not all(c in body and len(body[c].sources) > i and body[c].sources[i] == source
                                     for c, i in places):
                continue
            for consumer, index in places:
                body[consumer].sources[index] = local
            inserted = Entry(local, "block", {k: (IDENTITY if k == "block" else UNSET) for k in use.args},
                             [source])
            at = min(region.body.index(body[c]) for c, _ in places)
            region.body.insert(at, inserted)


def _same(a: Any, b: Any) -> bool:
    return a is b or (a is not UNSET and a is not IDENTITY and b is not UNSET and b is not IDENTITY
                      and json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True))


def _is_identity(region: _Region, local: str) -> bool:
    return any(e.id == local and e.args.get("block") is IDENTITY for e in region.body)


def _parameters(group: list[_Region]) -> tuple[dict[str, Any], dict[str, dict[str, Any]],
                                                list[dict[str, Any]], dict[str, str]]:
    """The block's parameters (name -> default), each body node's arguments (``$name`` where they
    differ between uses), each use's parameter values and the node each parameter was first
    made for."""
    bodies = [{e.id: e for e in region.body} for region in group]
    first = group[0].body
    params: dict[str, list[Any]] = {}  # name -> the value in each use
    owners: dict[str, str] = {}
    body_args: dict[str, dict[str, Any]] = {}
    for entry in first:
        args: dict[str, Any] = {}
        for key in entry.args:
            column = [body[entry.id].args[key] for body in bodies]
            known = [v for v in column if v is not UNSET]
            if known and all(_same(known[0], v) for v in known):
                args[key] = known[0]
                continue
            if not known:
                continue
            name = _merge(params, column)
            if name is None:
                name = _param_name(params, entry.id, key)
                params[name] = list(column)
            else:
                params[name] = [v if v is not UNSET else c for v, c in zip(params[name], column, strict=True)]
            owners.setdefault(name, entry.id)
            args[key] = f"${name}"
        body_args[entry.id] = args
    for name, column in params.items():
        fill = next((v for v in column if v is not UNSET), None)
        params[name] = [fill if v is UNSET else v for v in column]
    defaults = {name: column[0] for name, column in params.items()}
    use_args = [{name: column[i] for name, column in params.items()} for i in range(len(group))]
    return defaults, body_args, use_args, owners


def _merge(params: dict[str, list[Any]], column: list[Any]) -> str | None:
    """An existing parameter whose values agree with ``column`` in every use where both are known."""
    for name, values in params.items():
        if all(a is UNSET or b is UNSET or _same(a, b) for a, b in zip(values, column, strict=True)) \
                and any(a is not UNSET and b is not UNSET for a, b in zip(values, column, strict=True)):
            return name
    return None


def _param_name(params: dict[str, Any], local: str, key: str) -> str:
    taken = set(params) | {"block"}
    base = local if key == "block" else key
    return fresh_id(base if base not in taken else f"{local}_{key}", taken)


def _identity_block(graph: Graph, group: list[_Region], local: str) -> str:
    """The identity block standing in for the block use ``local`` (its parameters those of the
    blocks it stands beside, so that one use's arguments fit either)."""
    params: dict[str, Any] = {}
    for region in group:
        entry = next(e for e in region.body if e.id == local)
        block = entry.args.get("block")
        if isinstance(block, str) and block in graph.blocks and graph.blocks[block].entries:
            params.update(graph.blocks[block].params)
    for block in graph.blocks.values():
        if not block.entries and block.params == params:
            return block.name
    name = fresh_id("identity", set(graph.blocks))
    graph.blocks[name] = Block(name, params, ["x"], [], "x",
                               "Passes its input on (where a sibling block has a submodule here).")
    return name


def _block_name(graph: Graph, cls: str, group: list[_Region]) -> str:
    base = cls.rsplit(".", 1)[-1]
    if cls == SEQUENTIAL:  # named after where it sits (``downsample``) when all agree
        tails = {region.key.rsplit(".", 1)[-1] for region in group}
        base = tails.pop() if len(tails) == 1 and not next(iter(tails)).isdigit() else "sequential"
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", base).lower()
    return fresh_id(snake, set(graph.blocks) | {IDENTITY})


def _replace(graph: Graph, names: Names, region: _Region, block: str, args: dict[str, Any], level: int,
             used: set[str]) -> None:
    ids = [e.id for e in region.members]
    for entry_id in ids:
        used.discard(entry_id)
    use_id = fresh_id(region.key, used)
    graph.renamed[region.output] = use_id
    use = Entry(use_id, "block", {"block": block, **args}, [graph.current(s) for s in region.inputs],
                scopes=region.members[0].scopes[:level], module=region.key)
    entries: dict[str, Entry] = {}
    for entry_id, entry in graph.entries.items():
        if entry_id == ids[0]:
            entries[use_id] = use
        if entry_id not in region.local:
            entry.sources = [use_id if s == region.output else s for s in entry.sources]
            entries[entry_id] = entry
    graph.entries = entries
    graph.outputs = [(o, use_id if s == region.output else s) for o, s in graph.outputs]
    for parts in names.values():
        if parts[0] in region.local:
            parts[:1] = [use_id, region.local[parts[0]]]


def _repeat(graph: Graph, names: Names, used: set[str]) -> None:
    """Runs of equal uses of a block, one after the other, of a container's children ``C.1``,
    ``C.2``, ... (or ``C.name_1``, ``C.name_2``, ...) -> one repeated node ``C`` (else
    ``C_i_to_j``): the children keep their numbers.
    Child ``C.0`` is never in a run (a stage's first block, which changes the size, stays itself)."""
    consumers = Counter(s for e in graph.entries.values() for s in e.sources)
    consumers.update(s for _, s in graph.outputs)
    order = list(graph.entries.values())
    runs: list[list[Entry]] = []
    for entry in order:
        run = runs[-1] if runs else None
        if run is not None and _continues(run[-1], entry, consumers, graph):
            run.append(entry)
        else:
            runs.append([entry])
    for run in runs:
        start = _index(run[0])
        if start is not None and start[2] == 0:
            run = run[1:]  # a stage's first block stays itself (``layer1_0``), as in the templates
        if len(run) < 2:
            continue
        container, prefix, first = _index(run[0])  # type: ignore[misc]
        last = _index(run[-1])[2]  # type: ignore[index]
        for entry in run:
            used.discard(entry.id)
        repeat_id = fresh_id(container if first == 1 else f"{container}_{prefix}{first}_to_{last}", used)
        node = Entry(repeat_id, "block", dict(run[0].args), list(run[0].sources), scopes=run[0].scopes,
                     module=container, repeat=len(run))
        child = {entry.id: f"{repeat_id}_{index}" for index, entry in enumerate(run, start=1)}
        entries: dict[str, Entry] = {}
        for entry_id, entry in graph.entries.items():
            if entry_id == run[0].id:
                entries[repeat_id] = node
            if entry_id not in child:
                entry.sources = [repeat_id if s == run[-1].id else s for s in entry.sources]
                entries[entry_id] = entry
        graph.entries = entries
        graph.outputs = [(o, repeat_id if s == run[-1].id else s) for o, s in graph.outputs]
        for parts in names.values():
            if parts[0] in child:
                parts[:1] = [repeat_id, child[parts[0]]]


def _index(entry: Entry) -> tuple[str, str, int] | None:
    """(container, prefix, number) of a block use of child ``C.3`` or ``C.encoder_layer_3``."""
    if entry.type != "block" or entry.repeat != 1 or entry.module is None or "." not in entry.module:
        return None
    container, last = entry.module.rsplit(".", 1)
    match = re.fullmatch(r"(.*?)(\d+)", last)
    return (container, match[1], int(match[2])) if match else None


def _continues(previous: Entry, entry: Entry, consumers: Counter, graph: Graph) -> bool:
    a, b = _index(previous), _index(entry)
    if a is None or b is None or a[:2] != b[:2] or b[2] != a[2] + 1:
        return False
    block = graph.blocks.get(entry.args.get("block", ""))
    return (block is not None and len(block.inputs) == 1 and entry.sources == [previous.id]
            and consumers[previous.id] == 1 and _same(previous.args, entry.args))
