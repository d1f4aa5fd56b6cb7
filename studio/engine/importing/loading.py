"""SOURCE -> ``nn.Module``: the one place Studio runs the user's own code.

SOURCE is ``path/to/file.py:factory``, ``package.module:factory``, ``torchvision:NAME`` or a saved
``torch.export`` program ``path/to/model.pt2``. The file or module named is imported (its top level
runs) and ``factory(**kwargs)`` is called: a class or a function returning an ``nn.Module``.

A ``.pt2`` file is code too: ``torch.export.load`` unpickles the program's weights and constants
(with ``weights_only=False`` where the plain load fails, and ``pickle.loads`` for some constants), so
a file from someone else can run anything. It is treated exactly as a ``.py`` file: loaded only
because the user named it. Only what the user names here is loaded, never a name read from a spec,
a project or a checkpoint. Everything that goes wrong is one sentence (:class:`ModelImportError`).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import logging
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from torch import nn

from studio.engine.importing.errors import ModelImportError

SOURCE_HINT = "give FILE.py:FACTORY, package.module:FACTORY, torchvision:NAME or FILE.pt2"


def load_source(source: str, kwargs: dict[str, Any] | None = None) -> tuple[nn.Module, str]:
    """The module SOURCE builds with ``kwargs``, and a name for the spec (the factory's)."""
    kwargs = dict(kwargs or {})
    if source.endswith(".pt2"):
        if kwargs:
            raise ModelImportError(f"{source} is a saved program: it takes no --kwargs")
        return load_exported(source), Path(source).stem
    where, sep, name = source.rpartition(":")
    if not sep or not where or not name:
        raise ModelImportError(f"'{source}' is not a model source: {SOURCE_HINT}")
    if where == "torchvision":
        return _torchvision(name, kwargs), name
    module = _load_file(where) if where.endswith(".py") or "/" in where or "\\" in where \
        else _load_module(where)
    factory = _attribute(module, name, where)
    return _call(factory, f"{where}:{name}", kwargs), name.rsplit(".", 1)[-1]


def load_exported(where: str) -> nn.Module:
    """The graph module of the ``torch.export`` program saved at ``where`` (see the module's note:
    this unpickles, like running a file)."""
    import torch

    path = Path(where).expanduser()
    if not path.is_file():
        raise ModelImportError(f"no such file: {where}")
    logger = logging.getLogger("torch.export")  # (it logs a traceback before trying the old format)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        program = torch.export.load(str(path))
        return program.module()
    except Exception as exc:
        raise ModelImportError(f"cannot read {where} as a saved torch.export program (a file from "
                               f"another torch version than {torch.__version__.split('+')[0]}, or not "
                               f"such a file): {_exception_text(exc)}") from None
    finally:
        logger.setLevel(level)


def _torchvision(name: str, kwargs: dict[str, Any]) -> nn.Module:
    import torchvision

    if name not in torchvision.models.list_models():
        raise ModelImportError(f"torchvision has no model '{name}' (see torchvision.models.list_models())")
    try:
        return torchvision.models.get_model(name, weights=None, **kwargs)
    except Exception as exc:  # a keyword the builder does not take, a bad value
        raise ModelImportError(f"torchvision's {name}({_kwargs_text(kwargs)}) raised "
                               f"{_exception_text(exc)}") from None


def _load_file(where: str) -> ModuleType:
    path = Path(where).expanduser()
    if not path.is_file():
        raise ModelImportError(f"no such Python file: {where}")
    digest = hashlib.sha1(str(path.resolve()).encode("utf-8", "backslashreplace")).hexdigest()[:12]
    module_name = f"studio_user_model_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ModelImportError(f"cannot load {where} as Python code")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # so that the file can import the modules beside it
    sys.modules[module_name] = module  # (dataclasses and pickling look the module up by name)
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        sys.modules.pop(module_name, None)
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise ModelImportError(f"running {where} raised {_exception_text(exc)}") from None
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return module


def _load_module(where: str) -> ModuleType:
    try:
        return importlib.import_module(where)
    except ModuleNotFoundError as exc:
        if exc.name and where.startswith(exc.name):
            raise ModelImportError(f"no Python module named '{where}' (nor a file: a file's name "
                                   "ends in .py)") from None
        raise ModelImportError(f"importing {where} raised {_exception_text(exc)}") from None
    except Exception as exc:
        raise ModelImportError(f"importing {where} raised {_exception_text(exc)}") from None


def _attribute(module: ModuleType, name: str, where: str) -> Any:
    value: Any = module
    for part in name.split("."):
        if not hasattr(value, part):
            found = sorted(n for n, v in vars(module).items()
                           if not n.startswith("_") and callable(v)
                           and getattr(v, "__module__", None) == module.__name__)
            listed = f" (it defines {', '.join(found[:8])}{', ...' if len(found) > 8 else ''})" \
                if found else ""
            raise ModelImportError(f"{where} has no '{name}'{listed}")
        value = getattr(value, part)
    return value


def _call(factory: Any, label: str, kwargs: dict[str, Any]) -> nn.Module:
    if isinstance(factory, nn.Module):
        if kwargs:
            raise ModelImportError(f"{label} is a module already built: it takes no --kwargs")
        return factory
    if not callable(factory):
        raise ModelImportError(f"{label} is a {type(factory).__name__}, not a class or a function "
                               "returning an nn.Module")
    try:
        model = factory(**kwargs)
    except Exception as exc:
        raise ModelImportError(f"{label}({_kwargs_text(kwargs)}) raised {_exception_text(exc)}") from None
    if not isinstance(model, nn.Module):
        raise ModelImportError(f"{label}({_kwargs_text(kwargs)}) returned a {type(model).__name__}, "
                               "not a torch nn.Module")
    return model


def _kwargs_text(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in kwargs.items())


def _exception_text(exc: BaseException) -> str:
    """``ValueError: message`` on one line (the first line of a long message)."""
    message = str(exc).strip().splitlines()
    first = message[0] if message else ""
    if len(first) > 300:
        first = first[:297] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
