"""Lab page /rnn/memory: why a vanilla RNN forgets (slides 229–232).

The chart: ‖∂h_T/∂xₜ‖ — how much the last state still depends on the input at each step t — for
a SimpleRNN with the learner's recurrent weight scale and activation, next to an LSTM and a GRU
of the same size (app/nn/rnn.py, exact by the complex step; tests compare it with the real Keras
layers). The task: "remember the first symbol after N steps", SimpleRNN vs LSTM, trained as a
worker job (kind "rnn_memory", app/ml/rnn_memory.py).

Routes: GET /rnn/memory (page), GET /rnn/memory/chart (fragment), POST /api/rnn/sensitivity,
POST /rnn/memory/jobs (fragment) and POST /api/rnn/memory/jobs (JSON), GET /rnn/memory/jobs/{id}.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import urlencode

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from app.charts import Chart, nice_ticks
from app.deps import BrowserIdDep, SettingsDep
from app.errors import UserError
from app.jobs import service
from app.labs.forms import parse_query, plain_number
from app.nn.rnn import CELLS, initial_weights, state_sensitivity
from app.web import render, translator

router = APIRouter()
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
FLOOR = -30  # log₁₀ of the smallest norm drawn


class MemoryState(BaseModel):
    """The chart's knobs, as they appear in the URL."""

    activation: Literal["tanh", "sigmoid", "relu"] = Field("tanh", description="the SimpleRNN's φ")
    scale: float = Field(0.8, ge=0.05, le=4, allow_inf_nan=False, description="recurrent weights = scale × orthogonal")
    gate_bias: float = Field(3.0, ge=-5, le=8, allow_inf_nan=False,
                             description="bias of the LSTM's forget gate and the GRU's update gate")
    steps: int = Field(40, ge=2, le=100, description="sequence length T")
    units: int = Field(8, ge=1, le=32, description="neurons per layer")
    seed: int = Field(1, ge=0, le=10_000)


class SensitivityOut(BaseModel):
    steps: list[int] = Field(description="t = 1…T")
    norms: dict[str, list[float]] = Field(description="cell → ‖∂h_T/∂xₜ‖ for each t")


def sensitivities(state: MemoryState) -> dict[str, np.ndarray]:
    """Each cell with Keras-like starting weights (same seed, same size) on the same random inputs."""
    rng = np.random.default_rng(state.seed)
    xs = rng.normal(size=(state.steps, 2))
    out = {}
    for cell in CELLS:
        weights = initial_weights(cell, 2, state.units, np.random.default_rng([state.seed, CELLS.index(cell)]),
                                  recurrent_scale=state.scale, gate_bias=state.gate_bias)
        out[cell] = state_sensitivity(cell, xs, weights, state.activation if cell == "simple_rnn" else "tanh")
    return out


@dataclass
class LogChart(Chart):
    """y is log₁₀ of the value; ticks read 10⁻⁵, 10⁰ …"""

    @property
    def y_ticks(self) -> list[tuple[float, str]]:
        ticks = [t for t in nice_ticks(*self.y_range, count=6) if float(t).is_integer()]
        return [(self.sy(t), "10" + str(int(t)).translate(SUPERSCRIPT)) for t in ticks]


def chart(request: Request, state: MemoryState, norms: dict[str, np.ndarray]) -> LogChart:
    _ = translator(request)
    logs = {c: np.log10(np.maximum(v, 10.0 ** FLOOR)) for c, v in norms.items()}
    lo = max(FLOOR, np.floor(min(v.min() for v in logs.values())) - 1)
    hi = np.ceil(max(v.max() for v in logs.values())) + 0.5
    c = LogChart(x_range=(1, state.steps), y_range=(float(lo), float(hi)), x_label="t",
                 y_label="‖∂h_T/∂xₜ‖", title=_("rnn.memory.chart_title"), id="memory-chart", height=420)
    t = np.arange(1, state.steps + 1)
    for cell in CELLS:
        c.line(t, logs[cell], cls=f"series rnn-{cell}")
    return c


