"""Walks a spec once: resolves arguments, checks ports, infers shapes and builds modules.

The same walk serves validation (on the ``meta`` device, collecting located issues and continuing
past them) and compilation (on a real device, failing on the first issue). Sharing one walk keeps
what the canvas shows and what the trainer runs from ever disagreeing.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from studio.engine.errors import ShapeError, SpecError
from studio.engine.graph_module import GraphModule, Step
from studio.engine.layers.common import ACTIVATIONS, activation_function
from studio.engine.layers.registry import LayerType, Shape, get_layer
from studio.engine.spec.model import BlockDef, Graph, ModelSpec, Node
from studio.engine.spec.resolve import (
    DATA,
    EXPLICIT,
    ResolvedArg,
    ScopeRef,
    labelled_scopes,
    resolve_block_args,
    resolve_layer_args,
    substitute,
)

MAX_INSTANCES = 1000  # layers one repeat/stack node may stand for (more would freeze the analysis)


class ArgError(SpecError):
    """A problem with one argument of a node (``arg`` names it, so the inspector can point at it)."""

    def __init__(self, message: str, arg: str) -> None:
        super().__init__(message)
        self.arg = arg


@dataclass(frozen=True)
class Fix:
    """One edit that solves an issue: set argument ``arg`` of model node ``node`` to ``value``;
    ``label`` is the button's text ("Set fc1 to 3 outputs")."""

    node: str
    arg: str
    value: Any
    label: str


@dataclass
class Issue:
    """A located problem: which node (None for the whole model), which argument, what is wrong;
    ``about`` is "model", or "data" when the model does not fit the data (the message names the node);
    ``fix`` an edit that solves it, when there is one."""

    node: str | None
    message: str
    arg: str | None = None
    block: str | None = None
    severity: str = "error"
    about: str = "model"
    fix: Fix | None = None

    def __str__(self) -> str:
        where = ".".join(part for part in (self.block, self.node) if part) or "model"
        if self.arg:
            where += f" ({self.arg})"
        text = f"{where}: {self.message}"  # one line: what a file said (a type, an argument) escaped
        return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"node": self.node, "arg": self.arg, "block": self.block,
                                "severity": self.severity, "message": self.message}
        if self.fix is not None:
            data["fix"] = {"node": self.fix.node, "arg": self.fix.arg, "value": self.fix.value,
                           "label": self.fix.label}
        return data


@dataclass
class NodeInfo:
    """What analysis knows of one node: resolved arguments, shapes and cost."""

    id: str
    type: str
    args: dict[str, ResolvedArg] = field(default_factory=dict)
    ports: list[str] = field(default_factory=list)
    input_shapes: dict[str, Shape] = field(default_factory=dict)
    output_shape: Shape | None = None
    params: int = 0
    macs: int = 0

    @property
    def values(self) -> dict[str, Any]:
        return {name: arg.value for name, arg in self.args.items()}


@dataclass
class BuiltGraph:
    """The result of walking one graph: its module (None if it had errors) and what was learned."""

    module: GraphModule | None
    infos: dict[str, NodeInfo]
    issues: list[Issue]
    order: list[str]


@dataclass(frozen=True)
class _Context:
    scopes: list[ScopeRef]
    bindings: dict[str, Any]
    block: BlockDef | None
    stack: tuple[str, ...]
    path: tuple[str, ...] = ()  # ids of the block uses leading here (where a module sits in the model)


# Analysis reuses the meta-device module of a layer whose place, arguments and input shapes did not
# change since an earlier analysis: after a canvas edit only the layers it affects are built again.
_ANALYSIS_MODULES: OrderedDict[tuple, nn.Module] = OrderedDict()
_ANALYSIS_LIMIT = 20_000


