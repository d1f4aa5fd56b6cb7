"""Hostile strings in every place a spec holds text: none can run code, crash a reader or break a file.

Each string of ``corpus(marker)`` goes into each place of a small model (the model name, node, input
and output ids, block names, block parameters and their values, argument values, the help text,
meta, ports, weight sharing, layer types, scopes, stacks). Either the reader refuses the document with
one located sentence, or the generated source parses, is printable ASCII, imports without running
anything (the payloads would create ``marker``), and its ``Net`` gives the compiled model's outputs.
The same documents, planted in a run folder, go through ``studio ckpt export --format code`` and
``--format torchscript --script``: one ``studio: error:`` line or a verified export, never the marker.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import torch

from studio.cli import main
from studio.engine.checkpoints import CheckpointStore
from studio.engine.codegen import CodegenError, check_source, generate_source
from studio.engine.compiler import compile_spec
from studio.engine.errors import SpecError
from studio.engine.spec.io import save_spec, spec_from_dict, spec_to_dict
from studio.engine.spec.model import Edge, ModelSpec, Node, id_problem

ROOT = Path(__file__).resolve().parents[2]


def corpus(marker: Path) -> list[str]:
    """Hostile and merely awkward strings; the payloads create ``marker`` if they ever run."""
    payload = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    return [
        "'", '"', '"""', "'''", "a\nb", "a\rb", "\\", "a\\", "\\\\", "x\u202ey", "x\u200by", "x\x00y",
        "é", "class", "return", "lambda", "None", "True", "none", "__init__", "__class__", "_x",
        "forward", "training", "state_dict", "cuda", "steps", "outputs", "self", "F", "nn", "torch",
        "OrderedDict", "super", "Net", "net", "f", "a.b", "", " ", "1x", "../../etc/passwd",
        "x" * 300,
        f'x"""; {payload}; """',
        f"x'''; {payload}; '''",
        f'x\\"""; {payload}; """',
        f"x\n{payload}\n",
        f"x\n    {payload}\n",
        f"x'); {payload}; ('",
        f'x"); {payload}; ("',
        f"x}}; {payload}; {{",
        f"x # {payload}",
    ]


def document(places: dict[str, object]) -> dict:
    """A small model whose texts and names come from ``places`` (each key a place of the spec)."""
    get = places.get
    image, conv, use, pool, fc, twin, logits = (
        get("input id", "image"), get("node id", "conv"), get("block use id", "unit1"),
        get("pool id", "pool"), get("node id 2", "fc"), get("twin id", "twin"), get("output id", "logits"))
    block, block_in, inner, block_out, param = (
        get("block name", "unit"), get("block input id", "x"), get("block node id", "inner"),
        get("block output id", "out"), get("block parameter", "width"))
    return {
        "format": "studio.model/1", "name": get("model name", "hostile"),
        "meta": {"note": get("meta value", "ok"), str(get("meta key", "key")): 1},
        "defaults": [{"layers": [get("scope layer", "conv2d")],
                      "args": {"padding": get("scope argument value", "same")}}],
        "nodes": [
            {"id": image, "type": "input", "args": {"shape": [1, 6, 6]}, "pos": [0, 0]},
            {"id": conv, "type": get("layer type", "conv2d"), "args": {
                "out_channels": 4, "kernel_size": 3, "activation": get("layer argument value", "relu"),
                **({get("argument name"): 1} if "argument name" in places else {})},
             "stack": [{"activation": get("stack argument value", "none")}], "pos": [0, 50]},
            {"id": use, "type": "block", "args": {  # "note" is the default unless the place is the use's
                "block": get("block use target", block), param: 4,
                **({"note": get("block argument value")} if "block argument value" in places else {})},
             "pos": [0, 100]},
            {"id": pool, "type": "global_avg_pool", "args": {}, "pos": [0, 150]},
            {"id": fc, "type": "fully_connected", "args": {"out_features": 3}, "pos": [0, 200]},
            {"id": twin, "type": "fully_connected", "args": {"out_features": 3},
             "share": get("share target", fc), "pos": [50, 200]},
            {"id": logits, "type": "output", "args": {}, "pos": [0, 250]},
        ],
        "edges": [
            {"src": image, "dst": conv, "port": "x"},
            {"src": conv, "dst": use, "port": get("block port", block_in)},
            {"src": use, "dst": pool, "port": get("port", "x")},
            {"src": pool, "dst": twin, "port": "x"},
            {"src": pool, "dst": fc, "port": "x"},
            {"src": fc, "dst": logits, "port": "x"},
        ],
        "blocks": {block: {
            "params": {param: 8, "note": get("block parameter default", "ok")},
            "help": get("block help", "A convolution."),
            "nodes": [
                {"id": block_in, "type": "input", "args": {}, "pos": [0, 0]},
                {"id": inner, "type": "conv2d", "args": {"out_channels": f"${param}", "kernel_size": 1},
                 "pos": [0, 50]},
                {"id": block_out, "type": "output", "args": {}, "pos": [0, 100]},
            ],
            "edges": [{"src": block_in, "dst": inner, "port": "x"},
                      {"src": inner, "dst": block_out, "port": "x"}],
        }},
    }


