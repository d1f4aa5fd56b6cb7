"""`studio templates` lists the deeper torchvision templates and `studio template NAME -o` writes them."""

from __future__ import annotations

import pytest

from studio.cli import main
from studio.engine.spec import load_spec


def test_templates_lists_them(capsys):
    assert main(["templates"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    for name in ("resnet34", "resnet50", "mobilenet_v2"):
        assert "3x224x224" in lines[name]
    assert "3,504,872 parameters" in lines["mobilenet_v2"]


@pytest.mark.parametrize(("name", "parameters"), [
    ("mobilenet_v2", "2,236,682"), ("resnet34", "21,289,802"), ("resnet50", "23,528,522")])
def test_template_writes_the_spec(capsys, tmp_path, name, parameters):
    path = tmp_path / "x.json"
    assert main(["template", name, "-o", str(path)]) == 0
    spec = load_spec(path)
    assert capsys.readouterr().out == f"wrote {path}: {len(spec.nodes)} nodes, {parameters} parameters\n"
    assert spec.meta["template"] == name and spec.nodes["fc"].args["out_features"] == 10


def test_template_takes_classes_and_input_shape(capsys, tmp_path):
    path = tmp_path / "x.json"
    assert main(["template", "mobilenet_v2", "--classes", "5", "--input-shape", "3", "96", "96",
                 "-o", str(path)]) == 0
    spec = load_spec(path)
    assert spec.nodes["fc"].args["out_features"] == 5 and spec.nodes["image"].args["shape"] == [3, 96, 96]
