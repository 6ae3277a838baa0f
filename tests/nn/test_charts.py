"""app/charts.py, the SVG line-chart helper the labs share (kept here with the math it draws)."""

import math

import pytest

from app.charts import Chart, nice_ticks, padded_range, tick_label


def test_nice_ticks_are_round_and_inside():
    assert nice_ticks(0, 10, 5) == [0, 2, 4, 6, 8, 10]
    assert nice_ticks(-1.5, 1.5, 6) == [-1.5, -1, -0.5, 0, 0.5, 1, 1.5]
    ticks = nice_ticks(-3.2, 7.1, 5)
    assert all(-3.2 <= t <= 7.1 for t in ticks) and len(ticks) >= 3


def test_tick_labels_use_a_true_minus():
    assert tick_label(-2) == "−2" and tick_label(0) == "0" and tick_label(0.5) == "0.5"
    assert tick_label(1500) == "1500" and tick_label(20000.0) == "20000"
    assert tick_label(2e6) == "2×10⁶" and tick_label(-1e-5) == "−10⁻⁵" and tick_label(1.5e7) == "1.5×10⁷"


def test_scale_maps_corners_and_points_up():
    c = Chart(x_range=(0, 10), y_range=(0, 100), width=640, height=400, margin=(10, 10, 10, 10))
    assert (c.sx(0), c.sx(10)) == (10, 630)
    assert (c.sy(0), c.sy(100)) == (390, 10)  # larger y is higher on screen


def test_non_finite_points_split_a_line():
    c = Chart(x_range=(0, 3), y_range=(0, 3))
    c.line([0, 1, 2, 3], [0, float("nan"), 2, 3])
    assert len(c.lines) == 2 and len(c.lines[1].points.split()) == 2


def test_tangent_has_the_slope_and_length_asked_for():
    c = Chart(x_range=(-2, 2), y_range=(0, 8), width=400, height=400, margin=(0, 0, 0, 0))
    c.tangent(1, 4, 8, length_px=100)  # L = 4w² at w = 1: slope 8
    s = c.segments[0]
    assert math.hypot(s.x2 - s.x1, s.y2 - s.y1) == pytest.approx(100, abs=0.2)  # ±0.1-px rounding in sx/sy
    # back in data units the segment's slope is 8 (pixels: 100 per unit of w, 50 per unit of L)
    assert ((s.y1 - s.y2) / 50) / ((s.x2 - s.x1) / 100) == pytest.approx(8, rel=1e-6)


def test_far_points_are_clamped_not_huge():
    c = Chart(x_range=(0, 1), y_range=(0, 1))
    c.marker(1e12, 1e12)
    assert abs(c.markers[0].cx) <= 1e5 and c.labelled_markers == []


def test_padded_range():
    assert padded_range([0, 10], pad=0.1) == (-1, 11)
    assert padded_range([float("inf"), 3, 3], minimum_span=2, pad=0) == (2, 4)


def test_chart_renders(client):
    from app.web import templates

    c = Chart(x_range=(-1, 1), y_range=(0, 1), x_label="w", id="t")
    c.line([-1, 0, 1], [1, 0, 1]).marker(0, 0, label="w₀")
    svg = templates().get_template("partials/chart.svg.html").render(chart=c)
    assert svg.count("<polyline") == 1 and "w₀" in svg and 'clip-path="url(#t-clip)"' in svg
