"""Importing a PyTorch model from code: ``nn.Module`` -> spec + weights, verified.

This is the only place Studio runs the user's code: :func:`load_source` imports exactly the file or
module named on the command line (or in File > Import model...) and calls the factory in it. Nothing
named inside a spec, a project or a checkpoint is ever imported.

    result = import_source("torchvision:resnet18", (3, 224, 224))
    print(len(result.spec.nodes), result.max_diff)
    write_import(result, "resnet18.json", "resnet18.safetensors")

The steps: loading.py (the source -> an ``nn.Module``), tracing.py (torch.fx with Studio's layers as
leaves), leaves.py and ops.py (a module or an op -> a layer type and its arguments), attention.py
(nn.MultiheadAttention as self-attention), parameters.py (a parameter read in the forward -> the
layer owning it), convert.py (the traced graph -> entries.py's working graph and the name mapping
of the weights), fusing.py (runs of entries that are one layer), folding.py
(repeated submodules -> blocks and repeats), verify.py (compile, load the weights,
compare the outputs), api.py (the whole import and the atomic writes).
"""

from studio.engine.importing.api import TOLERANCE, ImportResult, import_model, import_source, write_import
from studio.engine.importing.errors import ModelImportError
from studio.engine.importing.loading import load_source

__all__ = ["TOLERANCE", "ImportResult", "ModelImportError", "import_model", "import_source",
           "load_source", "write_import"]
