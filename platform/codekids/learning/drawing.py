"""The turtle's drawing as a static SVG, so a page without JavaScript still shows it.

Segments come from the child's program, so nothing of them reaches the page
unchecked: coordinates must be numbers and colours must look like a colour.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_COLOR = re.compile(r"^(#[0-9a-f]{3}|#[0-9a-f]{6}|#[0-9a-f]{8}|[a-z]{1,24})$")
MARGIN = 10.0


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    color: str
    width: float


@dataclass(frozen=True)
class Drawing:
    lines: list[Line]
    view_box: str


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def safe_color(value) -> str:
    text = str(value or "").strip().lower()
    return text if _COLOR.match(text) else "black"


def drawing(segments: list[dict] | None) -> Drawing | None:
    """Lines in turtle units; the template flips y (turtle's y goes up, SVG's down)."""
    if not segments:
        return None
    lines = []
    for seg in segments:
        if not isinstance(seg, dict):
            continue
        coords = [_number(seg.get(k)) for k in ("x1", "y1", "x2", "y2")]
        if any(c is None for c in coords):
            continue
        width = _number(seg.get("width")) or 1.0
        lines.append(Line(*coords, safe_color(seg.get("color")), min(max(width, 0.5), 20.0)))
    if not lines:
        return None
    xs = [v for ln in lines for v in (ln.x1, ln.x2)]
    ys = [-v for ln in lines for v in (ln.y1, ln.y2)]
    left, top = min(xs) - MARGIN, min(ys) - MARGIN
    width = max(max(xs) - min(xs), 1.0) + 2 * MARGIN
    height = max(max(ys) - min(ys), 1.0) + 2 * MARGIN
    return Drawing(lines, f"{left:g} {top:g} {width:g} {height:g}")
