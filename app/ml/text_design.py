"""A learner's poem model: the typed design, its layer table and its Keras code — no Keras import.

The web process shows the layer table and the code without loading Keras; the counts are the
textbook formulas (checked against Keras's count_params in tests/ml/test_text_model.py). With
V characters in the vocabulary, E the embedding size, U the recurrent units:

    Embedding(V, E):    V·E                   (one vector of E numbers per character)
    SimpleRNN(U):       U·(E + U) + U         (h_t = tanh(W x_t + U h_{t-1} + b))
    LSTM(U):            4·(U·(E + U) + U)     (input, forget and output gates, and the candidate)
    GRU(U):             3·(U·(E + U) + 2U)    (update and reset gates, the candidate; Keras's
                                               reset_after=True keeps two biases per gate)
    Dense(V) softmax:   U·V + V
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CELLS = ("simplernn", "lstm", "gru")
CELL_LAYER = {"simplernn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
GATES = {"simplernn": 1, "lstm": 4, "gru": 3}
MAX_SEQUENCE = 200


class TextDesign(BaseModel):
    """What POST /api/jobs takes with "kind": "text"."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["text"] = "text"
    corpus: Literal["tang300", "song100", "all"] = Field("tang300", description="唐詩三百首, 宋詞一百首 or both")
    cell: Literal["simplernn", "lstm", "gru"] = "lstm"
    units: int = Field(128, ge=1, le=512, description="recurrent units (the size of the memory h)")
    embedding: int = Field(64, ge=1, le=256, description="numbers per character vector")
    sequence_length: int = Field(32, ge=2, le=MAX_SEQUENCE, description="characters per training window")
    batch_size: int = Field(64, ge=1, le=1024)
    learning_rate: float = Field(0.005, gt=0, le=1, allow_inf_nan=False)
    epochs: int = Field(10, ge=1, le=200, description="the server allows at most PLAYGROUND_MAX_EPOCHS (50)")
    subset: int | None = Field(None, ge=100, le=1_000_000, description="train on the first n characters only (quick demos, tests)")
    seed: int = Field(1, ge=0, le=2**31 - 1)


def recurrent_params(cell: str, inputs: int, units: int) -> int:
    if cell == "gru":
        return 3 * (units * (inputs + units) + 2 * units)
    return GATES[cell] * (units * (inputs + units) + units)


def recurrent_formula(cell: str, inputs: int, units: int) -> str:
    if cell == "gru":
        return f"3·({units}·({inputs} + {units}) + 2·{units})"
    inner = f"{units}·({inputs} + {units}) + {units}"
    return inner if cell == "simplernn" else f"4·({inner})"


def layer_table(design: TextDesign, vocab_size: int) -> list[dict]:
    """[{name, kind, shape (without the batch axis), params, formula}] from input to output."""
    L, E, U, V = design.sequence_length, design.embedding, design.units, vocab_size
    return [
        {"name": "characters", "kind": "Input", "shape": (L,), "params": 0, "formula": ""},
        {"name": "embedding", "kind": "Embedding", "shape": (L, E), "params": V * E, "formula": f"{V}·{E}"},
        {"name": design.cell, "kind": CELL_LAYER[design.cell], "shape": (L, U),
         "params": recurrent_params(design.cell, E, U), "formula": recurrent_formula(design.cell, E, U)},
        {"name": "output", "kind": "Dense", "shape": (L, V), "params": U * V + V, "formula": f"{U}·{V} + {V}",
         "activation": "softmax"},
    ]


def parameter_count(design: TextDesign, vocab_size: int) -> int:
    return sum(r["params"] for r in layer_table(design, vocab_size))


CODE_COMMENTS = {  # the code's comments; the page passes them in the learner's language
    "data": "1. Data: the poems, one JSON object a line (download the file from the text lab)",
    "vocab": "every character gets a number",
    "windows": "input: L characters; target: the same window one character later",
    "machine": "2. The function-learning machine: character → vector → memory → next character",
    "train": "3. Train",
    "generate": "4. Write: feed the prompt, then the character it picked, one at a time",
    "temperature": "temperature divides the logits before softmax",
    "start": "first the blank line before every poem: the memory starts where a poem starts",
}


def keras_code(design: TextDesign, comments: dict[str, str] | None = None) -> str:
    """The same model and training as a script that runs unchanged in Colab (Keras 3)."""
    c = {**CODE_COMMENTS, **(comments or {})}
    files = {"tang300": '["tang300.jsonl"]', "song100": '["song100.jsonl"]', "all": '["tang300.jsonl", "song100.jsonl"]'}[design.corpus]
    text_slice = f"[:{design.subset}]" if design.subset else ""
    return f'''import json
import numpy as np
import keras
from keras import layers

# {c["data"]}
poems = [json.loads(line)["text"] for name in {files} for line in open(name, encoding="utf-8")]
text = "\\n\\n".join(poems) + "\\n\\n"
chars = sorted(set(text))  # {c["vocab"]}
index = {{ch: i for i, ch in enumerate(chars)}}
ids = np.array([index[ch] for ch in text{text_slice}])

L = {design.sequence_length}  # {c["windows"]}
n = (len(ids) - 1) // L
x, y = ids[:n * L].reshape(n, L), ids[1:n * L + 1].reshape(n, L)

# {c["machine"]}
keras.utils.set_random_seed({design.seed})
model = keras.Sequential([
    keras.Input(shape=(None,), dtype="int32"),
    layers.Embedding(len(chars), {design.embedding}),
    layers.{CELL_LAYER[design.cell]}({design.units}, return_sequences=True),
    layers.Dense(len(chars), activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate={design.learning_rate:g}),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.summary()

# {c["train"]}
model.fit(x, y, batch_size={design.batch_size}, epochs={design.epochs})

# {c["generate"]}
def write(prompt, length=24, temperature=0.8):
    out = "\\n\\n" + prompt  # {c["start"]}
    for _ in range(length):
        p = model.predict(np.array([[index[ch] for ch in out]]), verbose=0)[0, -1]
        logits = np.log(p + 1e-9) / temperature  # {c["temperature"]}
        p = np.exp(logits - logits.max()); p /= p.sum()
        out += chars[np.random.choice(len(chars), p=p)]
    return out[2:]

print(write("床前明月"))
'''


def form_query(design: TextDesign) -> str:
    """The /text/train?… link that reproduces a design (for "train again" and teachers' links)."""
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in design.model_dump(exclude={"kind"}).items() if v is not None})


def describe(design: TextDesign) -> str:
    """A short name: "LSTM 128 · 唐詩"."""
    corpus = {"tang300": "唐詩", "song100": "宋詞", "all": "唐詩＋宋詞"}[design.corpus]
    return f"{CELL_LAYER[design.cell]} {design.units} · {corpus}"
