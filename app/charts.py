"""Small server-rendered SVG line charts: crisp on a projector, no chart library, no JavaScript.

Build a Chart in data coordinates, add what to draw, and include the template:

    chart = Chart(x_range=(-3, 7), y_range=(0, 26), x_label="w", y_label="L(w)", id="loss")
    chart.line(ws, losses)                       # a curve (polyline), class "series"
    chart.line(path_w, path_L, cls="path-line")  # any CSS class from static/css/app.css
    chart.marker(w, L, label="w₀")               # a point, class "dot"
    chart.tangent(w, L, slope)                   # a short segment through (w, L) with that slope

    {% with chart=chart %}{% include "partials/chart.svg.html" %}{% endwith %}

Everything is converted to pixels in a fixed viewBox here, so the template only prints numbers.
Points that are not finite split a line; anything outside the ranges is clipped to the plot area.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Sequence

_FAR = 1e5  # pixel coordinates are clamped to ±_FAR: clipped anyway, and SVG stays small


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About `count` round numbers (1, 2 or 5 × 10ᵏ apart) between lo and hi."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    spacing = min((m * power for m in (1, 2, 5, 10)), key=lambda step: abs(math.log(step / raw)))
    first = math.ceil(lo / spacing - 1e-9)
    ticks = []
    k = first
    while k * spacing <= hi + spacing * 1e-9:
        ticks.append(round(k * spacing, 12) + 0.0)  # + 0.0 turns −0 into 0
        k += 1
    return ticks


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def tick_label(value: float) -> str:
    """Short and the way a maths class writes it: −2, 0.5, 1500, 2×10⁶, a true minus sign."""
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e5:
        text = str(int(value)) if value == int(value) else f"{value:.4g}"
    else:
        mantissa, exponent = f"{value:.1e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        power = "10" + str(int(exponent)).translate(_SUPERSCRIPT)
        text = power if mantissa == "1" else f"−{power}" if mantissa == "-1" else f"{mantissa}×{power}"
    return text.replace("-", "−")


def padded_range(values: Iterable[float], pad: float = 0.05, minimum_span: float = 1.0) -> tuple[float, float]:
    """The span of the finite values, widened by `pad` of it on each side."""
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return (0.0, minimum_span)
    lo, hi = min(finite), max(finite)
    if hi - lo < minimum_span:
        mid = (lo + hi) / 2
        lo, hi = mid - minimum_span / 2, mid + minimum_span / 2
    span = hi - lo
    return (lo - pad * span, hi + pad * span)


@dataclass
class Polyline:
    points: str  # "x,y x,y …" in pixels
    cls: str


@dataclass
class Marker:
    cx: float
    cy: float
    r: float
    cls: str
    label: str = ""


@dataclass
class Segment:
    x1: float
    y1: float
    x2: float
    y2: float
    cls: str


@dataclass
class Chart:
    """A line chart in a `width` × `height` viewBox; data coordinates in x_range × y_range."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    x_label: str = ""
    y_label: str = ""
    title: str = ""  # read by screen readers (aria-label)
    id: str = "chart"  # unique per page: names the clip path
    width: int = 640
    height: int = 400
    margin: tuple[int, int, int, int] = (30, 20, 44, 72)  # top, right, bottom, left
    lines: list[Polyline] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)

    # ---- geometry ----
    @property
    def left(self) -> float:
        return self.margin[3]

    @property
    def right(self) -> float:
        return self.width - self.margin[1]

    @property
    def top(self) -> float:
        return self.margin[0]

    @property
    def bottom(self) -> float:
        return self.height - self.margin[2]

    def sx(self, x: float) -> float:
        """Data x → pixel x."""
        lo, hi = self.x_range
        return _clamp(self.left + (x - lo) / (hi - lo) * (self.right - self.left))

    def sy(self, y: float) -> float:
        """Data y → pixel y (up is up)."""
        lo, hi = self.y_range
        return _clamp(self.bottom - (y - lo) / (hi - lo) * (self.bottom - self.top))

    # ---- what to draw ----
    def line(self, xs: Sequence[float], ys: Sequence[float], cls: str = "series") -> "Chart":
        """A polyline through (xs[i], ys[i]); a non-finite point breaks it in two."""
        run: list[str] = []
        for x, y in zip(xs, ys):
            x, y = float(x), float(y)
            if math.isfinite(x) and math.isfinite(y):
                run.append(f"{self.sx(x):.1f},{self.sy(y):.1f}")
            elif run:
                self.lines.append(Polyline(" ".join(run), cls))
                run = []
        if run:
            self.lines.append(Polyline(" ".join(run), cls))
        return self

    def marker(self, x: float, y: float, cls: str = "dot", r: float = 7, label: str = "") -> "Chart":
        if math.isfinite(x) and math.isfinite(y):
            self.markers.append(Marker(self.sx(x), self.sy(y), r, cls, label))
        return self

    def segment(self, x1: float, y1: float, x2: float, y2: float, cls: str = "tangent") -> "Chart":
        if all(math.isfinite(v) for v in (x1, y1, x2, y2)):
            self.segments.append(Segment(self.sx(x1), self.sy(y1), self.sx(x2), self.sy(y2), cls))
        return self

    def tangent(self, x: float, y: float, slope: float, length_px: float = 160, cls: str = "tangent") -> "Chart":
        """The tangent line through (x, y) with slope dy/dx, `length_px` long on screen whatever the slope."""
        if not all(math.isfinite(v) for v in (x, y, slope)):
            return self
        px_per_x = (self.right - self.left) / (self.x_range[1] - self.x_range[0])
        px_per_y = (self.bottom - self.top) / (self.y_range[1] - self.y_range[0])
        # a step of dx moves (dx·px_per_x, slope·dx·px_per_y) pixels; make that length_px / 2 long
        dx = (length_px / 2) / math.hypot(px_per_x, slope * px_per_y)
        return self.segment(x - dx, y - slope * dx, x + dx, y + slope * dx, cls)

    @property
    def labelled_markers(self) -> list[Marker]:
        """Markers with a label that sit inside the plot area (labels are not clipped)."""
        return [m for m in self.markers if m.label and self.left <= m.cx <= self.right and self.top <= m.cy <= self.bottom]

    def label_position(self, m: Marker) -> tuple[float, float, str]:
        """(x, y, text-anchor) for a marker's label: beside the point, kept inside the chart."""
        right_side = m.cx < self.right - 140
        x = m.cx + m.r + 4 if right_side else m.cx - m.r - 4
        y = m.cy - m.r - 4 if m.cy > self.top + 30 else m.cy + m.r + 18
        return x, y, "start" if right_side else "end"

    # ---- axes ----
    @property
    def x_ticks(self) -> list[tuple[float, str]]:
        return [(self.sx(t), tick_label(t)) for t in nice_ticks(*self.x_range, count=max(3, (self.width - 80) // 80))]

    @property
    def y_ticks(self) -> list[tuple[float, str]]:
        return [(self.sy(t), tick_label(t)) for t in nice_ticks(*self.y_range, count=max(3, (self.height - 60) // 60))]

    @property
    def x_axis_y(self) -> float:
        """Where y = 0 is, if it is on the chart, else the bottom edge."""
        lo, hi = self.y_range
        return self.sy(0.0) if lo <= 0 <= hi else self.bottom

    @property
    def y_axis_x(self) -> float:
        lo, hi = self.x_range
        return self.sx(0.0) if lo <= 0 <= hi else self.left


def _clamp(v: float) -> float:
    return max(-_FAR, min(_FAR, v))