def query_string(state: MemoryState) -> str:
    return urlencode({"activation": state.activation, "scale": plain_number(state.scale),
                      "gate_bias": plain_number(state.gate_bias), "steps": state.steps, "units": state.units,
                      "seed": state.seed})


def chart_context(request: Request, state: MemoryState) -> dict:
    norms = sensitivities(state)
    ratio = {cell: float(v[0] / v[-1]) if v[-1] > 0 else 0.0 for cell, v in norms.items()}
    return {"state": state, "chart": chart(request, state, norms), "ratio": ratio, "cells": CELLS,
            "query": query_string(state), "plain": plain_number}


@router.get("/rnn/memory", response_class=HTMLResponse, include_in_schema=False)
def memory_page(request: Request):
    state, error = parse_query(MemoryState, request)
    return render(request, "rnn_memory.html", {**chart_context(request, state), "error": error,
                                               "job_defaults": MemoryJobInput()}, 422 if error else 200)


@router.get("/rnn/memory/chart", response_class=HTMLResponse, include_in_schema=False)
def memory_chart(request: Request, state: Annotated[MemoryState, Query()]):
    response = render(request, "partials/rnn_memory_chart.html", {**chart_context(request, state), "fragment": True})
    response.headers["HX-Push-Url"] = f"/rnn/memory?{query_string(state)}"
    return response


@router.post("/api/rnn/sensitivity", response_model=SensitivityOut,
             summary="‖∂h_T/∂xₜ‖ for SimpleRNN, LSTM and GRU: how much the last state depends on each step")
def sensitivity_api(body: MemoryState) -> SensitivityOut:
    norms = sensitivities(body)
    return SensitivityOut(steps=list(range(1, body.steps + 1)), norms={c: v.tolist() for c, v in norms.items()})


# --- the memory task as a worker job -------------------------------------------------------------

class MemoryJobInput(BaseModel):
    """Train SimpleRNN and LSTM to recall the first of N + 1 symbols, for each N."""

    cells: list[Literal["simple_rnn", "lstm", "gru"]] = Field(default_factory=lambda: ["simple_rnn", "lstm"],
                                                               min_length=1, max_length=3)
    lengths: list[Annotated[int, Field(ge=1, le=60)]] = Field(default_factory=lambda: [5, 10, 20],
                                                              min_length=1, max_length=5)
    units: int = Field(16, ge=2, le=64)
    epochs: int = Field(25, ge=1, le=60)
    seed: int = Field(1, ge=0, le=10_000)


def submit(settings, owner: str, body: MemoryJobInput) -> str:
    params = body.model_dump()
    params["lengths"] = sorted(set(params["lengths"]))
    return service.submit_job(settings, "rnn_memory", params, owner=owner)


@router.post("/api/rnn/memory/jobs", summary="Start a memory-task job (kind rnn_memory); poll GET /api/jobs/{id}")
def memory_job_api(body: MemoryJobInput, settings: SettingsDep, owner: BrowserIdDep) -> dict:
    return {"id": submit(settings, owner, body)}


@router.post("/rnn/memory/jobs", response_class=HTMLResponse, include_in_schema=False)
def memory_job_form(request: Request, settings: SettingsDep, owner: BrowserIdDep,
                    body: Annotated[MemoryJobInput, Query()]):
    job_id = submit(settings, owner, body)
    return memory_job_fragment(request, job_id, settings)


@router.get("/rnn/memory/jobs/{job_id}", response_class=HTMLResponse, include_in_schema=False)
def memory_job_fragment(request: Request, job_id: str, settings: SettingsDep):
    job = service.get_job(settings, job_id)
    if job is None or job.kind != "rnn_memory":
        raise UserError("jobs.not_found", 404)
    view = service.job_view(settings, job, translator(request))
    params = job.params or {}
    return render(request, "partials/rnn_memory_job.html", {"job": view, "lengths": params.get("lengths", []),
                                                            "cells": params.get("cells", [])})
