"""Your drawing inside the default CNN (slides 175–209 on a learner's own digit): the 16 feature
maps after the first convolution, after pooling, the deeper layers, the dense layer, the softmax,
and the learned 3×3 filters themselves.

Routes: GET /conv/digit (the page), POST /conv/digit/layers (the htmx fragment: every layer of
the network for the drawing), POST /api/digits/activations (the same numbers as JSON). The page's
state is a ConvDigitState in the query string: /conv/digit?brush=18&scale=map
"""

from __future__ import annotations

import threading
from typing import Annotated, Literal

import numpy as np
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from app.deps import ModelsDep, SettingsDep
from app.labs import Lab
from app.labs.conv import encode_matrix
from app.ml import digits as digit_math
from app.ml.conv_digit import CnnInside, Layer, ink_png, map_png, weights_png
from app.ml.registry import ModelNotAvailable, resolve_file
from app.web import UserError, render

router = APIRouter()
LAB = Lab(slug="conv_digit", path="/conv/digit", title_key="conv_digit.title", summary_key="conv_digit.summary", steps=(4,), icon="▤")

MODEL_ID = "digits-cnn"  # the default CNN trained by `playground train-defaults`
_load_lock = threading.Lock()


class ConvDigitState(BaseModel):
    """What /conv/digit shows, as it appears in the URL."""

    brush: int = Field(18, ge=4, le=48, description="brush diameter on the 280×280 canvas, in pixels")
    scale: Literal["layer", "map"] = Field("layer", description="brightest square: the whole layer's largest number, or each map's own")


def get_inside(request: Request, settings: SettingsDep, models: ModelsDep) -> CnnInside:
    """The default CNN, loaded once per process and kept on app.state (never per request)."""
    inside = getattr(request.app.state, "conv_digit", None)
    if inside is not None:
        return inside
    with _load_lock:
        inside = getattr(request.app.state, "conv_digit", None)
        if inside is None:
            manifest = models.manifest(MODEL_ID)
            try:
                if manifest is None:
                    raise ModelNotAvailable(MODEL_ID)
                inside = CnnInside.load(resolve_file(settings, manifest, "keras_file"))
            except (ModelNotAvailable, OSError, ValueError) as exc:
                raise UserError("conv_digit.error_model", 503) from exc
            request.app.state.conv_digit = inside
    return inside


InsideDep = Annotated[CnnInside, Depends(get_inside)]
DRAWING_BODY = digit_math.MAX_UPLOAD_BYTES + 16 * 1024  # the drawing and the form's other fields


