"""The generated-source export: a folder with ``net.py``, ``weights.safetensors`` and ``load.py``.

    from load import load_model      # or: python load.py
    net = load_model()               # Net with the exported weights, in eval mode
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import torch
from torch import nn

from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.checkpoints.weights_file import write_weights
from studio.engine.codegen import generate_source
from studio.engine.spec.model import ModelSpec

LOADER = '''"""Load the exported model: ``from load import load_model`` or ``python load.py``.

Needs torch and safetensors. The weights' names equal the parameter names of ``Net`` in net.py.
"""

import importlib.util
from pathlib import Path

from safetensors.torch import load_file

HERE = Path(__file__).resolve().parent


def load_model(device="cpu"):
    """``Net`` from net.py with the weights of weights.safetensors, in eval mode."""
    spec = importlib.util.spec_from_file_location("studio_exported_net", HERE / "net.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.Net()
    net.load_state_dict(load_file(str(HERE / "weights.safetensors"), device=str(device)))
    return net.to(device).eval()


if __name__ == "__main__":
    print(load_model())
'''


def write_bundle(folder: Path, spec: ModelSpec, weights: dict[str, torch.Tensor]) -> list[Path]:
    """Write the three files into ``folder`` (which must exist); returns their paths."""
    net = folder / "net.py"
    net.write_text(generate_source(spec), encoding="utf-8")
    loader = folder / "load.py"
    loader.write_text(LOADER, encoding="utf-8")
    return [net, write_weights(folder / "weights.safetensors", weights), loader]


def load_bundle(folder: Path) -> nn.Module:
    """Run the bundle's own ``load.py`` to get its model (as a user of the export would)."""
    with _imported(folder / "load.py") as module:
        try:
            return module.load_model()
        except Exception as exc:  # generated code is ours, but a failure must reach the user clearly
            raise CheckpointError(f"the exported code in {folder} failed to load its weights: "
                                  f"{exc}") from None


def script_generated(spec: ModelSpec, weights: dict[str, torch.Tensor]) -> torch.jit.ScriptModule:
    """``torch.jit.script`` of the generated source's ``Net`` with ``weights`` (eval mode)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "net.py"
        path.write_text(generate_source(spec), encoding="utf-8")
        with _imported(path) as module:  # TorchScript reads the class sources from the file
            try:
                net = module.Net()
                net.load_state_dict(weights)
                return torch.jit.script(net.eval())
            except Exception as exc:  # TorchScript's compile errors come as many exception types
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise CheckpointError(f"TorchScript cannot script this model ({first}); export it "
                                      "traced instead (the default)") from None


@contextmanager
def _imported(path: Path) -> Iterator[ModuleType]:
    """Import a Python file under a unique module name, registered only while in use."""
    name = f"studio_export_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(name, None)
