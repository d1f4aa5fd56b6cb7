"""How the canvas words a node's :class:`~studio.engine.checkpoints.marks.NodeMark`: the pills under the
node ("⟲ restored", "❄ frozen 1/3" inside a block with three uses), their colours and the tooltip lines."""

from __future__ import annotations

from pathlib import Path

from studio.engine.checkpoints.marks import NodeMark
from studio.engine.filenames import shown_name

MARK_TEXT = {"restored": "⟲ restored", "frozen": "❄ frozen"}
MARK_COLORS = {"restored": "#2e8b57", "frozen": "#3d7fd1"}
WHAT = {"restored": "weights restored from a checkpoint", "frozen": "weights frozen"}


def mark_parts(mark: NodeMark | None) -> list[tuple[str, str]]:
    """``(kind, share)`` per pill: share is "" when every use has it, else e.g. "1/3"."""
    if mark is None:
        return []
    parts = []
    for kind, count in (("restored", mark.restored), ("frozen", mark.frozen)):
        if count:
            parts.append((kind, "" if count >= mark.uses else f"{count}/{mark.uses}"))
    return parts


def mark_labels(mark: NodeMark | None) -> tuple[str, ...]:
    """The marks as short labels: ``("restored", "frozen 1/3")``."""
    return tuple(f"{kind} {share}".strip() for kind, share in mark_parts(mark))


def pill_text(kind: str, share: str) -> str:
    return f"{MARK_TEXT.get(kind, kind)} {share}".strip()


def tooltip_lines(mark: NodeMark | None) -> list[str]:
    """Plain-text lines for the node's tooltip (escape them for rich text)."""
    lines = []
    for kind, share in mark_parts(mark):
        done, _, total = share.partition("/")
        where = f" in {done} of the {total} uses of this block" if share else ""
        lines.append(f"{MARK_TEXT.get(kind, kind)}: {WHAT.get(kind, kind)}{where}")
    if mark is not None and mark.sources:
        lines.append("from " + ", ".join(shown_name(Path(source).name) for source in mark.sources))
    return lines
