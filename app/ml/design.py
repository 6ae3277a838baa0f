"""A learner's network design: the typed form, its layer table and its Keras code — no Keras import.

The web process shows the layer table (output shapes, parameter counts) and the code without
loading Keras: the counts are the textbook formulas, checked against Keras in tests/jobs.

    Dense(n) after m inputs:           m·n weights + n biases
    Conv2D(f, k×k) on c channels:      k·k·c·f weights + f biases
    'same' padding keeps h×w; 'valid' makes it (h−k+1)×(w−k+1); MaxPooling(p) makes it ⌊h/p⌋×⌊w/p⌋
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.errors import FieldError, UserError

DesignError = FieldError  # a field error of a design (the one field-error class: app/errors.py)


# The lecture's digit networks (slides 159–174, Demo01 / Demo02CNN), written once: the Keras
# builders (app/ml/networks.py) take them from here.
INPUT_SHAPE = (28, 28, 1)  # MNIST: 28×28 pixels, one channel, values 0–1
NUM_CLASSES = 10  # the digits 0–9
LECTURE_DNN_HIDDEN = [100, 100]
LECTURE_CNN_DENSE = [64]
LECTURE_LR = 0.087  # the notebook's SGD learning rate
MAX_UNITS = 4096  # neurons in one Dense layer
VALIDATION_SIZE = 10_000  # the last 10 000 training digits check for over-fitting; the test split is never trained on


class ConvBlock(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    filters: int = Field(16, ge=1, le=256)
    kernel_size: int = Field(3, ge=1, le=9)
    padding: Literal["same", "valid"] = "same"
    pool: int = Field(2, ge=0, le=4, description="max-pooling size; 0 or 1 = no pooling")


LECTURE_CNN_BLOCKS = [ConvBlock(filters=16), ConvBlock(filters=32), ConvBlock(filters=64)]


class TrainDesign(BaseModel):
    """What POST /api/jobs takes: the network, how to train it, on which data. Strict: "epochs": "5"
    or true is refused, not read as a number."""

    model_config = ConfigDict(extra="forbid", strict=True)
    dataset: Literal["mnist"] = "mnist"
    architecture: Literal["dnn", "cnn"] = "dnn"
    hidden_layers: list[int] = Field(LECTURE_DNN_HIDDEN, min_length=1, max_length=5, description="DNN: neurons per hidden layer")
    conv_blocks: list[ConvBlock] = Field(default_factory=lambda: list(LECTURE_CNN_BLOCKS), min_length=1, max_length=3)
    dense_layers: list[int] = Field(LECTURE_CNN_DENSE, min_length=0, max_length=3, description="CNN: Dense layers after the convolutions")
    activation: Literal["relu", "sigmoid", "tanh"] = "relu"
    loss: Literal["mse", "categorical_crossentropy"] = "mse"
    optimizer: Literal["sgd", "adam"] = "sgd"
    learning_rate: float = Field(LECTURE_LR, gt=0, le=10, allow_inf_nan=False)
    batch_size: int = Field(100, ge=1, le=2048)
    epochs: int = Field(5, ge=1, le=50)
    train_subset: int | None = Field(None, ge=100, le=50_000, description="train on the first n digits only (quick demos, tests)")
    seed: int = Field(1, ge=0, le=2**31 - 1)

    @field_validator("hidden_layers", "dense_layers")
    @classmethod
    def _units_in_range(cls, units: list[int]) -> list[int]:  # a field's error: reported with its name
        if any(not 1 <= n <= MAX_UNITS for n in units):
            raise DesignError("train.bad_units", max=MAX_UNITS)
        return units


def layer_table(design: TrainDesign) -> list[dict]:
    """[{name, kind, shape (without the batch axis), params, formula}] from input to output."""
    rows: list[dict] = [{"name": "image", "kind": "Input", "shape": INPUT_SHAPE, "params": 0, "formula": ""}]
    h, w, c = INPUT_SHAPE
    if design.architecture == "cnn":
        for i, block in enumerate(design.conv_blocks, start=1):
            k, f = block.kernel_size, block.filters
            if block.padding == "valid":
                h, w = h - k + 1, w - k + 1
            if h < 1 or w < 1:
                raise UserError("train.too_small", layer=f"conv{i}")
            rows.append({"name": f"conv{i}", "kind": "Conv2D", "shape": (h, w, f), "params": k * k * c * f + f,
                         "formula": f"{k}·{k}·{c}·{f} + {f}"})
            c = f
            if block.pool > 1:
                h, w = h // block.pool, w // block.pool
                if h < 1 or w < 1:
                    raise UserError("train.too_small", layer=f"pool{i}")
                rows.append({"name": f"pool{i}", "kind": "MaxPooling2D", "shape": (h, w, c), "params": 0, "formula": ""})
    units = h * w * c
    rows.append({"name": "flatten", "kind": "Flatten", "shape": (units,), "params": 0, "formula": ""})
    hidden = design.dense_layers if design.architecture == "cnn" else design.hidden_layers
    for i, n in enumerate(list(hidden) + [NUM_CLASSES], start=1):
        last = i == len(hidden) + 1
        rows.append({"name": "output" if last else f"dense{i}", "kind": "Dense", "shape": (n,),
                     "params": units * n + n, "formula": f"{units}·{n} + {n}",
                     "activation": "softmax" if last else design.activation})
        units = n
    return rows


def table_parameters(table: list[dict]) -> int:
    """The parameters of a layer table (layer_table()): the number the page and the limits use."""
    return sum(r["params"] for r in table)


@lru_cache(maxsize=512)
def _stored(params_json: str) -> TrainDesign:
    return TrainDesign.model_validate_json(params_json)


def stored_design(params: dict) -> TrainDesign:
    """The design of a job's params, validated once when it was submitted: parsed once per distinct
    design and shared (job pages poll every second; do not modify the answer)."""
    return _stored(json.dumps(params, sort_keys=True))


def parameter_count(design: TrainDesign) -> int:
    return table_parameters(layer_table(design))


CODE_COMMENTS = {  # the code's comments; the page passes them in the learner's language
    "data": "1. Data: MNIST handwritten digits, 28×28 pixels, values 0–255",
    "scale": "scale to 0–1",
    "onehot": "7 → [0,0,0,0,0,0,0,1,0,0]",
    "split": "The last 10 000 training digits check the learning; the test digits are only for the end.",
    "machine": "2. The function-learning machine",
    "train": "3. Train",
    "test": "4. Test on digits it has never seen",
}


def keras_code(design: TrainDesign, comments: dict[str, str] | None = None) -> str:
    """The same network and training as a script that runs unchanged in Colab (Keras 3)."""
    c = {**CODE_COMMENTS, **(comments or {})}
    act = design.activation
    lines = ["    keras.Input(shape=(28, 28, 1)),"]
    if design.architecture == "cnn":
        for b in design.conv_blocks:
            lines.append(f'    layers.Conv2D({b.filters}, kernel_size={b.kernel_size}, padding="{b.padding}", activation="{act}"),')
            if b.pool > 1:
                lines.append(f"    layers.MaxPooling2D(pool_size={b.pool}),")
        hidden = design.dense_layers
    else:
        hidden = design.hidden_layers
    lines.append("    layers.Flatten(),")
    lines += [f'    layers.Dense({n}, activation="{act}"),' for n in hidden]
    lines.append('    layers.Dense(10, activation="softmax"),')
    optimizer = (f"keras.optimizers.SGD(learning_rate={design.learning_rate:g})" if design.optimizer == "sgd"
                 else f"keras.optimizers.Adam(learning_rate={design.learning_rate:g})")
    n_train = min(design.train_subset or 50_000, 50_000)
    network = "\n".join(lines)
    return f'''import keras
from keras import layers

# {c["data"]}
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 28, 28, 1) / 255  # {c["scale"]}
x_test = x_test.reshape(-1, 28, 28, 1) / 255
y_train = keras.utils.to_categorical(y_train, 10)  # {c["onehot"]}
y_test = keras.utils.to_categorical(y_test, 10)

# {c["split"]}
x_val, y_val = x_train[50000:], y_train[50000:]
x_train, y_train = x_train[:{n_train}], y_train[:{n_train}]

# {c["machine"]}
keras.utils.set_random_seed({design.seed})
model = keras.Sequential([
{network}
])
model.compile(loss="{design.loss}", optimizer={optimizer}, metrics=["accuracy"])
model.summary()

# {c["train"]}
history = model.fit(x_train, y_train, batch_size={design.batch_size}, epochs={design.epochs},
                    validation_data=(x_val, y_val))

# {c["test"]}
loss, accuracy = model.evaluate(x_test, y_test)
print("test accuracy:", accuracy)
model.save("my_mnist_model.keras")
'''


def describe(design: TrainDesign) -> str:
    """A short name for a design: "DNN 100-100" or "CNN 16-32-64 / 64"."""
    if design.architecture == "cnn":
        convs = "-".join(str(b.filters) for b in design.conv_blocks)
        dense = "-".join(str(n) for n in design.dense_layers)
        return f"CNN {convs}" + (f" / {dense}" if dense else "")
    return "DNN " + "-".join(str(n) for n in design.hidden_layers)
