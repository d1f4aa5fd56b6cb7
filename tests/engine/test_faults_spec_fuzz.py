"""Fuzzing the spec loader and the analysis: whatever a spec file holds, only StudioError escapes.

Documents start from real templates and a spec using every feature (defaults, repeat, stack, share,
blocks with parameters); mutations replace, delete or duplicate parts, or corrupt the JSON text.
"""

from __future__ import annotations

import copy
import json
import os
import re

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.engine.codegen import check_source, generate_source
from studio.engine.compiler import compile_spec
from studio.engine.errors import StudioError
from studio.engine.spec.analysis import analyze
from studio.engine.spec.io import dumps, loads, spec_from_dict, spec_to_dict
from studio.engine.templates import create_template
from tests.engine.faults import JSON_VALUES, pick_location
from tests.engine.test_hostile_specs import PLACES, document, outcome

FEATURES = {
    "format": "studio.model/1", "name": "features",
    "defaults": [{"layers": ["conv2d"], "args": {"activation": "relu", "padding": "same"}}],
    "nodes": [
        {"id": "image", "type": "input", "args": {"shape": [1, 16, 16]}, "pos": [0, 0]},
        {"id": "conv1", "type": "conv2d", "args": {"out_channels": 8}, "pos": [0, 100]},
        {"id": "conv2", "type": "conv2d", "args": {"out_channels": 8}, "pos": [0, 150]},
        {"id": "tower", "type": "conv2d", "args": {"kernel_size": 3},
         "stack": [{"out_channels": 8}, {"out_channels": 8, "kernel_size": 1}], "pos": [0, 200]},
        {"id": "twin", "type": "conv2d", "args": {"out_channels": 8}, "share": "conv2", "pos": [100, 200]},
        {"id": "res", "type": "block", "args": {"block": "residual", "channels": 8}, "repeat": 2,
         "pos": [0, 300]},
        {"id": "sum", "type": "add", "args": {}, "pos": [0, 400]},
        {"id": "gap", "type": "global_avg_pool", "args": {}, "pos": [0, 500]},
        {"id": "fc", "type": "fully_connected", "args": {"out_features": 4}, "pos": [0, 600]},
        {"id": "logits", "type": "output", "args": {}, "pos": [0, 700]},
    ],
    "edges": [
        {"src": "image", "dst": "conv1", "port": "x"}, {"src": "conv1", "dst": "conv2", "port": "x"},
        {"src": "conv2", "dst": "tower", "port": "x"},
        {"src": "tower", "dst": "twin", "port": "x"}, {"src": "twin", "dst": "res", "port": "x"},
        {"src": "res", "dst": "sum", "port": "x0"}, {"src": "tower", "dst": "sum", "port": "x1"},
        {"src": "sum", "dst": "gap", "port": "x"}, {"src": "gap", "dst": "fc", "port": "x"},
        {"src": "fc", "dst": "logits", "port": "x"},
    ],
    "blocks": {"residual": {
        "params": {"channels": 8},
        "defaults": [],
        "nodes": [
            {"id": "x", "type": "input", "args": {}, "pos": [0, 0]},
            {"id": "conv", "type": "conv2d", "args": {"out_channels": "$channels"}, "pos": [0, 100]},
            {"id": "add", "type": "add", "args": {}, "pos": [0, 200]},
            {"id": "out", "type": "output", "args": {}, "pos": [0, 300]},
        ],
        "edges": [{"src": "x", "dst": "conv", "port": "x"}, {"src": "conv", "dst": "add", "port": "x0"},
                  {"src": "x", "dst": "add", "port": "x1"}, {"src": "add", "dst": "out", "port": "x"}],
    }},
}

TEMPLATES = (("small_cnn", None), ("mlp", None), ("resnet18", (3, 32, 32)), ("xception", (3, 71, 71)))
SEEDS = [FEATURES] + [spec_to_dict(create_template(name, num_classes=5, input_shape=shape))
                      for name, shape in TEMPLATES]

EDGE_VALUES = st.sampled_from([0, -1, 2, 10**9, 10**30, 0.5, float("nan"), float("inf"), "", "$channels",
                               "$nope", "same", [], {}, [0], [-1, 3, 3], [10**9, 10**9], None, True, "input",
                               "output", "block", "conv2d", "add", "image", "conv1", "residual"])


