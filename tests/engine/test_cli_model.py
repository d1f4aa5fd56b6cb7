"""The model commands of the command line, run in-process through ``studio.cli.main``."""

import json
import subprocess
import sys

import pytest
import torch

from studio.cli import main
from studio.engine.spec import load_spec
from studio.engine.templates import list_templates


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_templates_lists_every_template(capsys):
    code, out, _ = run(capsys, "templates")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert names == [t.name for t in list_templates()]
    assert "3x299x299" in out and "xception" in out


def test_templates_json(capsys):
    code, out, _ = run(capsys, "templates", "--json")
    entries = {entry["name"]: entry for entry in json.loads(out)}
    assert code == 0
    assert entries["resnet18"]["input_shape"] == [3, 224, 224]
    assert entries["lenet5"]["help"]


def test_template_writes_a_spec_file(capsys, tmp_path):
    path = tmp_path / "spec.json"
    code, out, _ = run(capsys, "template", "resnet18", "--classes", "20", "-o", str(path))
    assert code == 0 and "11,186,772 parameters" in out
    spec = load_spec(path)
    assert spec.meta["template"] == "resnet18"
    assert spec.nodes["fc"].args["out_features"] == 20


def test_template_without_output_prints_the_spec(capsys):
    code, out, _ = run(capsys, "template", "lenet5", "--input-shape", "1", "28", "28")
    data = json.loads(out)
    assert code == 0 and data["format"] == "studio.model/1"
    assert data["nodes"][0]["args"]["shape"] == [1, 28, 28]


def test_unknown_template_is_a_clear_error(capsys):
    code, out, err = run(capsys, "template", "resnet1000")
    assert code == 1 and out == ""
    assert err.startswith("studio: error: unknown template 'resnet1000'") and "Traceback" not in err


def test_summary_json_of_a_spec_file(capsys, tmp_path):
    path = tmp_path / "spec.json"
    run(capsys, "template", "small_cnn", "-o", str(path))
    code, out, _ = run(capsys, "model", "summary", str(path), "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"]
    assert data["total_params"] == data["trainable_params"] == 421_642
    nodes = {node["id"]: node for node in data["nodes"]}
    assert nodes["conv1"]["output_shape"] == [32, 28, 28] and nodes["conv1"]["params"] == 320
    assert nodes["conv1"]["macs"] == 28 * 28 * 32 * 9


def test_summary_table_of_a_template_name(capsys):
    code, out, _ = run(capsys, "model", "summary", "xception", "--classes", "1000")
    assert code == 0
    assert "middle_flow" in out and "728x19x19" in out
    assert "total parameters: 22,855,952 (trainable 22,855,952)" in out


def broken_spec_file(tmp_path):
    data = json.loads((tmp_path / "ok.json").read_text())
    for node in data["nodes"]:
        if node["id"] == "conv2":
            node["args"]["out_channels"] = 0
        if node["id"] == "fc2":
            node["type"] = "dense_layer"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data))
    return path


def test_validate_reports_located_problems(capsys, tmp_path):
    run(capsys, "template", "small_cnn", "-o", str(tmp_path / "ok.json"))
    code, out, _ = run(capsys, "model", "validate", str(tmp_path / "ok.json"))
    assert code == 0 and out.strip().endswith(": ok")
    code, out, err = run(capsys, "model", "validate", str(broken_spec_file(tmp_path)))
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert "conv2 (out_channels): 'out_channels' must be at least 1 (got 0)" in lines
    assert "fc2: unknown layer type 'dense_layer'" in lines
    code, out, _ = run(capsys, "model", "validate", str(tmp_path / "broken.json"), "--json")
    issues = {issue["node"]: issue["message"] for issue in json.loads(out)["issues"]}
    assert code == 1 and "out_channels" in issues["conv2"]


@pytest.mark.parametrize("content,message", [
    ("{not json", "not valid JSON"), ('{"format": "studio.model/7"}', "newer Studio")])
def test_validate_unreadable_file_is_a_clear_error(capsys, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    code, out, err = run(capsys, "model", "validate", str(path))
    assert code == 1 and message in err and "Traceback" not in err


def test_export_code_writes_a_file_that_runs(capsys, tmp_path):
    spec_path, code_path = tmp_path / "spec.json", tmp_path / "net.py"
    run(capsys, "template", "lenet5", "--classes", "4", "-o", str(spec_path))
    code, out, _ = run(capsys, "model", "export-code", str(spec_path), "-o", str(code_path))
    assert code == 0 and str(code_path) in out
    namespace: dict = {"__name__": "net"}
    exec(compile(code_path.read_text(), str(code_path), "exec"), namespace)
    net = namespace["Net"]().eval()
    assert net(torch.zeros(3, 1, 32, 32)).shape == (3, 4)
    assert "fc3.weight" in net.state_dict()


def test_python_dash_m_studio_templates():
    result = subprocess.run([sys.executable, "-m", "studio", "templates", "--json"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert [entry["name"] for entry in json.loads(result.stdout)] == [t.name for t in list_templates()]
