"""The generated-source export: a folder with ``net.py``, ``weights.safetensors`` and ``load.py``.

    from load import load_model      # or: python load.py
    net = load_model()               # Net with the exported weights, in eval mode

Verification never imports what is on disk: it runs the source it has just generated from the checked
spec (``generate_source`` refuses unchecked names and parses its result), after making sure the
files written are exactly that source and loader.
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
from safetensors.torch import load_file
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


def write_bundle(folder: Path, spec: ModelSpec, weights: dict[str, torch.Tensor]) -> tuple[list[Path], str]:
    """Write the three files into ``folder`` (which must exist); returns their paths and the source
    written to net.py."""
    source = generate_source(spec)
    net = folder / "net.py"
    net.write_text(source, encoding="utf-8")
    loader = folder / "load.py"
    loader.write_text(LOADER, encoding="utf-8")
    return [net, write_weights(folder / "weights.safetensors", weights), loader], source


def load_bundle(folder: Path, source: str) -> nn.Module:
    """The bundle's model as its ``load.py`` builds it (``Net`` of net.py with the weights file, in
    eval mode), from ``source``, the generated text, once net.py and load.py are checked to hold
    exactly what was written: never from whatever text the folder holds."""
    for name, text in (("net.py", source), ("load.py", LOADER)):
        if _read(folder / name) != text:
            raise CheckpointError(f"{folder / name} changed while the export was being verified")
    with _imported(folder / "net.py", source) as module:
        try:
            net = module.Net()
            net.load_state_dict(load_file(str(folder / "weights.safetensors"), device="cpu"))
            return net.eval()
        except Exception as exc:  # generated code is ours, but a failure must reach the user clearly
            raise CheckpointError(f"the exported code in {folder} failed to load its weights: "
                                  f"{exc}") from None


def script_generated(spec: ModelSpec, weights: dict[str, torch.Tensor]) -> torch.jit.ScriptModule:
    """``torch.jit.script`` of the generated source's ``Net`` with ``weights`` (eval mode)."""
    source = generate_source(spec)
    with tempfile.TemporaryDirectory() as tmp:  # private to this process's user
        path = Path(tmp) / "net.py"
        path.write_text(source, encoding="utf-8")  # TorchScript reads the class sources from the file
        with _imported(path, source) as module:
            try:
                net = module.Net()
                net.load_state_dict(weights)
                return torch.jit.script(net.eval())
            except Exception as exc:  # TorchScript's compile errors come as many exception types
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise CheckpointError(f"TorchScript cannot script this model ({first}); export it "
                                      "traced instead (the default)") from None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


@contextmanager
def _imported(path: Path, source: str) -> Iterator[ModuleType]:
    """Run generated ``source`` as the module of file ``path`` (so ``inspect`` and TorchScript find
    its classes' text there) under a unique module name, registered only while in use."""
    name = f"studio_export_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None  # a .py file always has a loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        exec(compile(source, str(path), "exec"), module.__dict__)  # generated and checked, never read back
        yield module
    finally:
        sys.modules.pop(name, None)