ID_PLACES = ("input id", "node id", "block use id", "pool id", "node id 2", "twin id", "output id",
             "block name", "block input id", "block node id", "block output id", "block parameter",
             "share target", "port", "block port")
TEXT_PLACES = ("model name", "meta value", "meta key", "block parameter default", "block argument value",
               "block help", "layer argument value", "layer type", "scope layer", "scope argument value",
               "stack argument value", "argument name", "block use target")
PLACES = ID_PLACES + TEXT_PLACES


def test_the_unchanged_document_compiles_and_exports():
    spec = spec_from_dict(document({}))
    source = generate_source(spec)
    assert "class Unit(nn.Module)" in source and "self.unit1 = Unit()" in source


def outcome(doc: dict) -> tuple[str, object]:
    """("read", SpecError) | ("generate", SpecError) | ("source", (spec, source))."""
    try:
        spec = spec_from_dict(doc)
    except SpecError as exc:
        return "read", exc
    try:
        return "source", (spec, generate_source(spec))
    except SpecError as exc:  # analysis refusing a value (a layer type, an argument): located too
        return "generate", exc


def import_generated(path: Path):
    """Import a generated file for real (importlib, from disk), as a user of the export would."""
    name = f"hostile_{uuid.uuid4().hex}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def assert_safe_and_equivalent(spec: ModelSpec, source: str, folder: Path, marker: Path) -> None:
    assert all(char == "\n" or " " <= char <= "~" for char in source), "source not printable ASCII"
    check_source(source)  # parses, and only the statements codegen writes
    path = folder / f"net_{uuid.uuid4().hex[:8]}.py"
    path.write_text(source, encoding="utf-8")
    module = import_generated(path)
    assert not marker.exists()
    torch.manual_seed(0)
    compiled = compile_spec(spec, device="cpu").eval()
    net = module.Net().eval()
    net.load_state_dict(compiled.state_dict(), strict=True)
    inputs = [torch.randn(2, 1, 6, 6)]
    with torch.no_grad():
        assert torch.equal(net(*inputs), compiled(*inputs))
    assert not marker.exists()


@pytest.mark.parametrize("place", PLACES)
def test_every_hostile_string_in_every_place_is_refused_or_generates_safe_code(tmp_path, place):
    marker = tmp_path / "MARKER"
    outcomes = {}
    for text in corpus(marker):
        kind, value = outcome(document({place: text}))
        outcomes[text] = kind
        if kind == "source":
            spec, source = value
            assert_safe_and_equivalent(spec, source, tmp_path, marker)
        else:
            message = str(value)
            assert "\n" not in message and "\r" not in message, message
            if place in ID_PLACES and kind == "read" and id_problem(text) is not None:
                assert "is not a valid" in message and repr(text)[:20] in message, message
        assert not marker.exists(), (place, text)
    if place in ID_PLACES:  # a name breaking the id rule never passes the reader
        assert all(outcomes[text] == "read" for text in outcomes if id_problem(text) is not None)
    else:  # text is text: the reader takes it (analysis may refuse a value it does not know)
        assert all(kind != "read" for text, kind in outcomes.items() if isinstance(text, str)), outcomes
    if place in ("model name", "meta value", "meta key", "block parameter default",
                 "block argument value", "block help"):
        assert set(outcomes.values()) == {"source"}  # these never stop a model from being exported


