"""A traced graph -> a Studio spec (repeated submodules folded into blocks, see folding.py), and the
names its weights take.

The traced graph is run once on the sample batch to record every node's shape (and the values of
what is not a tensor: ``x.size(0)``, ``x.shape``), which the op rules read. Each fx node then becomes
one spec node named after it (``layer1_0_conv1``); the identity ops disappear (dropout with p 0
too); runs that are one layer merge (fusing.py: pooling + flatten, ViT's patchify). A parameter the
forward reads itself becomes the layer using it (parameters.py: layer scale, class token, position
embedding, named after the parameter), nn.MultiheadAttention as self-attention its layer
(attention.py). Leaf modules keep their parameter names, so
the original ``layer1.0.conv1.weight`` is the flat spec's ``layer1_0_conv1.weight`` and the folded
one's ``layer1_0.conv1.weight``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.fx
from torch import nn

from studio.engine.importing.aten import WeightLayer, is_aten_graph, map_aten
from studio.engine.importing.attention import attention_output, is_attention, map_attention
from studio.engine.importing.entries import Entry, Graph, build_spec, fresh_id
from studio.engine.importing.errors import ModelImportError, Unmappable
from studio.engine.importing.folding import fold
from studio.engine.importing.fusing import fuse
from studio.engine.importing.leaves import RULES as LEAF_RULES
from studio.engine.importing.leaves import map_module, type_name
from studio.engine.importing.ops import Alias, map_op, op_name
from studio.engine.importing.parameters import check_reads, map_parameter_use, parameter_read
from studio.engine.spec.model import ModelSpec


@dataclass(frozen=True)
class TensorShape:
    """What the trace run keeps of a tensor: its shape (batch first)."""

    shape: tuple[int, ...]


@dataclass
class Converted:
    spec: ModelSpec
    names: dict[str, str]  # the original model's state_dict name -> the spec's


class _Recorder(torch.fx.Interpreter):
    """Runs the traced graph, keeping each node's shape (tensors) or value (everything else)."""

    def __init__(self, module: torch.fx.GraphModule) -> None:
        super().__init__(module)
        self.record: dict[torch.fx.Node, Any] = {}
        self.current: torch.fx.Node | None = None

    def run_node(self, n: torch.fx.Node) -> Any:
        self.current = n
        result = super().run_node(n)
        self.record[n] = TensorShape(tuple(result.shape)) if isinstance(result, torch.Tensor) else result
        return result


class _Values:
    def __init__(self, record: dict[torch.fx.Node, Any]) -> None:
        self.record = record

    def value(self, arg: Any) -> Any:
        return self.record.get(arg) if isinstance(arg, torch.fx.Node) else arg

    def is_tensor(self, arg: Any) -> bool:
        return isinstance(self.value(arg), TensorShape)

    def shape(self, node: Any) -> tuple[int, ...]:
        value = self.value(node)
        assert isinstance(value, TensorShape)
        return value.shape


def record_shapes(traced: torch.fx.GraphModule, batch: torch.Tensor) -> dict[torch.fx.Node, Any]:
    """Every node's shape or value on ``batch``; ModelImportError naming the node that failed."""
    recorder = _Recorder(traced)
    try:
        with torch.no_grad():
            recorder.run(batch)
    except Exception as exc:
        node = recorder.current
        where = f" at {_where(node)}" if node is not None else ""
        message = str(exc).strip().splitlines()
        raise ModelImportError(
            f"running the model on a batch of shape {list(batch.shape)} failed{where}: "
            f"{type(exc).__name__}: {message[0][:300] if message else ''} (give the input shape the "
            "model takes)") from None
    return recorder.record


