"""The training lab's form and charts: the design form as it sits in the URL, and the live curves.

The design page's state is a DesignForm in the query string, one value per form field:

    /train?architecture=dnn&layers=2&neurons=100&neurons=100&activation=relu&loss=mse
          &optimizer=sgd&learning_rate=0.087&batch_size=100&epochs=5

(a CNN adds blocks, filters, kernel, padding, pool, dense_count, dense). `to_design()` turns it
into the TrainDesign that POST /api/jobs takes, so a teacher's link starts exactly that design.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.charts import Chart
from app.ml.design import INPUT_SHAPE, LECTURE_LR, MAX_UNITS, ConvBlock, TrainDesign

MAX_LAYERS, MAX_BLOCKS, MAX_DENSE = 5, 3, 3
DEFAULT_SEED = TrainDesign.model_fields["seed"].default
# One value of a repeated field, bounded as TrainDesign and ConvBlock bound it, so that a bad value
# in the URL is reported with its field's name ("neurons[0] must be at most 4096"), not as a 500.
Units = Annotated[int, Field(ge=1, le=MAX_UNITS)]
Filters = Annotated[int, Field(ge=1, le=256)]
Kernel = Annotated[int, Field(ge=1, le=9)]
Pool = Annotated[int, Field(ge=0, le=4)]


class DesignForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    architecture: Literal["dnn", "cnn"] = "dnn"
    layers: int = Field(2, ge=1, le=MAX_LAYERS)
    neurons: list[Units] = Field(default_factory=lambda: [100, 100], max_length=MAX_LAYERS)
    blocks: int = Field(3, ge=1, le=MAX_BLOCKS)
    filters: list[Filters] = Field(default_factory=lambda: [16, 32, 64], max_length=MAX_BLOCKS)
    kernel: list[Kernel] = Field(default_factory=lambda: [3, 3, 3], max_length=MAX_BLOCKS)
    padding: list[Literal["same", "valid"]] = Field(default_factory=lambda: ["same"] * 3, max_length=MAX_BLOCKS)
    pool: list[Pool] = Field(default_factory=lambda: [2, 2, 2], max_length=MAX_BLOCKS)
    dense_count: int = Field(1, ge=0, le=MAX_DENSE)
    dense: list[Units] = Field(default_factory=lambda: [64], max_length=MAX_DENSE)
    activation: Literal["relu", "sigmoid", "tanh"] = "relu"
    loss: Literal["mse", "categorical_crossentropy"] = "mse"
    optimizer: Literal["sgd", "adam"] = "sgd"
    learning_rate: float = Field(LECTURE_LR, gt=0, le=10, allow_inf_nan=False)
    batch_size: int = Field(100, ge=1, le=2048)
    epochs: int = Field(5, ge=1, le=50)
    seed: int = Field(DEFAULT_SEED, ge=0, le=2**31 - 1)

    def padded(self, values: list, n: int, default) -> list:
        return (list(values) + [default] * n)[:n]

    def to_design(self) -> TrainDesign:
        """The TrainDesign of this form (pydantic ValidationError if a value is out of its range)."""
        blocks = [ConvBlock(filters=f, kernel_size=k, padding=p, pool=q) for f, k, p, q in zip(
            self.padded(self.filters, self.blocks, 32), self.padded(self.kernel, self.blocks, 3),
            self.padded(self.padding, self.blocks, "same"), self.padded(self.pool, self.blocks, 2))]
        return TrainDesign(
            architecture=self.architecture, hidden_layers=self.padded(self.neurons, self.layers, 100),
            conv_blocks=blocks, dense_layers=self.padded(self.dense, self.dense_count, 64),
            activation=self.activation, loss=self.loss, optimizer=self.optimizer,
            learning_rate=self.learning_rate, batch_size=self.batch_size, epochs=self.epochs, seed=self.seed)

    def rows(self) -> dict[str, list]:
        """What the form shows: one entry per hidden layer / conv block / dense layer."""
        return {
            "neurons": self.padded(self.neurons, self.layers, 100),
            "blocks": list(zip(self.padded(self.filters, self.blocks, 32), self.padded(self.kernel, self.blocks, 3),
                               self.padded(self.padding, self.blocks, "same"), self.padded(self.pool, self.blocks, 2))),
            "dense": self.padded(self.dense, self.dense_count, 64),
        }


class DesignSubmission(DesignForm):
    """The form as the "train" button posts it: every field is there, so an empty POST starts nothing."""

    architecture: Literal["dnn", "cnn"]


def form_query(design: TrainDesign) -> str:
    """The /train?… link that reproduces a design (for "train again" and teachers' links)."""
    from urllib.parse import urlencode

    pairs: list[tuple[str, object]] = [("architecture", design.architecture), ("layers", len(design.hidden_layers))]
    pairs += [("neurons", n) for n in design.hidden_layers]
    pairs.append(("blocks", len(design.conv_blocks)))
    for b in design.conv_blocks:
        pairs += [("filters", b.filters), ("kernel", b.kernel_size), ("padding", b.padding), ("pool", b.pool)]
    pairs.append(("dense_count", len(design.dense_layers)))
    pairs += [("dense", n) for n in design.dense_layers]
    pairs += [("activation", design.activation), ("loss", design.loss), ("optimizer", design.optimizer),
              ("learning_rate", f"{design.learning_rate:g}"), ("batch_size", design.batch_size), ("epochs", design.epochs)]
    if design.seed != DEFAULT_SEED:  # the default stays out, so the lecture's links stay short
        pairs.append(("seed", design.seed))
    return urlencode(pairs)


PRESETS = {
    "lecture_dnn": TrainDesign(),
    "lecture_cnn": TrainDesign(architecture="cnn", loss="categorical_crossentropy", optimizer="adam",
                               learning_rate=0.001, epochs=5),
    "tiny_dnn": TrainDesign(hidden_layers=[32], loss="categorical_crossentropy", optimizer="adam",
                            learning_rate=0.001, epochs=1),
}


def _finite(v) -> bool:
    return v is not None and math.isfinite(v)


def design_problem(design: TrainDesign) -> dict | None:
    """Where an impossible CNN breaks, for the form to say beside the field: {"block": i, "field":
    "kernel" | "pool", "key", "params"}; None when every layer fits. The same walk as
    app/ml/design.layer_table (28×28 in; valid padding shrinks by k − 1; pooling divides)."""
    if design.architecture != "cnn":
        return None
    size = INPUT_SHAPE[0]
    for i, block in enumerate(design.conv_blocks, start=1):
        if block.padding == "valid":
            if block.kernel_size > size:
                return {"block": i, "field": "kernel", "key": "train.kernel_too_big",
                        "params": {"i": i, "k": block.kernel_size, "n": size}}
            size -= block.kernel_size - 1
        if block.pool > 1:
            if block.pool > size:
                return {"block": i, "field": "pool", "key": "train.pool_too_big", "params": {"i": i, "q": block.pool, "n": size}}
            size //= block.pool
    return None


def progress_charts(progress: dict, epochs: int, _) -> list[Chart]:
    """Loss and accuracy against epochs: train within epochs (thin line), train and validation per epoch."""
    history, batches = progress.get("history", []), progress.get("batches", [])
    charts = []
    for metric, label_key, cid in (("loss", "train.chart_loss", "loss-chart"), ("accuracy", "train.chart_accuracy", "acc-chart")):
        values = [b.get(metric) for b in batches] + [h.get(metric) for h in history] + [h.get(f"val_{metric}") for h in history]
        values = [v for v in values if _finite(v)]
        if metric == "accuracy":
            y_range = (0.0, 1.0)
        else:
            top = max(values) if values else 1.0
            y_range = (0.0, top * 1.08 if top > 0 else 1.0)
        span = max(1, epochs or 1)
        chart = Chart(x_range=(0, span * 1.04), y_range=(y_range[0], y_range[1] * 1.04), x_label=_("train.chart_epoch"),
                      y_label=_(label_key), title=_(label_key), id=cid, width=480, height=300,
                      margin=(30, 14, 40, 46))
        pts = [(b["x"], b.get(metric)) for b in batches if _finite(b.get(metric))]
        if pts:
            chart.line([p[0] for p in pts], [p[1] for p in pts], cls="series train-batches")
        train = [(h["epoch"], h.get(metric)) for h in history if _finite(h.get(metric))]
        val = [(h["epoch"], h.get(f"val_{metric}")) for h in history if _finite(h.get(f"val_{metric}"))]
        for x, y in train:
            chart.marker(x, y, cls="dot train-epoch", r=5)
        if val:
            chart.line([p[0] for p in val], [p[1] for p in val], cls="series s1 dashed val-line")
            for x, y in val:
                chart.marker(x, y, cls="dot val-epoch", r=5)
        charts.append(chart)
    return charts
