"""The convolution explorer (slides 175–209): a filter slides over the lecture's 8×8 image, one
stop at a time, and writes the score board; then bias + ReLU, then 2×2 max-pooling.

Routes: GET /conv (the page), GET /conv/stage (the htmx fragment: everything below the title),
POST /api/conv (the same math as JSON). The state is a ConvState in the query string:

    /conv?image=lecture&kernel=vertical&padding=same&stride=1&bias=0&step=10

`image` and `kernel` are a preset's name or the numbers themselves, rows joined by "_" and
cells by ",": image=1,0,0_0,1,0_0,0,1.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal
from urllib.parse import urlencode

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, BeforeValidator, Field

from app.errors import FieldError
from app.labs import Lab
from app.nn import conv
from app.web import UserError, is_htmx, render

router = APIRouter()
LAB = Lab(slug="conv", path="/conv", title_key="conv.title", summary_key="conv.summary", steps=(4,), icon="▦")

MAX_SIZE = 32  # images and filters up to 32×32
POOL = 2  # the page pools 2×2, as slide 206 does


def _line_image(cells: list[tuple[int, int]], n: int = 8, value: float = 1) -> list[list[float]]:
    image = [[0] * n for _ in range(n)]
    for r, c in cells:
        image[r][c] = value
    return image


# Small examples in the spirit of slides 194–195 and 202–203: a line of 1s on a field of 0s.
IMAGE_PRESETS: dict[str, list[list[float]]] = {
    "lecture": conv.LECTURE_IMAGE,  # slide 191
    "vline": _line_image([(r, 3) for r in range(8)]),  # a vertical line in the middle
    "vline_edge": _line_image([(r, 0) for r in range(8)]),  # …at the left edge: valid padding misses it
    "hline": _line_image([(4, c) for c in range(8)]),  # a horizontal line
    "diagonal": _line_image([(i, i) for i in range(8)]),  # a diagonal line
}
KERNEL_PRESETS: dict[str, list[list[float]]] = {
    "lecture": conv.LECTURE_KERNEL,  # slides 192–193
    "vertical": [[-1, 2, -1], [-1, 2, -1], [-1, 2, -1]],  # likes a bright column with dark sides
    "horizontal": [[-1, -1, -1], [2, 2, 2], [-1, -1, -1]],
    "diagonal": [[2, -1, -1], [-1, 2, -1], [-1, -1, 2]],
}
# The examples shown as buttons: (name, image preset, filter preset).
EXAMPLES = [
    ("lecture", "lecture", "lecture"),
    ("vline", "vline", "vertical"),
    ("vline_h", "vline", "horizontal"),
    ("vline_edge", "vline_edge", "vertical"),
    ("diagonal", "diagonal", "diagonal"),
]


class ConvState(BaseModel):
    """Everything the learner sees on /conv, as it appears in the URL."""

    image: str = Field("lecture", max_length=12000, description="a preset name, or rows joined by '_' of cells joined by ','")
    kernel: str = Field("lecture", max_length=12000, description="a preset name, or rows joined by '_' of cells joined by ','")
    padding: Literal["valid", "same"] = "valid"
    stride: int = Field(1, ge=1, le=2)
    bias: float = Field(0.0, ge=-1000, le=1000)
    step: int = Field(0, ge=0, le=MAX_SIZE * MAX_SIZE, description="how many board cells are filled in")

    def query(self, **changes) -> str:
        data = self.model_dump() | changes
        defaults = ConvState().model_dump()
        return urlencode({k: _plain(v) for k, v in data.items() if v != defaults[k] or k in ("image", "kernel")})


def _plain(value) -> str:
    return conv_number(value) if isinstance(value, float) else str(value)


def conv_number(x: float) -> str:
    """A number for a URL or an input box: 3 rather than 3.0."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def encode_matrix(matrix, presets: dict[str, list[list[float]]]) -> str:
    """A preset's name if the numbers are a preset's, else "r,r,r_r,r,r"."""
    m = [[float(v) for v in row] for row in matrix]
    for name, preset in presets.items():
        if m == [[float(v) for v in row] for row in preset]:
            return name
    return "_".join(",".join(conv_number(v) for v in row) for row in m)