def convert(traced: torch.fx.GraphModule, model: nn.Module, input_shape: tuple[int, ...], name: str,
            record: dict[torch.fx.Node, Any], *, flat: bool = False) -> Converted:
    """The spec of ``traced``, its repeated submodules folded into blocks unless ``flat``;
    ModelImportError names the first module or op with no layer."""
    values = _Values(record)
    live = _live(traced.graph)
    entries: dict[str, Entry] = {}
    produced: dict[torch.fx.Node, str] = {}  # fx node -> the spec node giving its value
    names: dict[str, list[str]] = {}  # original name -> the spec name's parts
    owners: dict[str, str] = {}  # module path -> the node that owns its weights (shared after)
    outputs: list[tuple[str, torch.fx.Node]] = []
    used: set[str] = set()
    exported = is_aten_graph(traced)  # a torch.export program's graph: ATen ops, weights as get_attr
    kinds: dict[str, str] = {}  # module key (its path, ``@1`` on a second call) -> its class
    state_names = list(model.state_dict()) if exported else []
    attention: set[torch.fx.Node] = set()  # nn.MultiheadAttention calls (their [0] is the output)
    for node in traced.graph.nodes:
        if node not in live:
            continue
        if node.op == "output":
            result_value = node.args[0]
            if exported and isinstance(result_value, list | tuple) and len(result_value) == 1:
                result_value = result_value[0]  # (an exported program returns a flat tuple)
            outputs = _outputs(result_value, values)
            continue
        if exported and node.op == "get_attr":
            continue  # a module's weight, read by the op that uses it
        if not values.is_tensor(node) and node.op != "call_module":
            continue  # sizes, shapes, flags: read by the rules of the ops that use them
        if node.op == "placeholder":
            if any(e.type == "input" for e in entries.values()):
                raise ModelImportError("the model takes more than one tensor input; Studio imports "
                                       "models with one image input")
            node_id = fresh_id(node.name, used)
            entries[node_id] = Entry(node_id, "input", {"shape": list(input_shape)}, [])
            produced[node] = node_id
            continue
        parameter, result = None, None
        try:
            if node.op == "get_attr" or parameter_read(node, model) is not None:
                check_reads(node, live, values, model)  # (the layer using it carries it)
                continue
            if node.op == "call_module":
                module = model.get_submodule(str(node.target))
                if isinstance(module, nn.MultiheadAttention) and is_attention(module):
                    (layer, args), source = map_attention(node, module, values)
                    attention.add(node)
                else:
                    source = _first_tensor(node, values)
                    layer, args = map_module(module, len(values.shape(source)))
                    if layer in ("dropout", "dropout2d") and args["p"] == 0 and source in produced:
                        # (the identity in training too)
                        produced[node] = produced[source]
                        continue
                sources = [source]
            elif (call := attention_output(node, attention)) is not None:
                produced[node] = produced[call]
                continue
            elif (parameter := map_parameter_use(node, values, model)) is not None:
                layer, args, sources = parameter.type, parameter.args, [parameter.source]
            else:
                result = map_aten(node, values) if exported else map_op(node, values)
                if isinstance(result, Alias):
                    produced[node] = produced[result.source]
                    continue
                layer, args, sources = result.type, result.args, result.inputs
            if any(s not in produced for s in sources):
                raise Unmappable("it reads a tensor directly (Studio's layers own their weights)")
        except Unmappable as exc:
            what = node.args[0] if node.op == "call_function" and node.args and node.args[0] in attention \
                else node  # (its [1]: named after the attention module)
            raise ModelImportError(f"cannot map {_what(what, model)}: {exc}") from None
        owner = result.owner if isinstance(result, WeightLayer) else None
        node_id = fresh_id(parameter.parameter if parameter else owner or node.name, used)
        keys = _module_keys(node, kinds)
        leaf = node.op == "call_module" or (exported and bool(keys) and kinds[keys[-1]] in LEAF_TYPES)
        entry = Entry(node_id, layer, args, [produced[s] for s in sources],
                      scopes=keys[:-1] if leaf else keys,  # (a parameter's layer is named after it)
                      module=keys[-1] if leaf and keys else parameter.parameter if parameter else None)
        if parameter is not None:  # the layer owns the parameter, under its own name
            if parameter.parameter in owners:
                entry.share = owners[parameter.parameter]
            else:
                owners[parameter.parameter] = node_id
                names[parameter.parameter] = [node_id, parameter.name]
        if owner is not None:
            if owner in owners:
                entry.share = owners[owner]
            else:
                owners[owner] = node_id
                names.update({name: [node_id, name[len(owner) + 1:]] for name in state_names
                              if name.startswith(owner + ".") and "." not in name[len(owner) + 1:]})
        if node.op == "call_module":
            path = str(node.target)
            state = model.get_submodule(path).state_dict()
            if path in owners and state:
                entry.share = owners[path]
            elif state:
                owners[path] = node_id
                names.update({f"{path}.{key}": [node_id, key] for key in state})
        entries[node_id] = entry
        produced[node] = node_id
    output_sources = [produced[node] for _, node in outputs]
    fuse(entries, output_sources, names)
    graph = Graph(entries, [(fresh_id(out_name, used), source_id)
                            for (out_name, _), source_id in zip(outputs, output_sources, strict=True)])
    if not flat:
        fold(graph, names, kinds, used)
    return Converted(build_spec(name, graph), {k: ".".join(v) for k, v in names.items()})


