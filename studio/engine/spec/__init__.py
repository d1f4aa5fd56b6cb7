"""The model spec: format, graph model with change events, resolution, validation and shapes."""

from studio.engine.spec.analysis import Analysis, analyze, validate
from studio.engine.spec.build import Issue, NodeInfo
from studio.engine.spec.io import FORMAT, dumps, load_spec, loads, save_spec, spec_from_dict, spec_to_dict
from studio.engine.spec.model import BlockDef, Edge, Graph, ModelSpec, Node, Scope, SpecEvent

__all__ = [
    "FORMAT", "Analysis", "BlockDef", "Edge", "Graph", "Issue", "ModelSpec", "Node", "NodeInfo", "Scope",
    "SpecEvent", "analyze", "dumps", "load_spec", "loads", "save_spec", "spec_from_dict", "spec_to_dict",
    "validate",
]
