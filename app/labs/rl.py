"""Lab: reinforcement learning on a gridworld (slides 82, 99–101). The agent learns, for every
action, the expected reward: Q(s, a) ← Q(s, a) + α (r + γ maxₐ′ Q(s′, a′) − Q(s, a)).

Routes:
  GET /rl              the page: the grid to edit by tap, Q-learning running in the browser
                       (static/js/rl.js, the twin of app/nn/rl.py), and value iteration's exact answer
  GET /rl/exact        its htmx fragment: value iteration on the grid (values, arrows, the path)
  POST /api/rl/gridworld   either method as JSON: values, Q, policy, greedy path, returns

The state is in the query string: the grid (rows joined by "_", walls as %23), the parameters,
the seed and how many steps the agent has taken, so a reload replays the same run:

    /rl?grid=S..%23_.%23.G_...X&gamma=0.9&step_reward=-0.01&alpha=0.5&epsilon=0.2&seed=1&steps=0
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from app.i18n import catalogue
from app.labs import Lab
from app.errors import FieldError
from app.labs.forms import parse_query, plain_number
from app.nn.rl import ACTIONS, CELLS, Gridworld, Solution, q_learning, value_iteration
from app.web import render, translator

router = APIRouter()
LAB = Lab(slug="rl", path="/rl", title_key="rl.title", summary_key="rl.summary", steps=(4, 5), icon="🕹")

MAX_SIDE = 12  # rows and columns: a 12 × 12 grid still has 30-px cells on a phone
MAX_EPISODES = 5000
MAX_TOTAL_STEPS = 200_000  # the server's Q-learning stops here (≈ 1 s); the browser has no limit
MAX_BROWSER_STEPS = 1_000_000  # steps replayed from the URL
PRESETS = {
    "lecture": ("....#G", ".##...", "...#X.", ".X....", "S....."),
    "cliff": ("........", "........", "........", "SXXXXXXG"),
    "maze": ("S.#...", ".##.#.", "....#.", "#.#.#.", "..#..X", ".##..G"),
}
DEFAULT_GRID = PRESETS["lecture"]


def check_grid(rows: list[str]) -> list[str]:
    """A rectangle of known letters with one start and a goal; too big is a clear message."""
    if len(rows) > MAX_SIDE or any(len(r) > MAX_SIDE for r in rows):
        raise FieldError("rl.too_big", limit=MAX_SIDE, rows=len(rows), cols=max(map(len, rows), default=0))
    if not rows or not rows[0]:
        raise FieldError("rl.empty")
    if any(len(r) != len(rows[0]) for r in rows):
        raise FieldError("rl.ragged")
    unknown = sorted({c for r in rows for c in r if c not in CELLS})
    if unknown:
        raise FieldError("rl.unknown_cell", letters=" ".join(unknown), cells=" ".join(CELLS))
    starts = sum(r.count("S") for r in rows)
    if starts == 0:
        raise FieldError("rl.no_start")
    if starts > 1:
        raise FieldError("rl.two_starts", n=starts)
    if not any("G" in r for r in rows):
        raise FieldError("rl.no_goal")
    return rows


def _grid_from_text(value):
    """The URL's grid: rows joined by "_" (a query string gives it as a list of one)."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        value = value[0]
    return value.split("_") if isinstance(value, str) else value


GridRows = Annotated[list[str], AfterValidator(check_grid)]
Gamma = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, description="discount γ, 0…1")]
StepReward = Annotated[float, Field(ge=-1, le=1, allow_inf_nan=False, description="reward for every step, −1…1")]
Alpha = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False, description="learning rate α, 0 < α ≤ 1")]
Epsilon = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, description="exploration ε, 0…1")]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1, description="random seed (mulberry32)")]


class GridParams(BaseModel):
    """The world and the learner's knobs, shared by the page's URL and the JSON API."""

    grid: GridRows = Field(default_factory=lambda: list(DEFAULT_GRID),
                           description="rows of S start, G goal (+1), X pit (−1), # wall, . empty")
    gamma: Gamma = 0.9
    step_reward: StepReward = -0.01
    alpha: Alpha = 0.5
    epsilon: Epsilon = 0.2
    seed: Seed = 1

    @field_validator("grid", mode="before")
    @classmethod
    def _split(cls, value):
        return _grid_from_text(value)

    def world(self) -> Gridworld:
        return Gridworld(tuple(self.grid), self.step_reward)


class GridworldInput(GridParams):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"grid": ["S..#", ".#.G", "...X"], "method": "q_learning", "gamma": 0.9, "step_reward": -0.01,
         "alpha": 0.1, "epsilon": 0.2, "episodes": 500, "seed": 1}]})

    method: Literal["value_iteration", "q_learning"] = "value_iteration"
    episodes: int = Field(500, ge=1, le=MAX_EPISODES, description=f"Q-learning episodes, at most {MAX_EPISODES}")


