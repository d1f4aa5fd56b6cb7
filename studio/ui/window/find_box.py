"""The toolbar's find box: completes layer ids of the canvas in front; Enter selects and centres the
first layer whose id (or else type) matches."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import QCompleter, QLineEdit


class LayerFinder:
    """Drives ``box`` for ``window`` (its ``scene()``, ``view()`` and ``message``)."""

    def __init__(self, window, box: QLineEdit) -> None:
        self.window, self.box = window, box
        self.model = QStringListModel()
        box.returnPressed.connect(lambda: self.find(box.text()))
        box.textEdited.connect(self.refresh)
        completer = QCompleter(self.model, window)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.activated.connect(self.find)
        box.setCompleter(completer)

    def focus(self) -> None:
        self.refresh()
        self.box.setFocus()
        self.box.selectAll()

    def refresh(self, text: str = "") -> None:
        self.model.setStringList(sorted(self.window.scene().graph.nodes))

    def find(self, text: str) -> bool:
        """Select and centre the first layer whose id (or else type) matches ``text``."""
        text = text.strip().lower()
        nodes = self.window.scene().graph.nodes.values()
        match = (next((n for n in nodes if n.id.lower() == text), None)
                 or next((n for n in nodes if text in n.id.lower()), None)
                 or next((n for n in nodes if text in n.type.lower()), None)) if text else None
        if match is None:
            self.window.message(f"No layer matches '{text}'")
            return False
        view = self.window.view()
        view.center_on_node(match.id)
        view.setFocus()
        return True
