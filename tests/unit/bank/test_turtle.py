"""Turtle drawings compared as sets of segments: order, direction, tolerance, merging."""

from __future__ import annotations

from codekids.bank.kinds.turtle import compare_drawings, merge_collinear, normalise

SQUARE = [(0, 0, 100, 0, None), (100, 0, 100, 100, None), (100, 100, 0, 100, None),
          (0, 100, 0, 0, None)]


def test_the_same_drawing_matches():
    assert compare_drawings(SQUARE, SQUARE) == (0, 0)


def test_order_does_not_matter():
    assert compare_drawings(SQUARE, list(reversed(SQUARE))) == (0, 0)


def test_direction_does_not_matter():
    backwards = [(x2, y2, x1, y1, c) for x1, y1, x2, y2, c in SQUARE]
    assert compare_drawings(SQUARE, backwards) == (0, 0)


def test_coordinates_within_the_tolerance_match_and_beyond_do_not():
    near = [(x1 + 0.4, y1 - 0.4, x2, y2 + 0.9, c) for x1, y1, x2, y2, c in SQUARE]
    assert compare_drawings(SQUARE, near, tolerance=1.0) == (0, 0)
    far = [(x1 + 1.5, y1, x2, y2, c) for x1, y1, x2, y2, c in SQUARE]
    assert compare_drawings(SQUARE, far, tolerance=1.0) != (0, 0)


def test_missing_and_extra_segments_are_counted():
    assert compare_drawings(SQUARE, SQUARE[:3]) == (1, 0)
    diagonal = (0, 0, 100, 100, None)
    assert compare_drawings(SQUARE, [*SQUARE, diagonal]) == (0, 1)
    assert compare_drawings(SQUARE, [*SQUARE[:2], diagonal]) == (2, 1)


def test_collinear_pieces_are_merged_both_ways():
    halves = [(0, 0, 50, 0, None), (50, 0, 100, 0, None), *SQUARE[1:]]
    assert compare_drawings(SQUARE, halves) == (0, 0)
    assert compare_drawings(halves, SQUARE) == (0, 0)
    overlapping = [(0, 0, 60, 0, None), (100, 0, 40, 0, None), *SQUARE[1:]]
    assert compare_drawings(SQUARE, overlapping) == (0, 0)


def test_pieces_with_a_gap_are_not_merged():
    gap = [(0, 0, 40, 0, None), (60, 0, 100, 0, None)]
    assert len(merge_collinear(gap, 1.0)) == 2
    assert compare_drawings([(0, 0, 100, 0, None)], gap) == (1, 2)


def test_parallel_lines_are_not_merged():
    parallel = [(0, 0, 100, 0, None), (0, 10, 100, 10, None)]
    assert sorted(merge_collinear(parallel, 1.0)) == sorted(normalise(s) for s in parallel)


def test_colours_count_only_when_asked():
    red = [(0, 0, 100, 0, "red")]
    blue = [(0, 0, 100, 0, "blue")]
    assert compare_drawings(red, blue) == (1, 1)
    assert compare_drawings(red, red) == (0, 0)