def parse_matrix(text: str, what: Literal["image", "kernel"]) -> list[list[float]]:
    """The URL form back into numbers; a mistake names the row and column the learner sees (from 1)."""
    presets = IMAGE_PRESETS if what == "image" else KERNEL_PRESETS
    if text in presets:
        return [list(map(float, row)) for row in presets[text]]
    matrix: list[list[float]] = []
    for r, row in enumerate(text.strip().split("_"), start=1):
        values = []
        for c, cell in enumerate(row.split(","), start=1):
            try:
                if not cell.strip():  # a box left empty is a message, not a silent 0
                    raise UserError(f"conv.errors.empty_cell_{what}", row=r, col=c)
                value = float(cell.strip().replace("−", "-"))
            except ValueError:
                raise UserError(f"conv.errors.not_number_{what}", row=r, col=c, value=cell[:12]) from None
            if not math.isfinite(value):
                raise UserError(f"conv.errors.not_number_{what}", row=r, col=c, value=cell[:12])
            values.append(value)
        matrix.append(values)
    return matrix


def check_matrices(image: list[list[float]], kernel: list[list[float]]) -> None:
    """Square, at most 32×32, and the filter no larger than the image."""
    for what, m in (("image", image), ("kernel", kernel)):
        rows = len(m)
        if rows == 0 or any(len(row) == 0 for row in m):
            raise UserError(f"conv.errors.empty_{what}")
        for r, row in enumerate(m, start=1):
            if len(row) != rows:
                raise UserError(f"conv.errors.not_square_{what}", rows=rows, r=r, cols=len(row))
        if rows > MAX_SIZE:
            raise UserError(f"conv.errors.too_big_{what}", n=rows, max=MAX_SIZE)
    if len(kernel) > len(image):
        raise UserError("conv.errors.kernel_too_big", k=len(kernel), n=len(image))


def padding_notes(n: int, k: int, stride: int) -> dict[str, tuple[str, dict]]:
    """What each padding choice does to this image, filter and stride, as (locale key, params): the
    label beside the radio button stays true for every size and stride ("same" with stride 2 pads
    one side only, and its board is ⌈n / 2⌉ wide, not n)."""
    valid = conv.board_shape((n, n), (k, k), "valid", stride)[0]
    same = conv.board_shape((n, n), (k, k), "same", stride)[0]
    before, after = conv.same_padding(n, k, stride)
    params = {"n": n, "b": same, "s": stride, "before": before, "after": after}
    if before == after == 0:
        key = "same_none"
    elif before == after:
        key = "same_ring" if same == n else "same_ring_smaller"
    elif before == 0:
        key = "same_after"
    else:
        key = "same_uneven"
    return {"valid": ("conv.padding_valid", {"n": n, "b": valid}), "same": (f"conv.padding_{key}", params)}


# ---- the page ------------------------------------------------------------------------------