def test_the_id_rule_messages_locate_node_block_and_rule():
    doc = document({"block node id": "forward"})
    with pytest.raises(SpecError) as caught:
        spec_from_dict(doc)
    assert str(caught.value) == ("'forward' is not a valid node id (block 'unit'): it is a name "
                                 "nn.Module uses; choose another name")
    cases = {
        "a.b": "use ASCII letters, digits and '_', not starting with a digit",
        "": "it is empty", "class": "it is a Python keyword", "__init__": "names starting with '__'",
        "training": "it is a name nn.Module uses", "outputs": "it is a name Studio's compiled model uses",
        "a\n": "use ASCII letters",
    }
    for text, rule in cases.items():
        with pytest.raises(SpecError, match="^" + re.escape(f"{text!r} is not a valid node id: {rule}")):
            spec_from_dict(document({"node id": text}))
    with pytest.raises(SpecError, match=r"^'forward' is not a valid block parameter \(block 'unit'\)"):
        spec_from_dict(document({"block parameter": "forward"}))
    with pytest.raises(SpecError, match=r"^'block' is not a valid block parameter \(block 'unit'\)"):
        spec_from_dict(document({"block parameter": "block"}))
    with pytest.raises(SpecError, match=r"^'x y' is not a valid input port \(connection conv -> unit1\)"):
        spec_from_dict(document({"block port": "x y"}))
    with pytest.raises(SpecError, match=r"^'cuda' is not a valid weight-sharing target of node 'twin'"):
        spec_from_dict(document({"share target": "cuda"}))
    with pytest.raises(SpecError, match=r"^'Net' is not|^'a-b' is not a valid block name"):
        spec_from_dict(document({"block name": "a-b"}))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("repeat", 2.7, "node 'conv': 'repeat' must be a whole number, not 2.7"),
    ("repeat", True, "node 'conv': 'repeat' must be a whole number, not True"),
    ("repeat", "2", "node 'conv': 'repeat' must be a whole number, not '2'"),
    ("pos", ["1", 2], "node 'conv': 'pos' must be two numbers, not ['1', 2]"),
    ("pos", [True, 0], "node 'conv': 'pos' must be two numbers, not [True, 0]"),
    ("pos", [0, float("nan")], "node 'conv': 'pos' must be two numbers, not [0, nan]"),
    ("pos", [0], "node 'conv': 'pos' must be two numbers, not [0]"),
    ("args", [["out_channels", 4]], "node 'conv': 'args' must be a JSON object"),
    ("stack", [1], "node 'conv': 'stack' must be a list of argument objects"),
])
def test_node_fields_are_refused_unless_they_are_what_they_say(field, value, message):
    doc = document({})
    doc["nodes"][1][field] = value
    with pytest.raises(SpecError, match="^" + re.escape(message)):
        spec_from_dict(doc)