class RLState(GridParams):
    """What /rl shows, as it appears in the URL."""

    steps: int = Field(0, ge=0, le=MAX_BROWSER_STEPS, description="agent steps taken so far (replayed on load)")

    def query(self) -> str:
        return urlencode({"grid": "_".join(self.grid), "gamma": plain_number(self.gamma),
                          "step_reward": plain_number(self.step_reward), "alpha": plain_number(self.alpha),
                          "epsilon": plain_number(self.epsilon), "seed": self.seed, "steps": self.steps})


# [row, col]: a list in the schema (schemathesis 4 cannot check a tuple's prefixItems in a response)
Cell = Annotated[list[int], Field(min_length=2, max_length=2)]


class GridworldOut(BaseModel):
    method: str
    values: list[list[float | None]] = Field(description="V = maxₐ Q per cell; 0 at terminals, null at walls")
    q: list[list[list[float]]] = Field(description="[Q up, right, down, left] per cell")
    policy: list[list[Literal[ACTIONS] | None]] = Field(description="the greedy action; null at walls, terminals and ties")  # type: ignore[valid-type]
    path: list[Cell] = Field(description="[row, col] cells, greedy from S")
    returns: list[float] | None = Field(None, description="Q-learning: the sum of rewards of every episode")
    episodes: int | None = Field(None, description="Q-learning: episodes run (fewer than asked when the step budget ran out)")
    steps: int | None = Field(None, description="Q-learning: steps taken in all")
    sweeps: int | None = Field(None, description="value iteration: sweeps until no value moved")
    converged: bool | None = None


def solve(body: GridworldInput) -> GridworldOut:
    world = body.world()
    extra: dict = {}
    if body.method == "value_iteration":
        solution: Solution = value_iteration(world, body.gamma)
        extra = solution.extra
    else:
        solution, agent = q_learning(world, body.gamma, body.alpha, body.epsilon, body.episodes, body.seed,
                                     max_steps=MAX_TOTAL_STEPS)
        extra = {"returns": agent.returns, "episodes": len(agent.returns), "steps": agent.steps}
    return GridworldOut(method=body.method, values=solution.values(), q=solution.q, policy=solution.policy(),
                        path=solution.path(), **extra)


ARROWS = {"up": "↑", "right": "→", "down": "↓", "left": "←"}


def exact_context(state: RLState) -> dict:
    """Value iteration on the page's grid, as the template draws it."""
    world = state.world()
    solution = value_iteration(world, state.gamma)
    path = solution.path()
    reached = world.cell(path[-1]) if world.is_terminal(path[-1]) else None
    total = sum(world.move(a, _step_between(a, b))[1] for a, b in zip(path, path[1:]))
    return {"world": world, "values": solution.values(), "q": solution.q, "policy": solution.policy(), "path": path,
            "path_cells": set(path), "reached": reached, "path_return": total, "arrows": ARROWS,
            "sweeps": solution.extra["sweeps"], "converged": solution.extra["converged"]}


def _step_between(a: Cell, b: Cell) -> int:
    return next(k for k, (di, dj) in enumerate(((-1, 0), (0, 1), (1, 0), (0, -1))) if (a[0] + di, a[1] + dj) == b)


def page_context(request: Request, state: RLState) -> dict:
    _ = translator(request)
    js_text = {k.removeprefix("rl.js."): v for k, v in _.many(*(k for k in catalogue() if k.startswith("rl.js."))).items()}
    return {"state": state, "query": state.query(), "presets": PRESETS, "plain": plain_number,
            "max_side": MAX_SIDE, **exact_context(state), "js_text": js_text}


@router.get("/rl", response_class=HTMLResponse, include_in_schema=False)
def rl_page(request: Request):
    state, error = parse_query(RLState, request)
    return render(request, "rl.html", {**page_context(request, state), "error": error}, 422 if error else 200)


@router.get("/rl/exact", response_class=HTMLResponse, include_in_schema=False)
def rl_exact_fragment(request: Request, state: Annotated[RLState, Query()]):
    response = render(request, "partials/rl_exact.html", {"state": state, **exact_context(state), "fragment": True})
    response.headers["HX-Push-Url"] = f"/rl?{state.query()}"
    return response


@router.post("/api/rl/gridworld", response_model=GridworldOut,
             summary="A gridworld solved by value iteration (exact) or learned by Q-learning")
def rl_api(body: GridworldInput) -> GridworldOut:
    return solve(body)
