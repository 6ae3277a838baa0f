"""Lab: the playground (TensorFlow Playground's core, for our lecture). Points in the plane, two
classes; the learner picks a data set (circle, XOR, two Gaussians, spiral, or their own points:
tapped in or a CSV upload), input features, 0–6 hidden layers of 1–8 neurons, activations, η,
batch size, L2, noise and the train/test split, and watches the network learn in the browser
(static/js/playground.js on nn.js, whose math tests/browser/test_nn_parity.py checks against
app/nn/mlp.py). The trained network exports as runnable Keras code.

Routes: GET /playground (the page; its state is the query string, which the page keeps up to
date), POST /api/playground/csv (checks an uploaded CSV of x1,x2,label; 422 in the learner's
language). Example:

    /playground?dataset=spiral&features=x1,x2,sin1,sin2&layers=8,8,6&activation=tanh&lr=0.1&batch=10&seed=1
"""

from __future__ import annotations

import csv
import io
import math

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.errors import FieldError, UserError
from app.labs import Lab
from app.labs.forms import parse_query
from app.uploads import read_body
from app.web import render

router = APIRouter()
LAB = Lab(slug="playground", path="/playground", title_key="playground.title", summary_key="playground.summary",
          steps=(3, 4, 5), icon="◐")

DATASETS = ("circle", "xor", "gauss", "spiral", "mine")
FEATURES = ("x1", "x2", "x1sq", "x2sq", "x1x2", "sin1", "sin2")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
LEARNING_RATES = (0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
L2_RATES = (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1)
MAX_LAYERS, MAX_NEURONS = 6, 8
MAX_ROWS = 1000
MAX_CSV_BYTES = 100_000
MAX_URL_POINTS = 300  # tapped points kept in the address
VIEW = 6.0  # the plane shown is [−6, 6]²; uploaded points are scaled into it
# The network the page suggests for each data set (the spiral's reaches test loss < 0.15 in seconds)
SUGGESTED = {
    "circle": {"features": "x1,x2", "layers": "4,2", "activation": "tanh", "lr": 0.03},
    "xor": {"features": "x1,x2", "layers": "4,2", "activation": "tanh", "lr": 0.03},
    "gauss": {"features": "x1,x2", "layers": "2", "activation": "tanh", "lr": 0.03},
    "spiral": {"features": "x1,x2,sin1,sin2", "layers": "8,8,6", "activation": "tanh", "lr": 0.1},
    "mine": {"features": "x1,x2,x1sq,x2sq", "layers": "4,4", "activation": "tanh", "lr": 0.03},
}


def _csv_list(value: str, allowed: tuple[str, ...], key: str) -> str:
    items = [v for v in value.split(",") if v]
    for v in items:
        if v not in allowed:
            raise FieldError(key, choices=" / ".join(allowed))
    return ",".join(items)


class PlaygroundState(BaseModel):
    """What /playground shows, as it appears in the URL."""

    dataset: str = "circle"
    features: str = "x1,x2"
    layers: str = Field("4,2", max_length=40, description="neurons per hidden layer, comma-separated (none: empty)")
    activation: str = "tanh"
    acts: str = Field("", max_length=60, description="per-layer activations, comma-separated (empty: all `activation`)")
    lr: float = Field(0.03, gt=0, le=10, allow_inf_nan=False)
    l2: float = Field(0.0, ge=0, le=1, allow_inf_nan=False)
    batch: int = Field(10, ge=1, le=30)
    noise: int = Field(0, ge=0, le=50, description="percent")
    split: int = Field(50, ge=10, le=90, description="percent of the points used for training")
    seed: int = Field(1, ge=0, le=2**32 - 1)
    pts: str = Field("", max_length=MAX_URL_POINTS * 16, description="tapped points: x,y,label;…")

    @field_validator("dataset")
    @classmethod
    def _dataset(cls, v):
        if v not in DATASETS:
            raise FieldError("playground.unknown_choice", choices=" / ".join(DATASETS))
        return v

    @field_validator("features")
    @classmethod
    def _features(cls, v):
        v = _csv_list(v, FEATURES, "playground.unknown_choice")
        if not v:
            raise FieldError("playground.no_features")
        return v

    @field_validator("activation")
    @classmethod
    def _activation(cls, v):
        return _csv_list(v, ACTIVATIONS, "playground.unknown_choice") or "tanh"

    @field_validator("acts")
    @classmethod
    def _acts(cls, v):
        return _csv_list(v, ACTIVATIONS, "playground.unknown_choice")

    @field_validator("layers")
    @classmethod
    def _layers(cls, v):
        try:
            sizes = [int(n) for n in v.split(",") if n.strip()]
        except ValueError:
            raise FieldError("playground.bad_layers", layers=MAX_LAYERS, neurons=MAX_NEURONS) from None
        if len(sizes) > MAX_LAYERS or any(not 1 <= n <= MAX_NEURONS for n in sizes):
            raise FieldError("playground.bad_layers", layers=MAX_LAYERS, neurons=MAX_NEURONS)
        return ",".join(map(str, sizes))

    @field_validator("pts")
    @classmethod
    def _pts(cls, v):
        rows = [r for r in v.split(";") if r]
        if len(rows) > MAX_URL_POINTS:
            raise FieldError("playground.too_many_rows", limit=MAX_URL_POINTS)
        for r in rows:
            parts = r.split(",")
            try:
                x, y, label = float(parts[0]), float(parts[1]), int(parts[2])
            except (ValueError, IndexError):
                raise FieldError("playground.bad_points") from None
            if len(parts) != 3 or label not in (0, 1) or not (abs(x) <= VIEW and abs(y) <= VIEW):
                raise FieldError("playground.bad_points")
        return ";".join(rows)


class CsvPoints(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"points": [[1.0, 2.0, 1], [-1.5, 0.5, 0]], "scale": 1.0}]})

    points: list[tuple[float, float, int]] = Field(description="[x1, x2, label] with label 0 or 1, scaled into [−6, 6]²")
    scale: float = Field(description="every coordinate was multiplied by this to fit the plane (1: unchanged)")