def test_a_spec_built_in_memory_with_hostile_ids_is_refused_by_the_code_generator(tmp_path):
    """Defence in depth: the edit methods check ids too, and codegen re-checks whatever it is given."""
    marker = tmp_path / "MARKER"
    payload = corpus(marker)[-8]
    spec = spec_from_dict(document({}))
    with pytest.raises(SpecError, match="is not a valid node id"):
        spec.add_node(Node(payload, "relu"))
    with pytest.raises(SpecError, match="is not a valid input port"):
        spec.connect(Edge("conv", "unit1", "x\ny"))
    with pytest.raises(SpecError, match="is not a valid weight-sharing target"):
        spec.set_node_field("twin", "share", "forward")
    for mutate in (
        lambda s: s.graph.nodes.__setitem__(payload, Node(payload, "relu")),  # a node past the methods
        lambda s: setattr(s.graph.nodes["fc"], "id", "forward"),
        lambda s: s.graph.edges.append(Edge("fc", "logits", payload)),
        lambda s: setattr(s.graph.nodes["twin"], "share", "__class__"),
        lambda s: s.blocks.__setitem__(payload, s.blocks["unit"]),
        lambda s: s.blocks["unit"].params.__setitem__("training", 1),
    ):
        spec = spec_from_dict(document({}))
        mutate(spec)
        with pytest.raises(SpecError):
            generate_source(spec)
    assert not marker.exists()


def test_the_source_guard_refuses_anything_codegen_does_not_write():
    source = generate_source(spec_from_dict(document({})))
    check_source(source)
    tampered = [
        source.replace('"""PyTorch model', '"""PyTorch model"""\nimport os\n"""', 1),
        source + "\n__import__('os').system('true')\n",
        source.replace("    def forward(self, image):", "    x = print()\n\n    def forward(self, image):"),
        source.replace("        super().__init__()", "        super().__init__()\n        open('f')", 1),
        source.replace("        super().__init__()", "        ().__class__.__bases__", 1),
        source.replace("class Net(nn.Module):", "@print\nclass Net(nn.Module):"),
        source.replace("    def forward(self, image):", "    def forward(self, image=print()):"),
        source.replace("        super().__init__()", "        [x for x in ()]", 1),
        source.replace("class Unit(nn.Module):", "class Unit(object):"),
        source.replace("from torch import nn", "from os import system"),
        source + "\nclass SeparableConv2d(nn.Module):\n    x = 1\n",
        source.replace("self.conv =", "self.conv = (", 1),
    ]
    for text in tampered:
        assert text != source
        with pytest.raises(CodegenError):
            check_source(text)


def test_docstrings_keep_the_hostile_text_readable_and_inert(tmp_path):
    marker = tmp_path / "MARKER"
    name = corpus(marker)[-8]  # x"""; payload; """
    spec = spec_from_dict(document({"model name": name, "block argument value": "a\u202eb\x00"}))
    module = import_generated(_write(tmp_path, generate_source(spec)))
    assert repr(name) in module.__doc__  # the docstring shows the name, escaped, as text
    assert "note='a\\u202eb\\x00'" in module.Unit.__doc__
    spec = spec_from_dict(document({"block parameter default": 'q"""\n'}))
    module = import_generated(_write(tmp_path, generate_source(spec)))
    assert "note='q\"\"\"\\n'" in module.Unit.__doc__
    assert not marker.exists()


def _write(folder: Path, source: str) -> Path:
    path = folder / "net_doc.py"
    path.write_text(source, encoding="utf-8")
    return path


def test_templates_and_the_demo_keep_the_id_rule():
    from studio.engine.demo import demo_spec
    from studio.engine.templates import create_template, list_templates

    for spec in [demo_spec(), *(create_template(t.name) for t in list_templates())]:
        assert spec_from_dict(spec_to_dict(spec)).name == spec.name


# ---- the same through the command line, on a run folder ------------------------------------------

@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """A run folder as training leaves it: spec.json and one checkpoint with the spec in its sidecar."""
    root = tmp_path_factory.mktemp("hostile_run")
    spec = spec_from_dict(document({}))
    torch.manual_seed(0)
    model = compile_spec(spec, device="cpu")
    save_spec(spec, root / "run" / "spec.json")
    CheckpointStore(root / "run" / "checkpoints").save(1, model.state_dict(), spec=spec)
    return root / "run"


