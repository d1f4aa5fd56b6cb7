"""Exporting a model's weights or the whole model, each export verified before it is reported done.

Formats: ``safetensors`` and ``pt`` (state_dict), ``torchscript`` (traced, or scripted from the
generated source), ``onnx`` (dynamic batch axis, one file) and ``code`` (a folder with the generated
PyTorch source, the weights and a loader). Each file is reloaded with its own runtime and run on a
sample batch (a different batch size than the one traced) against the in-app model; the result
reports the largest difference. Files appear atomically, and only once verified.

    result = export_model(spec, "run/checkpoints", "onnx", "model.onnx")
    print(result.max_abs_diff, result.opset)
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file

from studio.engine.atomic import atomic_write, folder_mode
from studio.engine.checkpoints.code_bundle import load_bundle, script_generated, write_bundle
from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.checkpoints.reader import CheckpointSource, reading
from studio.engine.checkpoints.verify import (
    compare,
    compare_tensors,
    named_outputs,
    reference_outputs,
    sample_inputs,
)
from studio.engine.checkpoints.weights_file import save_weights, storable
from studio.engine.compiler import compile_spec
from studio.engine.graph_module import GraphModule
from studio.engine.spec.io import spec_hash
from studio.engine.spec.model import ModelSpec

FORMATS = ("safetensors", "pt", "torchscript", "onnx", "code")
DEFAULT_OPSET = 17
ONNX_HINT = "ONNX export needs the optional packages onnx and onnxruntime: pip install studio[onnx]"
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ExportResult:
    """A verified export: ``max_abs_diff`` between the reloaded export and the in-app model."""

    format: str
    path: Path
    files: tuple[Path, ...]
    max_abs_diff: float
    verified_with: str
    opset: int | None = None
    batch: int = 0  # the verification batch size (0: tensors compared, no model run)

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "path": str(self.path), "files": [str(f) for f in self.files],
                "max_abs_diff": self.max_abs_diff, "verified_with": self.verified_with,
                "opset": self.opset, "batch": self.batch}


def export_model(spec: ModelSpec | None, weights: CheckpointSource, format: str,
                 out: str | os.PathLike, *, opset: int = DEFAULT_OPSET, script: bool = False,
                 dynamic_batch: bool = True, progress: Progress | None = None) -> ExportResult:
    """Export ``weights`` (a checkpoint path, reader, state_dict or model) of ``spec`` to ``out``.

    ``spec`` may be None only for ``safetensors`` and ``pt``: the reloaded tensors are then compared
    instead of model outputs. ``script=True`` scripts (rather than traces) TorchScript.
    ``dynamic_batch=False`` gives ONNX a fixed batch size of 1.
    """
    if format not in FORMATS:
        raise CheckpointError(f"unknown export format '{format}' (formats: {', '.join(FORMATS)})")
    if spec is None and format not in ("safetensors", "pt"):
        raise CheckpointError(f"exporting to {format} needs the model spec; this checkpoint has none "
                              "recorded (give it with --spec)")
    if format == "onnx":
        _require_onnx()
    report = progress or (lambda fraction, what: None)
    report(0.0, "reading weights")
    state = _state_dict(weights)
    job = _Job(spec, state, Path(out), report)
    writer = {"safetensors": job.safetensors, "pt": job.pt, "torchscript": job.torchscript,
              "onnx": job.onnx, "code": job.code}[format]
    with warnings.catch_warnings():  # torch's deprecation notices for jit/ONNX are not the user's to act on
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        result = writer(opset=opset, script=script, dynamic_batch=dynamic_batch)
    report(1.0, f"exported {format}: max difference {result.max_abs_diff:.3g}")
    return result


class _Job:
    """One export: the model, its reference outputs, and a writer per format."""

    trace_batch, check_batch = 2, 3

    def __init__(self, spec: ModelSpec | None, state: dict[str, torch.Tensor], out: Path,
                 report: Progress) -> None:
        self.spec, self.state, self.out, self.report = spec, state, out, report
        self.model: GraphModule | None = None
        if spec is not None:
            report(0.1, "building the model")
            self.model = _fresh_model(spec, state)
            self.inputs = sample_inputs(spec, self.check_batch)
            self.reference = reference_outputs(self.model, self.inputs)

    def _check_model(self, loaded_state: dict[str, torch.Tensor], what: str) -> float:
        """Reloaded weights -> a fresh model -> outputs equal to the in-app model's?"""
        if self.spec is None:
            return compare_tensors(storable(self.state), loaded_state, what)
        return compare(self.reference, reference_outputs(_fresh_model(self.spec, loaded_state), self.inputs),
                       what)

    def _built(self) -> tuple[ModelSpec, GraphModule]:
        """The spec and its model, which the formats that run the model have (export_model checks)."""
        assert self.spec is not None and self.model is not None
        return self.spec, self.model

    def _file(self, write: Callable[[Path], None], verify: Callable[[Path], float]) -> float:
        """Write to a temp file, verify it there, then rename it into place."""
        diff: list[float] = []

        def write_and_verify(tmp: Path) -> None:
            self.report(0.3, f"writing {self.out.name}")
            write(tmp)
            self.report(0.7, "verifying")
            diff.append(verify(tmp))

        atomic_write(self.out, write_and_verify)
        return diff[0]

    def safetensors(self, **_) -> ExportResult:
        metadata = {"format": "pt"} | ({"spec_hash": spec_hash(self.spec)} if self.spec else {})
        diff = self._file(lambda tmp: save_weights(tmp, self.state, metadata),
                          lambda tmp: self._check_model(load_file(str(tmp)), "safetensors"))
        return self._result("safetensors", diff, "safetensors.torch.load_file")

    def pt(self, **_) -> ExportResult:
        tensors = storable(self.state)
        diff = self._file(lambda tmp: torch.save(tensors, tmp),
                          lambda tmp: self._check_model(torch.load(tmp, weights_only=True), "pt"))
        return self._result("pt", diff, "torch.load(weights_only=True)")

    def torchscript(self, script: bool = False, **_) -> ExportResult:
        spec, model = self._built()
        if script:
            module = script_generated(spec, self.state)
        else:
            with torch.no_grad():
                module = torch.jit.trace(model, tuple(self._trace_inputs()), strict=False)

        def verify(tmp: Path) -> float:
            loaded = torch.jit.load(str(tmp), map_location="cpu")
            with torch.no_grad():
                got = named_outputs(loaded(*self.inputs.values()), list(model.output_names))
            return compare(self.reference, got, "TorchScript")

        diff = self._file(lambda tmp: torch.jit.save(module, str(tmp)), verify)
        return self._result("torchscript", diff, f"torch.jit.load ({'scripted' if script else 'traced'})")

    def onnx(self, opset: int = DEFAULT_OPSET, dynamic_batch: bool = True, **_) -> ExportResult:
        import onnxruntime

        model = self._built()[1]
        names = list(model.output_names)
        axes = {name: {0: "batch"} for name in [*self.inputs, *names]} if dynamic_batch else None
        batch = self.check_batch if dynamic_batch else 1  # a fixed-size export is checked at its size
        trace = tuple(self._trace_inputs()) if dynamic_batch else tuple(v[:1] for v in self.inputs.values())
        reference = {name: value[:batch] for name, value in self.reference.items()}

        def write(tmp: Path) -> None:
            with torch.no_grad():
                torch.onnx.export(model, trace, str(tmp), dynamo=False, opset_version=opset,
                                  input_names=list(self.inputs), output_names=names, dynamic_axes=axes)

        def verify(tmp: Path) -> float:
            session = onnxruntime.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
            produced = session.run(names, {k: v[:batch].numpy() for k, v in self.inputs.items()})
            return compare(reference, named_outputs([torch.from_numpy(a) for a in produced], names), "ONNX")

        diff = self._file(write, verify)
        result = self._result("onnx", diff, f"onnxruntime {onnxruntime.__version__}", opset=opset)
        return replace(result, batch=batch)

    def code(self, **_) -> ExportResult:
        spec, model = self._built()
        out = self.out
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.exists() and not out.is_dir():
            raise CheckpointError(f"{out} exists and is not a folder; the code export writes a folder")
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        tmp.chmod(folder_mode())  # mkdtemp makes it private; the export is an ordinary folder
        try:
            self.report(0.3, "writing net.py, weights.safetensors, load.py")
            paths, source = write_bundle(tmp, spec, self.state)
            names = [path.name for path in paths]
            self.report(0.7, "verifying")
            loaded = load_bundle(tmp, source)
            with torch.no_grad():
                diff = compare(self.reference, named_outputs(loaded(*self.inputs.values()),
                                                             list(model.output_names)), "code")
            _replace_folder(tmp, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return ExportResult("code", out, tuple(out / name for name in names), diff,
                            "load.py (generated source)", batch=self.check_batch)

    def _trace_inputs(self) -> list[torch.Tensor]:
        return [value[: self.trace_batch] for value in self.inputs.values()]

    def _result(self, format: str, diff: float, verified_with: str, opset: int | None = None) -> ExportResult:
        return ExportResult(format, self.out, (self.out,), diff, verified_with, opset,
                            self.check_batch if self.spec is not None else 0)


def _state_dict(weights: CheckpointSource) -> dict[str, torch.Tensor]:
    with reading(weights) as reader:
        return reader.state_dict()


def _fresh_model(spec: ModelSpec, state: dict[str, torch.Tensor]) -> GraphModule:
    model = compile_spec(spec, device="cpu")
    expected = model.state_dict()
    missing = [name for name in expected if name not in state]
    unexpected = [name for name in state if name not in expected]
    if missing or unexpected:
        problems = ([f"missing {', '.join(missing[:5])}"] if missing else []) + (
            [f"unexpected {', '.join(unexpected[:5])}"] if unexpected else [])
        raise CheckpointError(f"the weights do not fit the model spec: {'; '.join(problems)}")
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(f"the weights do not fit the model spec: {exc}") from None
    return model.eval()


def _require_onnx() -> None:
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        raise CheckpointError(ONNX_HINT) from None


def _replace_folder(new: Path, out: Path) -> None:
    """Put folder ``new`` at ``out``; an existing ``out`` is removed only after the swap."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
    new.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