def stage_context(state: ConvState) -> dict:
    image = parse_matrix(state.image, "image")
    kernel = parse_matrix(state.kernel, "kernel")
    check_matrices(image, kernel)
    board_size = conv.board_shape((len(image),) * 2, (len(kernel),) * 2, state.padding, state.stride)[0]
    result = conv.run(image, kernel, state.padding, state.stride, state.bias, POOL if board_size >= POOL else 1)
    rows, cols = result.board.shape
    total = rows * cols
    step = min(state.step, total)
    state = state.model_copy(update={"step": step, "image": encode_matrix(image, IMAGE_PRESETS), "kernel": encode_matrix(kernel, KERNEL_PRESETS)})
    window = conv.window_at(image, kernel, (step - 1) // cols, (step - 1) % cols, state.padding, state.stride) if step else None
    (top, _), (left, _) = result.pad
    lecture = state.image == "lecture" and state.kernel == "lecture" and state.padding == "valid" and state.stride == 1
    misprint = conv.LECTURE_SLIDE_MISPRINT
    pooled_ok = result.pooled is not None
    return {
        "state": state,
        "image": np.asarray(image),
        "kernel": np.asarray(kernel),
        "result": result,
        "pad_top": top,
        "pad_left": left,
        "rows": rows,
        "cols": cols,
        "total": total,
        "step": step,
        "window": window,
        "winners": {tuple(map(int, w)) for w in result.winners.reshape(-1, 2)} if pooled_ok else set(),
        "pooled_ok": pooled_ok,
        "board_top": float(np.abs(result.board).max()) or 1.0,  # the brightest cell of the board's heat tint
        "relu_top": float(result.activated.max()) or 1.0,
        "lecture": lecture,
        "misprint": misprint if lecture else None,
        "misprint_step": misprint["row"] * cols + misprint["col"] + 1,
        "examples": [(name, state.query(image=img, kernel=ker, step=0)) for name, img, ker in EXAMPLES],
        "filters": [(name, state.query(kernel=name)) for name in KERNEL_PRESETS],
        "padding_notes": padding_notes(len(image), len(kernel), state.stride),
        "q": state.query,
        "plain": conv_number,
    }


StateQuery = Annotated[ConvState, Query()]


@router.get("/conv", response_class=HTMLResponse, summary="The convolution explorer")
def conv_page(request: Request, state: StateQuery):
    return render(request, "conv.html", stage_context(state))


@router.get("/conv/stage", response_class=HTMLResponse, include_in_schema=False)
def conv_stage(request: Request, state: StateQuery):
    """The fragment the page swaps; edits in the form push the page's URL, stepping replaces it."""
    ctx = stage_context(state)
    response = render(request, "partials/conv_stage.html", ctx)
    if is_htmx(request) and request.headers.get("hx-trigger") == "conv-form":
        response.headers["HX-Push-Url"] = "/conv?" + ctx["state"].query()
    return response


# ---- the JSON API --------------------------------------------------------------------------

def numbers_only(matrix):
    """Rows of JSON numbers; the learner hears which cell is not one (row and column from 1)."""
    if not isinstance(matrix, list) or not all(isinstance(row, list) for row in matrix):
        raise FieldError("conv.errors.not_rows")
    for r, row in enumerate(matrix, start=1):
        for c, value in enumerate(row, start=1):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise FieldError("conv.errors.cell_not_number", row=r, col=c, value=str(value)[:12])
    return matrix


Matrix = Annotated[list[list[float]], BeforeValidator(numbers_only)]
Number = Annotated[float, Field(allow_inf_nan=False)]


class ConvRequest(BaseModel):
    image: Matrix = Field(..., description="a square image, at most 32×32", examples=[conv.LECTURE_IMAGE])
    kernel: Matrix = Field(..., description="a square filter no larger than the image", examples=[conv.LECTURE_KERNEL])
    padding: Literal["valid", "same"] = "valid"
    stride: int = Field(1, ge=1, le=2)
    pool: int = Field(2, ge=1, le=4, description="max-pooling size (1: no pooling)")
    bias: Number = 0.0


class ConvResponse(BaseModel):
    padding: Literal["valid", "same"]
    stride: int
    pool: int
    bias: float
    pad: dict[str, int] = Field(..., description="zeros added at the top, bottom, left and right")
    board: list[list[float]] = Field(..., description="the score board: Σ window × kernel at every stop")
    relu: list[list[float]] = Field(..., description="max(0, board + bias)")
    pooled: list[list[float]] | None = Field(None, description="after max-pooling (null when pool is 1)")
    winners: list[list[list[int]]] | None = Field(None, description="[row, col] on the relu board of each pooled value")


@router.post("/api/conv", response_model=ConvResponse, tags=["conv"], summary="Convolution → ReLU → max-pooling")
def api_conv(body: ConvRequest) -> ConvResponse:
    """The score board of `kernel` sliding over `image` (cross-correlation, as Keras' Conv2D), then
    max(0, board + bias), then pool×pool max-pooling. The lecture's example gives the board
    35 27 44 32 36 38 / … and, pooled, 36 44 43 / 37 26 35 / 38 34 40 (slide 206)."""
    check_matrices(body.image, body.kernel)
    board_size = conv.board_shape((len(body.image),) * 2, (len(body.kernel),) * 2, body.padding, body.stride)[0]
    if body.pool > board_size:
        raise UserError("conv.errors.pool_too_big", pool=body.pool, n=board_size)
    result = conv.run(body.image, body.kernel, body.padding, body.stride, body.bias, body.pool)
    (top, bottom), (left, right) = result.pad
    return ConvResponse(
        padding=body.padding,
        stride=body.stride,
        pool=body.pool,
        bias=body.bias,
        pad={"top": top, "bottom": bottom, "left": left, "right": right},
        board=result.board.tolist(),
        relu=result.activated.tolist(),
        pooled=None if result.pooled is None else result.pooled.tolist(),
        winners=None if result.winners is None else result.winners.tolist(),
    )
