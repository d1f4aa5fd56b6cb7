"""Built-in model templates (registered here, at import: every lookup sees them).

    spec = create_template("resnet18", num_classes=20)
"""

from studio.engine.templates import catalog  # noqa: F401  (registers the built-in templates)
from studio.engine.templates.registry import Template, create_template, list_templates, template

__all__ = ["Template", "create_template", "list_templates", "template"]
