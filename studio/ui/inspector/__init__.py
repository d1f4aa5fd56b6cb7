"""The inspector dock (:class:`Inspector`): the selected node's page, or the model's."""

from studio.ui.inspector.dock import Inspector

__all__ = ["Inspector"]