@st.composite
def mutated_documents(draw):
    doc = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        parent, key = pick_location(doc, draw)
        action = draw(st.sampled_from(["replace", "edge value", "delete", "duplicate"]))
        if action == "replace":
            parent[key] = draw(JSON_VALUES)
        elif action == "edge value":
            parent[key] = copy.deepcopy(draw(EDGE_VALUES))
        elif action == "delete":
            del parent[key]
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
    return doc


@st.composite
def corrupted_texts(draw):
    text = json.dumps(draw(mutated_documents()))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 3))
        text = text[:at] + draw(st.sampled_from(["", "{", "[", "]", "}", '"', ",", "1e999", "\\u0000", "null",
                                                 "[" * 2000])) + text[at + cut:]
    return text


def load_analyze_save(load, source) -> None:
    """The path a spec takes when opened: parse, analyse (the canvas), save again (autosave), and the
    code view's source when the model compiles (it must pass the generated-code guard)."""
    try:
        spec = load(source)
        ok = analyze(spec).ok
        loads(dumps(spec))
    except StudioError:
        return  # a clear message for the user: allowed
    if ok:
        check_source(generate_source(spec))


EXAMPLES = int(os.environ.get("STUDIO_FUZZ_EXAMPLES", "500"))  # benchmarks/faults.py runs more
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(mutated_documents())
def test_mutated_documents_raise_only_studio_errors(doc):
    load_analyze_save(spec_from_dict, doc)


@FUZZ
@given(corrupted_texts())
def test_corrupted_spec_text_raises_only_studio_errors(text):
    load_analyze_save(loads, text)


@settings(max_examples=max(20, EXAMPLES // 5), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PLACES), st.text(max_size=30) | st.sampled_from(["", "x", "_", "a_1"]))
def test_any_text_in_any_place_is_refused_in_one_line_or_generates_equivalent_code(place, text):
    """Random text (any code point) where a spec holds a name or a text (tests/engine/test_hostile_specs.py
    has the crafted cases): refused with a one-line message, or source that passes the guard, is
    printable ASCII and computes what the compiled model does."""
    kind, value = outcome(document({place: text}))
    if kind != "source":
        assert "\n" not in str(value) and "\r" not in str(value)
        return
    spec, source = value
    assert all(char == "\n" or " " <= char <= "~" for char in source)
    check_source(source)
    namespace: dict = {"__name__": "fuzzed"}
    exec(compile(source, "fuzzed_net.py", "exec"), namespace)  # passed the guard: only our statements
    torch.manual_seed(0)
    compiled = compile_spec(spec, device="cpu").eval()
    net = namespace["Net"]().eval()
    net.load_state_dict(compiled.state_dict(), strict=True)
    inputs = torch.randn(2, 1, 6, 6)
    with torch.no_grad():
        assert torch.equal(net(inputs), compiled(inputs))


def test_the_seeds_are_valid_models():
    """The fuzzer mutates working specs (so mutations reach the analysis, not just the parser)."""
    for doc in SEEDS:
        assert analyze(spec_from_dict(doc)).ok, doc["name"]


def nested(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(("message", "doc"), [
    ("'meta' must be a JSON object", {**FEATURES, "meta": None}),
    ("'nodes' must be a list", {**FEATURES, "nodes": 3}),
    ("['image'] is not a valid node id (the source of a connection): it must be text, not a list",
     {**FEATURES, "edges": [{"src": ["image"], "dst": "conv1"}]}),
    ("node 'a' needs a layer 'type' (text), not {}", {**FEATURES, "nodes": [{"id": "a", "type": {}}]}),
    ("nested more than 64 levels", {**FEATURES, "name": nested(70)}),
])
def test_malformed_documents_found_by_fuzzing_are_refused_clearly(message, doc):
    """Regressions: each of these escaped as a TypeError, AttributeError or RecursionError."""
    with pytest.raises(StudioError, match=re.escape(message)):
        spec_from_dict(doc)


def test_a_huge_repeat_is_an_issue_not_a_hang():
    doc = copy.deepcopy(FEATURES)
    doc["nodes"][1]["repeat"] = 10**7  # used to build ten million layers
    issues = analyze(spec_from_dict(doc)).issues
    assert [issue.message for issue in issues if issue.node == "conv1"] == [
        "repeat or stack makes 10,000,000 layers: at most 1,000 per node"]


def test_json_nested_past_the_recursion_limit_is_refused():
    with pytest.raises(StudioError, match="the spec is nested more than 64 levels deep"):
        loads("[" * 100_000)
