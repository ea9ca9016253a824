"""Turtle tests: the drawing is compared as a set of segments.

Order and direction do not matter (a square drawn clockwise or anticlockwise,
from any corner, is the same square), each coordinate may be off by
``tolerance``, and collinear pieces that touch are merged first, so
``forward(50)`` twice draws the same line as ``forward(100)``.

The child reads how many lines are missing and extra in the verdict's sentence;
``templates/kinds/turtle.html`` shows nothing more.
"""

from __future__ import annotations

import math
from collections import defaultdict

from codekids.bank.kinds import FieldErrors, TestKind, Verdict, message, register
from codekids.bank.texts import _l, _ln

DEFAULT_TOLERANCE = 1.0

Segment = tuple[float, float, float, float, str | None]


def _number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def normalise(seg: Segment) -> Segment:
    """The same segment whichever way it was drawn: the smaller end first."""
    x1, y1, x2, y2, color = seg
    if (x2, y2) < (x1, y1):
        x1, y1, x2, y2 = x2, y2, x1, y1
    return (x1, y1, x2, y2, color)


def merge_collinear(segments: list[Segment], tolerance: float) -> list[Segment]:
    """Join pieces of one straight line that touch or overlap (same colour)."""
    groups: dict[tuple, list[tuple[float, float, tuple, tuple]]] = defaultdict(list)
    for x1, y1, x2, y2, color in segments:
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy)
        if length == 0:
            continue
        ux, uy = dx / length, dy / length
        if uy < 0 or (uy == 0 and ux < 0):
            ux, uy = -ux, -uy
        offset = -uy * x1 + ux * y1  # signed distance of the line from the origin
        key = (round(math.atan2(uy, ux), 3), round(offset / max(tolerance, 1e-9)), color)
        ends = sorted([(ux * x1 + uy * y1, (x1, y1)), (ux * x2 + uy * y2, (x2, y2))])
        groups[key].append((ends[0][0], ends[1][0], ends[0][1], ends[1][1]))
    merged: list[Segment] = []
    for (_, _, color), pieces in groups.items():
        pieces.sort()
        start, reach, end = pieces[0][2], pieces[0][1], pieces[0][3]
        for t1, t2, p1, p2 in pieces[1:]:
            if t1 <= reach + tolerance:
                if t2 > reach:
                    reach, end = t2, p2
            else:
                merged.append((*start, *end, color))
                start, reach, end = p1, t2, p2
        merged.append((*start, *end, color))
    return [normalise(s) for s in merged]


def _close(a: Segment, b: Segment, tolerance: float) -> bool:
    if a[4] != b[4]:
        return False
    forward = all(abs(p - q) <= tolerance for p, q in zip(a[:4], b[:4], strict=True))
    backward = all(abs(p - q) <= tolerance for p, q in zip(a[:4], (b[2], b[3], b[0], b[1]), strict=True))
    return forward or backward


def match(expected: list[Segment], actual: list[Segment], tolerance: float) -> tuple[int, int]:
    """How many expected segments are missing and how many drawn ones are extra."""
    unmatched = list(actual)
    missing = 0
    for seg in expected:
        for i, other in enumerate(unmatched):
            if _close(seg, other, tolerance):
                del unmatched[i]
                break
        else:
            missing += 1
    return missing, len(unmatched)


def compare_drawings(expected: list[Segment], actual: list[Segment],
                     tolerance: float = DEFAULT_TOLERANCE) -> tuple[int, int]:
    """(missing, extra) after merging collinear pieces; (0, 0) means the same drawing."""
    raw = match([normalise(s) for s in expected], [normalise(s) for s in actual], tolerance)
    if raw == (0, 0):
        return raw
    return match(merge_collinear(expected, tolerance), merge_collinear(actual, tolerance),
                 tolerance)


def recorded_segments(turtle: list[dict] | None, colors: bool) -> list[Segment]:
    return [
        (s["x1"], s["y1"], s["x2"], s["y2"], str(s.get("color")).lower() if colors else None)
        for s in (turtle or [])
    ]


@register
class TurtleDrawing(TestKind):
    name = "turtle"
    fields = {"segments", "tolerance", "colors"}
    compares = False
    messages = {
        # The drawing's differences, counted: "%(missing)s" and "%(extra)s" are the two
        # counted texts below, each in its own plural form.
        "drawing_differs": _l("The drawing is different: %(missing)s and %(extra)s."),
        "drawing_missing": _l("The drawing is different: %(missing)s."),
        "drawing_extra": _l("The drawing is different: %(extra)s."),
        "lines_missing": _ln("%(num)s line is missing", "%(num)s lines are missing"),
        "lines_extra": _ln("%(num)s line is extra", "%(num)s lines are extra"),
    }

    def parse(self, raw: dict, errors: FieldErrors) -> dict:
        colors = raw.get("colors", False)
        if not isinstance(colors, bool):
            errors.add("colors", "must be true or false")
            colors = False
        tolerance = raw.get("tolerance", DEFAULT_TOLERANCE)
        if not _number(tolerance) or tolerance < 0:
            errors.add("tolerance", "must be a number, 0 or more")
            tolerance = DEFAULT_TOLERANCE
        segments: list[Segment] = []
        raw_segments = raw.get("segments")
        if raw_segments is None:
            errors.add("segments", "missing (the lines of the expected drawing)")
        elif not isinstance(raw_segments, list) or not raw_segments:
            errors.add("segments", "must be a list of segments like [0, 0, 100, 0]")
        else:
            size = 5 if colors else 4
            for i, seg in enumerate(raw_segments, 1):
                ok = (isinstance(seg, list) and len(seg) == size
                      and all(_number(v) for v in seg[:4])
                      and (not colors or isinstance(seg[4], str)))
                if not ok:
                    shape = "[x1, y1, x2, y2, \"colour\"]" if colors else "[x1, y1, x2, y2]"
                    errors.add(f"segments[{i}]", f"must be {shape}, got {seg!r}")
                    continue
                segments.append((float(seg[0]), float(seg[1]), float(seg[2]), float(seg[3]),
                                 seg[4].strip().lower() if colors else None))
        return {"segments": segments, "tolerance": float(tolerance), "colors": colors}

    def judge(self, exercise, test, result) -> Verdict:
        actual = recorded_segments(result.turtle, test.spec["colors"])
        missing, extra = compare_drawings(test.spec["segments"], actual, test.spec["tolerance"])
        if missing == 0 and extra == 0:
            return Verdict(True)
        return Verdict(
            False,
            {"missing": missing, "extra": extra, "drawn": len(actual),
             "expected_count": len(test.spec["segments"])},
            reason="drawing_differs",
        )

    def say(self, verdict: Verdict) -> dict:
        missing, extra = verdict.details["missing"], verdict.details["extra"]
        counted = {"missing": message("lines_missing", missing),
                   "extra": message("lines_extra", extra)}
        if missing and extra:
            return message("drawing_differs", **counted)
        if missing:
            return message("drawing_missing", missing=counted["missing"])
        return message("drawing_extra", extra=counted["extra"])
