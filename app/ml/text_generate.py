"""Writing with a trained poem model, in numpy: one character at a time (slides 219–225).

The web process never imports Keras: a .keras file is a zip holding `model.weights.h5`, read here
with h5py, and the recurrence runs in app.nn.rnn (the same cells as the /rnn lab, Keras's layout).
One step of writing:

    (first the blank line that starts every poem, then the prompt, then each written character:)
    x = embedding[character]                  the character as a vector
    h = cell(x, h)                            the memory, updated (app.nn.rnn)
    logits = h · W + b                        one score per character of the vocabulary
    p = softmax(logits / T)                   temperature T divides the logits before softmax:
                                              T < 1 sharpens, T > 1 flattens, T → 0 is argmax
    next = argmax(p) if T == 0 else a draw from p (numpy Generator seeded by `seed`)

Each step reports the 5 likeliest next characters with their probabilities, before the draw.
"""

from __future__ import annotations

import io
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from app.nn.rnn import gru_step, lstm_step, simple_rnn_step

TOP_K = 5
POEM_START = "\n\n"  # the blank line before every poem in the corpus: reading it first puts the memory
#                      where a poem begins, so 「床前明月」 is read as a first line (app/ml/text.py)
RECURRENT_GROUPS = {"lstm": "lstm", "gru": "gru", "simple_rnn": "simplernn"}  # h5 group name → cell


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max()
    e = np.exp(z)
    return e / e.sum()


@dataclass
class Weights:
    """The three layers' arrays, as layer.get_weights() gives them."""

    cell: str  # "simplernn" | "lstm" | "gru"
    embedding: np.ndarray  # (V, E)
    kernel: np.ndarray  # (E, k·U)
    recurrent_kernel: np.ndarray  # (U, k·U)
    bias: np.ndarray  # (k·U,) or, for the GRU, (2, 3·U)
    dense_kernel: np.ndarray  # (U, V)
    dense_bias: np.ndarray  # (V,)

    @property
    def units(self) -> int:
        return int(self.recurrent_kernel.shape[0])


def read_keras_weights(data: bytes | Path) -> Weights:
    """A saved Embedding → recurrent → Dense model (.keras zip) → its weights, without Keras."""
    import h5py

    raw = data.read_bytes() if isinstance(data, Path) else data
    with zipfile.ZipFile(io.BytesIO(raw)) as z, h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
        layers = f["layers"]
        names = list(layers.keys())

        def find(prefixes) -> tuple[str, str]:
            for name in names:
                for prefix in prefixes:
                    if name == prefix or name.startswith(prefix + "_"):
                        return name, prefix
            raise ValueError(f"no {'/'.join(prefixes)} layer in the model (layers: {names})")

        rec, group = find(tuple(RECURRENT_GROUPS))
        cell = RECURRENT_GROUPS[group]
        cell_vars = layers[rec]["cell"]["vars"]
        dense = layers[find(("dense",))[0]]["vars"]
        return Weights(
            cell=cell, embedding=np.asarray(layers[find(("embedding",))[0]]["vars"]["0"], np.float32),
            kernel=np.asarray(cell_vars["0"], np.float32), recurrent_kernel=np.asarray(cell_vars["1"], np.float32),
            bias=np.asarray(cell_vars["2"], np.float32),
            dense_kernel=np.asarray(dense["0"], np.float32), dense_bias=np.asarray(dense["1"], np.float32))