def plant(run: Path, doc: dict) -> None:
    """Make the run folder's spec.json and checkpoint sidecar say ``doc``."""
    (run / "spec.json").write_text(json.dumps(doc), encoding="utf-8")
    sidecar = next((run / "checkpoints").glob("*.json"))
    data = json.loads(sidecar.read_text(encoding="utf-8"))
    data["spec"] = doc
    sidecar.write_text(json.dumps(data), encoding="utf-8")


EXPORT_PLACES = ("model name", "node id", "input id", "output id", "block name", "block node id",
                 "block parameter", "block parameter default", "block argument value", "block help",
                 "meta value", "layer argument value", "block port")


@pytest.mark.parametrize("fmt", ["code", "script"])
def test_ckpt_export_of_a_hostile_run_folder_is_an_error_line_or_a_verified_export(
        run_folder, tmp_path, capsys, fmt):
    marker = tmp_path / "MARKER"
    strings = [text for text in corpus(marker) if "MARKER" in text] + ["forward", "self", "a\nb", '"""']
    results = set()
    for place in EXPORT_PLACES:
        for text in strings:
            plant(run_folder, document({place: text}))
            out = tmp_path / f"export-{uuid.uuid4().hex[:8]}"
            args = ["--format", "code"] if fmt == "code" else ["--format", "torchscript", "--script"]
            code = main(["ckpt", "export", str(run_folder), *args, "-o", str(out)])
            _, err = capsys.readouterr()
            assert not marker.exists(), (place, text)
            if code == 0:
                results.add("exported")
                if fmt == "code":
                    source = (out / "net.py").read_text(encoding="utf-8")
                    check_source(source)
                    assert all(char == "\n" or " " <= char <= "~" for char in source)
                else:
                    assert out.is_file()
            else:
                results.add("refused")
                assert code == 1 and err.startswith("studio: error: ") and err.count("\n") == 1, err
    assert results == {"exported", "refused"}


def test_an_exported_hostile_model_loads_in_a_fresh_interpreter_without_running_anything(
        run_folder, tmp_path):
    marker = tmp_path / "MARKER"
    payload = corpus(marker)[-8]
    plant(run_folder, document({"model name": payload, "block argument value": payload,
                                "block help": payload, "meta value": payload}))
    out = tmp_path / "export"
    command = [sys.executable, "-m", "studio", "ckpt", "export", str(run_folder), "--format", "code",
               "-o", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "verified with load.py" in result.stdout and not marker.exists()
    script = ("import sys, torch; sys.path.insert(0, sys.argv[1]); from load import load_model; "
              "net = load_model(); print(tuple(net(torch.zeros(1, 1, 6, 6)).shape))")
    loaded = subprocess.run([sys.executable, "-I", "-c", script, str(out)], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["(1,", "3)"] and not marker.exists()
    plant(run_folder, document({"output id": payload}))
    refused = subprocess.run(command + ["--format", "torchscript", "--script"], capture_output=True,
                             text=True, cwd=ROOT, timeout=300)
    assert refused.returncode == 1 and refused.stderr.startswith("studio: error: ")
    assert refused.stderr.count("\n") == 1 and not marker.exists()


def test_model_commands_refuse_a_hostile_spec_file_in_one_line(tmp_path, capsys):
    marker = tmp_path / "MARKER"
    path = tmp_path / "spec.json"
    for doc in (document({"output id": corpus(marker)[-8]}), document({"node id": "__class__"})):
        path.write_text(json.dumps(doc), encoding="utf-8")
        for command in (["summary"], ["validate"], ["export-code", "-o", str(tmp_path / "net.py")]):
            assert main(["model", command[0], str(path), *command[1:]]) == 1
            err = capsys.readouterr().err
            assert err.startswith("studio: error: ") and err.count("\n") == 1
    empty = copy.deepcopy(document({}))
    empty["nodes"], empty["edges"] = [], []
    path.write_text(json.dumps(empty), encoding="utf-8")
    assert main(["model", "summary", str(path)]) == 1  # was a TypeError traceback
    out = capsys.readouterr().out
    assert "total parameters: 0" in out and "the model has no input node" in out
    assert not marker.exists()