def read_picture(image: UploadFile) -> np.ndarray:
    """The upload → the 28×28 picture the network reads (the digit lab's MNIST preprocessing)."""
    data = image.file.read(digit_math.MAX_UPLOAD_BYTES + 1)
    if len(data) > digit_math.MAX_UPLOAD_BYTES:
        raise UserError("digits.error_too_big", 413, mb=digit_math.MAX_UPLOAD_BYTES // (1024 * 1024))
    return digit_math.preprocess(data)


def layer_views(layers: list[Layer], inside: CnnInside, scale: str) -> list[dict]:
    """Each layer as the page draws it: maps as small PNGs, the dense layer as a strip, the output as bars."""
    views = []
    conv1_kernels, conv1_biases = inside.filters("conv1")
    weight_top = float(np.abs(conv1_kernels).max())
    for layer in layers:
        view = {"name": layer.name, "kind": layer.kind, "shape": "×".join(str(d) for d in layer.values.shape)}
        if layer.name == "input":
            view["maps"] = [{"src": ink_png(layer.values[..., 0]), "index": 0, "max": float(layer.values.max())}]
        elif layer.is_map:
            h, w, channels = layer.values.shape
            top = float(layer.values.max())
            view.update(size=h, channels=channels, maps=[])
            if layer.name == "conv1":  # the picture, for "work this map out in the explorer" (2 decimals)
                view["explore_image"] = encode_matrix(np.round(layers[0].values[..., 0].astype(np.float64), 2), {})
            for c in range(channels):
                values = layer.values[..., c]
                peak = float(values.max())
                item = {"src": map_png(values, top if scale == "layer" else peak), "index": c + 1, "max": peak}
                if layer.name == "conv1":
                    kernel = conv1_kernels[:, :, 0, c]
                    item.update(filter_src=weights_png(kernel, weight_top), weights=np.round(kernel.astype(np.float64), 3).tolist(),
                                bias=round(float(conv1_biases[c]), 3))
                view["maps"].append(item)
        elif layer.kind == "Flatten":
            view["units"] = int(layer.values.size)
        elif layer.name == "output":
            view["probabilities"] = [float(p) for p in layer.values]
            view["prediction"] = int(np.argmax(layer.values))
        else:  # a hidden Dense layer: its numbers as one strip of squares
            values = layer.values.reshape(1, -1)
            view.update(strip=map_png(values, float(values.max())), units=int(values.size))
        views.append(view)
    return views


def filter_views(inside: CnnInside) -> list[dict]:
    """conv1's learned 3×3 filters as pictures (red +, blue −) with their numbers."""
    kernels, biases = inside.filters("conv1")
    top = float(np.abs(kernels).max())
    return [{"index": f + 1, "src": weights_png(kernels[:, :, 0, f], top),
             "weights": np.round(kernels[:, :, 0, f].astype(np.float64), 3).tolist(), "bias": round(float(biases[f]), 3)}
            for f in range(kernels.shape[-1])]


@router.get("/conv/digit", response_class=HTMLResponse, summary="Your drawing inside the default CNN (page)")
def conv_digit_page(request: Request, state: Annotated[ConvDigitState, Query()]):
    return render(request, "conv_digit.html", {"state": state, "layers": None})


@router.get("/conv/digit/filters", response_class=HTMLResponse, include_in_schema=False)
def conv_digit_filters(request: Request, inside: InsideDep):
    """The learned filters, before any drawing (the page asks for them as it loads; the first call loads the CNN)."""
    return render(request, "partials/conv_digit_filters.html", {"filters": filter_views(inside)})


@router.post("/conv/digit/layers", response_class=HTMLResponse, include_in_schema=False, max_body_size=DRAWING_BODY)
def conv_digit_layers(request: Request, inside: InsideDep, image: UploadFile = File(...), scale: Literal["layer", "map"] = Form("layer")):
    picture = read_picture(image)
    layers = inside.run(picture)
    return render(request, "partials/conv_digit_layers.html", {"layers": layer_views(layers, inside, scale), "scale": scale})


# ---- the JSON API --------------------------------------------------------------------------

class LayerOutput(BaseModel):
    name: str = Field(description="conv1, pool1, conv2, …, dense1, output")
    type: str = Field(description="Conv2D, MaxPooling2D, Flatten or Dense")
    shape: list[int] = Field(description="(height, width, channels) for maps, (units,) otherwise")
    maps: list[list[list[float]]] | None = Field(None, description="one 2-D map per channel: maps[channel][row][col]")
    values: list[float] | None = Field(None, description="a flat layer's numbers (Flatten, Dense)")


class ConvFilters(BaseModel):
    layer: str
    kernels: list[list[list[float]]] = Field(description="the first layer's learned 3×3 filters: kernels[filter][row][col]")
    biases: list[float]


class Activations(BaseModel):
    model: str
    prediction: int = Field(ge=0, le=9)
    probabilities: list[float] = Field(min_length=10, max_length=10)
    input: list[list[int]] = Field(description="the 28×28 picture the network read: 0 (paper) … 255 (ink)")
    layers: list[LayerOutput]
    filters: ConvFilters


@router.post("/api/digits/activations", response_model=Activations, tags=["conv"],
             summary="Every layer of the default CNN for a handwritten digit",
             responses={413: {"description": "upload over 2 MB"}, 415: {"description": "not a PNG, JPEG or WebP image"},
                        422: {"description": "empty canvas or broken image"}, 503: {"description": "the default CNN is not available"}},
             max_body_size=DRAWING_BODY)
def activations_api(inside: InsideDep, image: UploadFile = File(description="the drawing as PNG, JPEG or WebP")) -> Activations:
    """The drawing, preprocessed like MNIST, through the default CNN: every layer's output
    (conv1 → 28×28×16 feature maps, pool1 → 14×14×16, …, dense1, the softmax output) and
    conv1's learned filters. Numbers are rounded to 4 decimals."""
    picture = read_picture(image)
    layers = inside.run(picture)
    outputs = []
    for layer in layers[1:]:
        values = np.round(layer.values.astype(np.float64), 4)
        if layer.is_map:
            outputs.append(LayerOutput(name=layer.name, type=layer.kind, shape=list(values.shape), maps=np.moveaxis(values, -1, 0).tolist()))
        else:
            outputs.append(LayerOutput(name=layer.name, type=layer.kind, shape=list(values.shape), values=values.tolist()))
    kernels, biases = inside.filters("conv1")
    probabilities = layers[-1].values.astype(np.float64)
    return Activations(
        model=MODEL_ID,
        prediction=int(np.argmax(probabilities)),
        probabilities=probabilities.tolist(),
        input=digit_math.as_pixels(picture),
        layers=outputs,
        filters=ConvFilters(layer="conv1", kernels=np.round(np.moveaxis(kernels[:, :, 0, :], -1, 0).astype(np.float64), 4).tolist(),
                            biases=np.round(biases.astype(np.float64), 4).tolist()),
    )