LEAF_TYPES = {f"{t.__module__}.{t.__qualname__}" for t in LEAF_RULES}


def _module_keys(node: torch.fx.Node, kinds: dict[str, str]) -> tuple[str, ...]:
    """The keys of the modules around ``node``, outermost first: each one's path, with ``@1`` for
    its second call (torch.fx's and torch.export's stacks alike); their classes go in ``kinds``."""
    keys = []
    for key, (path, kind) in (node.meta.get("nn_module_stack") or {}).items():
        call = key.rsplit("@", 1)[1] if "@" in key else ""
        scope = f"{path}@{call}" if call.isdigit() else path
        kinds[scope] = kind if isinstance(kind, str) else f"{kind.__module__}.{kind.__qualname__}"
        keys.append(scope)
    return tuple(keys)


def _live(graph: torch.fx.Graph) -> set[torch.fx.Node]:
    """The nodes the output depends on (a traced forward may compute what it never uses)."""
    live: set[torch.fx.Node] = set()
    todo = [n for n in graph.nodes if n.op == "output"]
    while todo:
        node = todo.pop()
        if node in live:
            continue
        live.add(node)
        todo.extend(node.all_input_nodes)
    return live


def _outputs(value: Any, values: _Values) -> list[tuple[str, torch.fx.Node]]:
    if isinstance(value, torch.fx.Node) and values.is_tensor(value):
        return [("output", value)]
    if isinstance(value, list | tuple) and value:
        items = [(f"output_{i}", v) for i, v in enumerate(value)]
    elif isinstance(value, dict) and value:
        items = [(str(k), v) for k, v in value.items()]
    else:
        items = []
    if not items or not all(isinstance(v, torch.fx.Node) and values.is_tensor(v) for _, v in items):
        raise ModelImportError("the model's forward returns something other than tensors (a tensor, a "
                               "tuple or a dict of them)")
    return items


def _first_tensor(node: torch.fx.Node, values: _Values) -> torch.fx.Node:
    tensors = [a for a in [*node.args, *node.kwargs.values()] if values.is_tensor(a)]
    if len(tensors) != 1:
        raise Unmappable(f"it is called with {len(tensors)} tensors (Studio's layer takes one)")
    assert isinstance(tensors[0], torch.fx.Node)
    return tensors[0]


def _where(node: torch.fx.Node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    if stack:
        path, kind = list(stack.values())[-1]
        type_text = getattr(kind, "__name__", str(kind).rsplit(".", 1)[-1].strip("'>"))
        return f"node '{node.name}' in module '{path}' ({type_text})"
    return f"node '{node.name}'"


def _what(node: torch.fx.Node, model: nn.Module) -> str:
    if node.op == "call_module":
        return f"module '{node.target}' ({type_name(model.get_submodule(str(node.target)))})"
    if node.op == "get_attr":
        return f"{_where(node)}"
    if isinstance(node.target, torch._ops.OpOverload):
        return f"{node.target} ({_where(node)})"
    return f"{op_name(node)} ({_where(node)})"