class TextGenerator:
    """A poem model ready to write: its weights and its vocabulary (app.ml.text.Vocabulary)."""

    def __init__(self, weights: Weights, vocab, start: str = POEM_START):
        if weights.embedding.shape[0] != len(vocab) or weights.dense_bias.shape[0] != len(vocab):
            raise ValueError(f"the model has {weights.dense_bias.shape[0]} characters, the vocabulary {len(vocab)}")
        self.w = weights
        self.vocab = vocab
        self.start = start if not vocab.unknown(start) else ""  # read before every prompt

    @classmethod
    def from_keras(cls, model, vocab, cell: str) -> "TextGenerator":
        """From a live Keras model (the worker's per-epoch sample): get_weights() in layer order."""
        emb, k, rk, b, dk, db = (np.asarray(a, np.float32) for a in model.get_weights())
        return cls(Weights(cell, emb, k, rk, b, dk, db), vocab)

    def initial_state(self):
        h = np.zeros(self.w.units, np.float32)
        return (h, h.copy()) if self.w.cell == "lstm" else h

    def step(self, char_id: int, state):
        """Read one character: (new state, logits for the next character)."""
        w = self.w
        x = w.embedding[char_id]
        if w.cell == "lstm":
            state = lstm_step(x, state, w.kernel, w.recurrent_kernel, w.bias)
            h = state[0]
        elif w.cell == "gru":
            state = h = gru_step(x, state, w.kernel, w.recurrent_kernel, w.bias)
        else:
            state = h = simple_rnn_step(x, state, w.kernel, w.recurrent_kernel, w.bias)
        # logits = h·W + b. einsum, not @: numpy's own loop on one core (0.05 ms) — OpenBLAS wakes
        # its threads for a matrix this wide, which costs milliseconds per step on a busy server
        return state, np.einsum("u,uv->v", h, w.dense_kernel) + w.dense_bias

    def read(self, prompt: str):
        """The state after reading the start of a poem and the prompt, and the logits for the next character."""
        state, logits = self.initial_state(), None
        for char_id in self.vocab.encode(self.start + prompt):
            state, logits = self.step(int(char_id), state)
        return state, logits

    def probabilities(self, prompt: str, temperature: float = 1.0) -> np.ndarray:
        """P(next character | prompt) at a temperature (0 → the model's own, T = 1)."""
        _state, logits = self.read(prompt)
        return softmax(logits / (temperature if temperature > 0 else 1.0))

    def generate(self, prompt: str, length: int, temperature: float = 0.8, seed: int | None = None,
                 stop: str | None = None) -> dict:
        """{"text": the continuation only, "steps": [{"char", "top": [{"char", "p"} × 5]}]}.

        temperature 0 = greedy (always the likeliest; `top` then shows the model's T = 1
        probabilities). `stop`: end early after writing this character (it is not returned).
        """
        rng = np.random.default_rng(seed)
        state, logits = self.read(prompt)
        chars, steps = [], []
        for _ in range(length):
            p = softmax(logits / temperature) if temperature > 0 else softmax(logits)
            top = np.argpartition(-p, TOP_K)[:TOP_K] if len(p) > TOP_K else np.arange(len(p))
            top = top[np.argsort(-p[top], kind="stable")]
            if temperature > 0:
                choice = int(min(np.searchsorted(np.cumsum(p), rng.random() * p.sum(), side="right"), len(p) - 1))
            else:
                choice = int(np.argmax(p))
            char = self.vocab.chars[choice]
            if stop is not None and char == stop:
                break
            steps.append({"char": char, "top": [{"char": self.vocab.chars[i], "p": round(float(p[i]), 4)} for i in top]})
            chars.append(char)
            state, logits = self.step(choice, state)
        return {"text": "".join(chars), "steps": steps}


class TextGenerators:
    """The poem models' writers a web process keeps loaded (app/labs/text.py keeps one in app.state):
    the ones used last, at most KEPT, so a class's own trained models do not pile up in memory."""

    KEPT = 16

    def __init__(self):
        self._writers: OrderedDict[str, TextGenerator] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, model_id: str, load: Callable[[], TextGenerator]) -> TextGenerator:
        with self._lock:
            if model_id in self._writers:
                self._writers.move_to_end(model_id)
                return self._writers[model_id]
        writer = load()  # outside the lock: a slow file does not hold up the other models' requests
        with self._lock:
            self._writers[model_id] = writer
            while len(self._writers) > self.KEPT:
                self._writers.popitem(last=False)
        return writer

    def __len__(self) -> int:
        return len(self._writers)