def _number(text: str, row: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UserError("playground.csv_not_a_number", row=row, column=column, text=text[:20]) from None
    if not math.isfinite(value):
        raise UserError("playground.csv_not_a_number", row=row, column=column, text=text[:20])
    return value


def parse_csv(text: str) -> CsvPoints:
    """Rows x1,x2,label (a header row is skipped); label 0/1 (or −1/1); at most MAX_ROWS rows."""
    rows = [r for r in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in r)]
    if rows and rows[0] and not _looks_numeric(rows[0][0]):
        rows = rows[1:]  # a header such as "x1,x2,label"
    if len(rows) > MAX_ROWS:
        raise UserError("playground.too_many_rows", limit=MAX_ROWS)
    if len(rows) < 2:
        raise UserError("playground.csv_empty")
    points = []
    for i, r in enumerate(rows, start=1):
        if len(r) != 3:
            raise UserError("playground.csv_columns", row=i, n=len(r))
        x1, x2 = _number(r[0].strip(), i, "x1"), _number(r[1].strip(), i, "x2")
        label = _number(r[2].strip(), i, "label")
        if label not in (0, 1, -1):
            raise UserError("playground.csv_label", row=i)
        points.append((x1, x2, 1 if label == 1 else 0))
    biggest = max(max(abs(x1), abs(x2)) for x1, x2, _ in points)
    scale = VIEW * 0.9 / biggest if biggest > VIEW else 1.0
    return CsvPoints(points=[(x1 * scale, x2 * scale, label) for x1, x2, label in points], scale=scale)


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


@router.get("/playground", response_class=HTMLResponse, include_in_schema=False)
def playground_page(request: Request):
    state, error = parse_query(PlaygroundState, request)
    context = {"state": state, "datasets": DATASETS, "features": FEATURES, "activations": ACTIVATIONS,
               "learning_rates": LEARNING_RATES, "l2_rates": L2_RATES, "suggested": SUGGESTED,
               "limits": {"layers": MAX_LAYERS, "neurons": MAX_NEURONS, "url_points": MAX_URL_POINTS}, "error": error}
    return render(request, "playground.html", context, 422 if error else 200)


@router.post("/api/playground/csv", response_model=CsvPoints,
             summary="Check a CSV of x1,x2,label rows for the playground; 422 names the bad row",
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def playground_csv(request: Request) -> CsvPoints:
    body = await read_body(request, MAX_CSV_BYTES, UserError("playground.csv_too_big", 413, kb=MAX_CSV_BYTES // 1000))
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError("playground.csv_not_text") from None
    return parse_csv(text)
