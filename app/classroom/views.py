"""The projector's live views of a class: the wall of drawings, the learning rates, the leaderboard.

Each returns plain data for a partial template (and the JSON API); charts are drawn by the
templates as SVG from the coordinates computed here.
"""

from __future__ import annotations

import base64
import io
import math
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import numpy as np

from app.classroom import store
from app.jobs.store import job_counts
from app.classroom.tables import ClassSession

WALL_SIZE = 60
DESCENT_POINTS = 400
LEADERBOARD_SIZE = 15


@lru_cache(maxsize=4096)
def drawing_png(px_b64: str) -> str:
    """784 grey levels → a 28×28 PNG data URL (the page scales it up with crisp pixels)."""
    from PIL import Image

    pixels = np.frombuffer(base64.b64decode(px_b64), dtype=np.uint8).reshape(28, 28)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def digits_view(url: str, klass: ClassSession) -> dict[str, Any]:
    """Each student's latest drawing (newest first) and, while a digit is asked for, how many of the
    drawings made for it the network read as that digit (each student's latest drawing counted once).
    A tile gets ✓/✗ only when it was drawn for the digit asked now: without a task there is nothing
    to be right about."""
    latest = store.latest_per_student(url, klass.id, "digits")
    tiles = []
    for r in latest[:WALL_SIZE]:
        target = r.get("target")
        for_task = klass.digit_target is not None and target == klass.digit_target
        tiles.append({
            "id": r["id"], "nickname": r["nickname"], "prediction": r["prediction"], "target": target,
            "right": r["prediction"] == target if for_task else None, "png": drawing_png(r["px"]),
        })
    asked = [r for r in latest if klass.digit_target is not None and r.get("target") == klass.digit_target]
    right = sum(r["prediction"] == r["target"] for r in asked)
    return {"tiles": tiles, "target": klass.digit_target, "total": len(asked), "right": right,
            "percent": round(100 * right / len(asked)) if asked else None, "students": len(latest)}


# The descent chart: x = log10(η) from 10⁻⁴ to 10¹, one lane per verdict.
ETA_MIN_LOG, ETA_MAX_LOG = -4.0, 1.0
VERDICT_ORDER = ("converged", "local", "converging", "oscillating", "diverged")
CHART_W, LEFT, RIGHT, TOP, LANE = 760, 170, 20, 20, 50


def verdict_lane(verdict: str) -> str:
    """app/nn/descent.py's verdicts → the chart's lanes (stalled and converging: not there yet)."""
    v = verdict.lower()
    if v == "converged":
        return "converged"
    if "local" in v:
        return "local"
    if "oscil" in v:
        return "oscillating"
    if "diver" in v:
        return "diverged"
    return "converging"


def descent_view(url: str, klass: ClassSession) -> dict[str, Any]:
    lanes = list(VERDICT_ORDER)
    points, counts = [], {lane: 0 for lane in lanes}
    width = CHART_W - LEFT - RIGHT
    seen = set()
    for r in store.results(url, klass.id, "descent", DESCENT_POINTS * 4):
        eta = r["eta"]
        key = (r["nickname"], eta, r.get("loss"))
        if eta <= 0 or key in seen or len(seen) >= DESCENT_POINTS:
            continue  # a student's latest verdict for each η they tried
        seen.add(key)
        lane = verdict_lane(r["verdict"])
        counts[lane] += 1
        x_log = min(max(math.log10(eta), ETA_MIN_LOG), ETA_MAX_LOG)
        x = LEFT + (x_log - ETA_MIN_LOG) / (ETA_MAX_LOG - ETA_MIN_LOG) * width
        jitter = ((r["id"] * 7919) % 29 - 14) * 1.2  # deterministic spread so equal η stay visible
        y = TOP + LANE * lanes.index(lane) + LANE / 2 + jitter
        points.append({"x": round(x, 1), "y": round(y, 1), "lane": lane, "eta": eta, "nickname": r["nickname"]})
    ticks = [{"x": round(LEFT + (k - ETA_MIN_LOG) / (ETA_MAX_LOG - ETA_MIN_LOG) * width, 1), "label": f"{10.0 ** k:g}"}
             for k in range(int(ETA_MIN_LOG), int(ETA_MAX_LOG) + 1)]
    height = TOP + LANE * len(lanes) + 52
    return {"points": points, "lanes": [{"name": l, "y": TOP + LANE * i + LANE / 2, "count": counts[l]} for i, l in enumerate(lanes)],
            "ticks": ticks, "width": CHART_W, "height": height, "left": LEFT, "axis_y": TOP + LANE * len(lanes),
            "total": len(points)}


def train_view(url: str, klass: ClassSession) -> dict[str, Any]:
    """Each student's best network, best first (ties: fewer parameters, then faster)."""
    best: dict[str, dict[str, Any]] = {}
    for r in store.results(url, klass.id, "train", 2000):
        key = r["nickname"]
        if key not in best or (r["accuracy"], -r["params"]) > (best[key]["accuracy"], -best[key]["params"]):
            best[key] = r
    rows = sorted(best.values(), key=lambda r: (-r["accuracy"], r["params"], r.get("seconds") or 0))
    since = datetime.fromtimestamp(klass.created_at, timezone.utc)
    jobs = job_counts(url, store.browser_ids(url, klass.id), since, "train")  # queued / running (packed) / done
    return {"rows": rows[:LEADERBOARD_SIZE], "total": len(rows), "jobs": jobs}


def photos_view(url: str, klass: ClassSession) -> dict[str, Any]:
    tally: dict[str, int] = {}
    for r in store.results(url, klass.id, "photos", 1000):
        tally[r["label"]] = tally.get(r["label"], 0) + 1
    rows = sorted(tally.items(), key=lambda kv: -kv[1])[:12]
    return {"rows": [{"label": k, "count": v} for k, v in rows], "total": sum(tally.values())}


VIEWS = {"digits": digits_view, "descent": descent_view, "train": train_view, "photos": photos_view}