class SpecWalker:
    """Build (``collect=False``: raise on the first issue) or analyse (``collect=True``) a spec.

    ``data`` (a :class:`studio.engine.data.facts.DataFacts`) gives a model input without a shape
    the data's; without it such an input is an issue."""

    def __init__(self, spec: ModelSpec, device: str | torch.device = "meta", collect: bool = True,
                 data: Any = None):
        self.spec = spec
        self.device = torch.device(device)
        self.collect = collect
        self.data = data

    # ---- entry point ----------------------------------------------------------------------------
    def walk(self, input_shapes: dict[str, Shape] | None = None) -> BuiltGraph:
        context = _Context(labelled_scopes(self.spec.graph.defaults, "model"), {}, None, ())
        with torch.device(self.device):
            result = self._graph(self.spec.graph, context, input_shapes)
        if not self.spec.output_nodes():
            self._report(result.issues, Issue(None, "the model has no output node: add one after the "
                                                    "last layer"))
            result.module = None
        if not self.spec.input_nodes():
            self._report(result.issues, Issue(None, "the model has no input node"))
            result.module = None
        return result

    def _report(self, issues: list[Issue], issue: Issue) -> None:
        if not self.collect:
            raise SpecError(str(issue))
        issues.append(issue)

    # ---- one graph ------------------------------------------------------------------------------
    def _graph(self, graph: Graph, context: _Context, input_shapes: dict[str, Shape] | None) -> BuiltGraph:
        issues: list[Issue] = []
        block_name = context.block.name if context.block else None

        def report(node: str | None, message: str, arg: str | None = None) -> None:
            self._report(issues, Issue(node, message, arg, block_name))

        for edge in graph.edges:
            for end in (edge.src, edge.dst):
                if end not in graph.nodes:
                    report(None, f"a connection refers to a missing node '{end}'")
        order = self._topological_order(graph, report)
        infos: dict[str, NodeInfo] = {}
        shapes: dict[str, Shape | None] = {}
        modules: dict[str, nn.Module] = {}
        steps: list[Step] = []
        outputs: dict[str, str] = {}
        regularizers: list[tuple[str, float, float]] = []
        failed = bool(issues)
        for node_id in order:
            node = graph.nodes[node_id]
            info = NodeInfo(node.id, node.type)
            infos[node_id] = info
            try:
                result = self._node(node, graph, context, shapes, info, input_shapes)
            except (ShapeError, SpecError) as exc:
                report(node_id, str(exc), getattr(exc, "arg", None))
                result = None
            except (ValueError, TypeError, RuntimeError) as exc:  # torch refusing arguments
                report(node_id, f"cannot build this layer: {exc}")
                result = None
            if result is None:
                shapes[node_id] = None
                failed = True
                continue
            module, post, regs = result
            shapes[node_id] = info.output_shape
            if node.type == "input":
                continue
            sources = [graph.inputs_of(node_id)[port] for port in info.ports]
            if node.type == "output":
                outputs[node_id] = sources[0]
                continue
            if node.share:
                steps.append(Step(node_id, node.share, sources, post))
                continue
            modules[node_id] = module
            steps.append(Step(node_id, node_id, sources, post))
            regularizers.extend((f"{node_id}.{name}", l1, l2) for name, l1, l2 in regs)
        module = None
        if not failed:
            input_ids = [n.id for n in graph.nodes.values() if n.type == "input"]
            module = GraphModule(modules, steps, input_ids, outputs)
            module.regularizers = regularizers
        return BuiltGraph(module, infos, issues, order)

    def _topological_order(self, graph: Graph, report) -> list[str]:
        ids = list(graph.nodes)
        incoming = {node_id: 0 for node_id in ids}
        for edge in graph.edges:
            if edge.src in incoming and edge.dst in incoming:
                incoming[edge.dst] += 1
        ready = [node_id for node_id in ids if incoming[node_id] == 0]
        order: list[str] = []
        while ready:
            node_id = ready.pop(0)
            order.append(node_id)
            released = []
            for edge in graph.edges:
                if edge.src == node_id and edge.dst in incoming:
                    incoming[edge.dst] -= 1
                    if incoming[edge.dst] == 0:
                        released.append(edge.dst)
            ready.extend(released)
            ready.sort(key=ids.index)
        for node_id in ids:
            if node_id not in order:
                report(node_id, "this node is part of a cycle: remove one of the connections in the loop")
        return order

    # ---- one node -------------------------------------------------------------------------------
    def _node(self, node: Node, graph: Graph, context: _Context, shapes: dict[str, Shape | None],
              info: NodeInfo, input_shapes: dict[str, Shape] | None):
        layer = get_layer(node.type)
        if layer is None:
            raise SpecError(f"unknown layer type '{node.type}'")
        block = self._block_of(node, context) if node.type == "block" else None
        info.args = self._resolve(layer, block, node, context)
        values = info.values
        ports = block.input_ids if block else layer.ports(values)
        info.ports = list(ports)
        self._check_ports(node, graph, ports)
        for port in ports:
            source_shape = shapes.get(graph.inputs_of(node.id)[port])
            if source_shape is None:
                return None  # an upstream problem, already reported
            info.input_shapes[port] = source_shape
        if node.type == "input":
            if context.block is not None:
                info.output_shape = (input_shapes or {}).get(node.id)
                return None if info.output_shape is None else (None, None, [])
            override = (input_shapes or {}).get(node.id)
            if override:
                info.output_shape = tuple(override)
                return None, None, []
            if values.get("shape") is None:  # explicit shape > the data's > an issue
                if self.data is None or self.data.shape is None:
                    raise ArgError(_no_shape(self.data), "shape")
                info.args["shape"] = ResolvedArg(list(self.data.shape), DATA, "data")
            info.output_shape = layer.shape(info.values, {})
            return None, None, []
        if layer.build is None:  # output node: passes its input through
            info.output_shape = tuple(layer.shape(values, info.input_shapes))
            return None, None, []
        if node.share:
            return self._shared(node, node.share, graph, info, shapes)
        module, post, regs = self._instances(layer, block, node, info, context)
        info.params = sum(p.numel() for p in module.parameters()) if module is not None else 0
        return module, post, regs

    def _block_of(self, node: Node, context: _Context) -> BlockDef:
        try:  # a block may take the block it uses as a parameter ("block": "$downsample")
            name = substitute(node.args.get("block"), context.bindings)
        except KeyError as exc:
            raise SpecError(f"refers to block parameter ${exc.args[0]}, which is not defined") from None
        if not isinstance(name, str) or name not in self.spec.blocks:
            raise SpecError(f"unknown block '{name}'")
        if name in context.stack:
            raise SpecError(f"block '{name}' contains itself")
        return self.spec.blocks[name]

    def _resolve(self, layer: LayerType, block: BlockDef | None, node: Node,
                 context: _Context) -> dict[str, ResolvedArg]:
        try:
            if block is not None:
                resolved = resolve_block_args(block, node, context.bindings)
                known = set(resolved)
            else:
                resolved = resolve_layer_args(layer, node.args, context.scopes, context.bindings)
                known = {param.name for param in layer.params}
        except KeyError as exc:
            raise SpecError(f"refers to block parameter ${exc.args[0]}, which is not defined") from None
        for name in node.args:
            if name not in known:
                raise ArgError(f"'{node.type}' has no argument '{name}'", name)
        if block is None:
            for param in layer.params:
                message = param.check(resolved[param.name].value)
                if message:
                    raise ArgError(message, param.name)
        return resolved

    def _check_ports(self, node: Node, graph: Graph, ports: list[str]) -> None:
        connected: dict[str, int] = {}
        for edge in graph.edges:
            if edge.dst == node.id:
                if edge.port not in ports:
                    raise SpecError(f"has no input port '{edge.port}' (ports: {', '.join(ports) or 'none'})")
                connected[edge.port] = connected.get(edge.port, 0) + 1
        for port in ports:
            count = connected.get(port, 0)
            if count == 0:
                raise SpecError(f"input '{port}' is not connected")
            if count > 1:
                raise SpecError(f"input '{port}' has {count} connections; a port takes one")
        if node.type == "output" and graph.consumers_of(node.id):
            raise SpecError("an output node cannot feed other layers")

    def _shared(self, node: Node, share: str, graph: Graph, info: NodeInfo,
                shapes: dict[str, Shape | None]):
        owner = graph.nodes.get(share)
        if owner is None or owner.type != node.type:
            raise SpecError(f"cannot share weights with '{share}': it must be a node of the same type")
        if shapes.get(owner.id) is None:
            raise SpecError(f"cannot share weights with '{share}': it must come earlier in the graph")
        owner_inputs = {port: shapes.get(src) for port, src in graph.inputs_of(owner.id).items()}
        if owner_inputs != info.input_shapes:  # the shared module only fits what its owner gets
            raise ShapeError(f"cannot share weights with '{share}': it takes "
                             f"{_shapes_text(owner_inputs)} but this node gets "
                             f"{_shapes_text(info.input_shapes)}")
        info.output_shape = shapes[owner.id]
        return None, activation_function(info.values.get("activation", "none")), []

    def _instances(self, layer: LayerType, block: BlockDef | None, node: Node, info: NodeInfo,
                   context: _Context):
        """Build the node's module: one layer, or a numbered sequence for repeat/stack."""
        base = info.values
        if node.stack is None and node.repeat == 1:
            module, shape, macs, regs = self._single(layer, block, base, info.input_shapes, context, node.id)
            info.output_shape, info.macs = shape, macs
            return module, activation_function(base.get("activation", "none")), regs
        if not layer.repeatable:
            raise SpecError(f"'{node.type}' cannot be repeated or stacked (it needs one input)")
        if node.instance_count > MAX_INSTANCES:
            raise SpecError(f"repeat or stack makes {node.instance_count:,} layers: at most "
                            f"{MAX_INSTANCES:,} per node")
        if node.stack is not None:
            if not node.stack:
                raise SpecError("a stack needs at least one argument set")
            arg_sets = [self._stack_args(layer, block, base, item, context) for item in node.stack]
        else:
            if node.repeat < 1:
                raise SpecError("repeat must be at least 1")
            arg_sets = [base] * node.repeat
        children: OrderedDict[str, nn.Module] = OrderedDict()
        regs = []
        shapes = dict(info.input_shapes)
        info.macs = 0
        for index, values in enumerate(arg_sets, start=1):
            name = f"{node.id}_{index}"
            module, shape, macs, child_regs = self._single(layer, block, values, shapes, context, name)
            children[name] = module
            regs.extend((f"{name}.{param}", l1, l2) for param, l1, l2 in child_regs)
            activation = values.get("activation", "none")
            if activation != "none":
                children[f"{name}_{activation}"] = ACTIVATIONS[activation].module()
            shapes = {"x": shape}
            info.macs += macs
        info.output_shape = shapes["x"]
        return nn.Sequential(children), None, regs

    def _stack_args(self, layer, block, base, item, context) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise SpecError("each stack entry must be a set of arguments")
        values = dict(base)
        for name, value in item.items():
            if block is None and layer.param(name) is None:
                raise SpecError(f"stack entry sets unknown argument '{name}'")
            values[name] = value
            if block is None:
                message = layer.param(name).check(value)
                if message:
                    raise SpecError(f"stack entry: {message}")
        return values

    def _single(self, layer: LayerType, block: BlockDef | None, values: dict[str, Any],
                input_shapes: dict[str, Shape], context: _Context, name: str):
        """One layer instance -> (module, output shape, multiply-adds, regularizers)."""
        if block is not None:
            child_context = _Context(
                context.scopes + labelled_scopes(block.graph.defaults, f"block {block.name}"),
                {k: v for k, v in values.items() if k != "block"}, block, context.stack + (block.name,),
                context.path + (name,))
            if len(input_shapes) != len(block.input_ids):
                raise SpecError(f"block '{block.name}' takes {len(block.input_ids)} inputs")
            shapes = dict(zip(block.input_ids, input_shapes.values(), strict=True))
            inner = self._graph(block.graph, child_context, shapes)
            if inner.issues:
                first = inner.issues[0]
                raise SpecError(f"in block '{block.name}', {first}")
            graph_module = inner.module
            assert graph_module is not None  # a graph without issues has its module
            graph_module.block_name, graph_module.block_args = block.name, child_context.bindings
            outputs = list(graph_module.outputs.values())
            if len(outputs) != 1:
                raise SpecError(f"block '{block.name}' must have exactly one output node")
            out_shape = inner.infos[outputs[0]].output_shape
            macs = sum(item.macs for item in inner.infos.values())
            return graph_module, out_shape, macs, graph_module.regularizers
        out_shape = tuple(layer.shape(values, input_shapes))
        module = self._build(layer, values, input_shapes, context.path + (name,))
        macs = int(layer.macs(values, input_shapes, out_shape))
        regs = []
        l1, l2 = float(values.get("l1", 0.0)), float(values.get("l2", 0.0))
        if l1 or l2:
            regs = [(param, l1, l2) for param, tensor in module.named_parameters()
                    if param.endswith("weight") and tensor.dim() > 1]
        return module, out_shape, macs, regs


    def _build(self, layer: LayerType, values: dict[str, Any], input_shapes: dict[str, Shape],
               place: tuple[str, ...]) -> nn.Module:
        """The layer's module; analysis (meta device) reuses one built before for the same place,
        arguments and input shapes (never handed out: compiled models always get fresh modules)."""
        build = layer.build
        assert build is not None  # nodes without a module (input, output) are never built
        if not (self.collect and self.device.type == "meta"):
            return build(values, input_shapes)
        key = (place, layer.name, repr(sorted(values.items())), tuple(input_shapes.items()))
        module = _ANALYSIS_MODULES.get(key)
        if module is None:
            module = _ANALYSIS_MODULES[key] = build(values, input_shapes)
            if len(_ANALYSIS_MODULES) > _ANALYSIS_LIMIT:
                _ANALYSIS_MODULES.popitem(last=False)
        else:
            _ANALYSIS_MODULES.move_to_end(key)
        return module


def _no_shape(data: Any) -> str:
    from studio.engine.layers.basic import NO_INPUT_SHAPE

    if data is not None and data.problem:
        return (f"no shape yet: the data folder cannot be used ({data.problem}); fix it on the Training "
                "tab's Data page, or set a shape, e.g. 1, 28, 28")
    if data is not None:
        return ("no shape yet: none of the data's images could be opened to learn it; set a shape, "
                "e.g. 1, 28, 28")
    return NO_INPUT_SHAPE


def _shapes_text(shapes: Mapping[str, Shape | None]) -> str:
    return ", ".join(f"{port} {list(shape) if shape is not None else '?'}" for port, shape in shapes.items())


def explicit_args(info: NodeInfo) -> dict[str, Any]:
    """Only the explicitly set arguments of an analysed node."""
    return {name: arg.value for name, arg in info.args.items() if arg.source == EXPLICIT}
