"""AI writes Tang poems (slides 219–225): the corpus, its vocabulary, the Keras model, the job.

A character-level language model reads one character at a time and, from it and its memory (the
recurrent layer's state), gives the probability of every character coming next:

    character id → Embedding (a vector per character) → SimpleRNN / LSTM / GRU → Dense softmax

Training pairs come from the poems laid end to end: the input is `sequence_length` characters,
the target is the same window shifted by one (at every step: "what comes next?").

The corpus (唐詩三百首, 宋詞一百首; public domain) ships with the package in app/ml/data/poems/.
Nothing here imports Keras at module level: the web process reads the corpus and vocabulary
without it; `build_model` and `run_text_job` import it inside (worker side only).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from app.ml.text_design import TextDesign, describe, layer_table
from app.ml.text_generate import POEM_START, TextGenerator
from app.ml.training import load_model_bytes, model_bytes
from app.settings import Settings
from app.errors import UserError

log = logging.getLogger(__name__)

POEMS_DIR = Path(__file__).resolve().parent / "data" / "poems"
CORPORA = {"tang300": ("tang300",), "song100": ("song100",), "all": ("tang300", "song100")}
POEM_END = POEM_START  # a blank line between poems: the model learns where a poem ends (and begins)
SAMPLE_PROMPT = "春"  # every epoch's sample line starts here, so the lines can be compared
SAMPLE_LENGTH = 24
SAMPLE_TEMPERATURE = 0.8
SAMPLE_SEED = 1
MODEL_FILE = "model.keras"
CHECKPOINT = "checkpoint.keras"


@lru_cache(maxsize=4)
def poems(corpus: str) -> tuple[dict, ...]:
    """The poems of a corpus: ({"title", "author", "text"}, ...), lines separated by "\\n"."""
    if corpus not in CORPORA:
        raise KeyError(corpus)
    out = []
    for name in CORPORA[corpus]:
        with (POEMS_DIR / f"{name}.jsonl").open(encoding="utf-8") as f:
            out += [json.loads(line) for line in f if line.strip()]
    return tuple(out)


def corpus_text(corpus: str) -> str:
    """All poems of the corpus as one stream of characters."""
    return POEM_END.join(p["text"] for p in poems(corpus)) + POEM_END


class Vocabulary:
    """Characters ↔ ids. Id order is sorted character order, so it is the same on every machine."""

    def __init__(self, chars: str):
        self.chars = chars
        self.index = {c: i for i, c in enumerate(chars)}

    @classmethod
    def of(cls, text: str) -> "Vocabulary":
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        return np.array([self.index[c] for c in text], dtype=np.int32)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def unknown(self, text: str) -> list[str]:
        """Characters of `text` the model has never seen, each once, in order."""
        return list(dict.fromkeys(c for c in text if c not in self.index))


@lru_cache(maxsize=4)
def vocabulary(corpus: str) -> Vocabulary:
    return Vocabulary.of(corpus_text(corpus))


def check_limits(settings: Settings, design: TextDesign) -> list[dict]:
    """The layer table, after the server's limits (UserError 422 in the learner's language)."""
    if design.epochs > settings.max_epochs:
        raise UserError("train.too_many_epochs", 422, limit=settings.max_epochs)
    table = layer_table(design, len(vocabulary(design.corpus)))
    count = sum(r["params"] for r in table)
    if count > settings.max_parameters:
        raise UserError("train.too_many_params", 422, count=f"{count:,}", limit=f"{settings.max_parameters:,}")
    return table


def training_windows(ids: np.ndarray, length: int, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping windows: x = ids[i : i+L], y = ids[i+1 : i+L+1] (the next character at every step)."""
    n = (len(ids) - 1 - offset) // length
    x = ids[offset:offset + n * length].reshape(n, length)
    y = ids[offset + 1:offset + 1 + n * length].reshape(n, length)
    return x, y


def corpus_ids(design: TextDesign) -> tuple[Vocabulary, np.ndarray]:
    """The vocabulary of the whole corpus, and the ids to train on (the first `subset` characters)."""
    vocab = vocabulary(design.corpus)
    text = corpus_text(design.corpus)
    if design.subset:
        text = text[: design.subset]
    return vocab, vocab.encode(text)


def build_model(design: TextDesign, vocab_size: int):
    """Embedding → recurrent layer (every step's output) → Dense softmax over the vocabulary."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(design.seed)
    recurrent = {"simplernn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}[design.cell]
    return keras.Sequential([
        keras.Input(shape=(None,), dtype="int32"),
        layers.Embedding(vocab_size, design.embedding),
        recurrent(design.units, return_sequences=True),
        layers.Dense(vocab_size, activation="softmax"),
    ])


def compile_model(model, design: TextDesign) -> None:
    import keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate=design.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])


def epoch_data(design: TextDesign, ids: np.ndarray, epoch: int) -> tuple[np.ndarray, np.ndarray]:
    """This epoch's windows: a different starting offset each epoch, so every boundary gets seen."""
    offset = (epoch * 7919) % design.sequence_length if len(ids) > 2 * design.sequence_length else 0
    return training_windows(ids, design.sequence_length, offset)


def sample_line(model, vocab: Vocabulary, design: TextDesign) -> str:
    """One line from the model as it is now (numpy generation on its current weights)."""
    generator = TextGenerator.from_keras(model, vocab, design.cell)
    prompt = SAMPLE_PROMPT if SAMPLE_PROMPT in vocab.index else vocab.chars[0]
    text = generator.generate(prompt, SAMPLE_LENGTH, SAMPLE_TEMPERATURE, SAMPLE_SEED, stop="\n")["text"]
    return prompt + text


def _epoch_callbacks(reporter, vocab: Vocabulary, design: TextDesign) -> tuple:
    """(before, after) the progress callback: a sample line into the epoch's progress write, then
    a checkpoint that carries that epoch's history and lines (a killed worker's job resumes there)."""
    import keras

    class EpochSample(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if self.model.stop_training:
                return
            line = sample_line(self.model, vocab, design)
            samples = [s for s in reporter.progress.get("samples", []) if s["epoch"] <= epoch]
            reporter.progress["samples"] = samples + [{"epoch": epoch + 1, "text": line}]

    class EpochCheckpoint(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if self.model.stop_training or epoch + 1 >= design.epochs:
                return
            meta = {"epoch": epoch + 1, "history": reporter.progress.get("history", []),
                    "samples": reporter.progress.get("samples", [])}
            reporter.save_file(CHECKPOINT, model_bytes(self.model), meta)

    return EpochSample(), EpochCheckpoint()


def _model_to_train(reporter, design: TextDesign, vocab_size: int):
    """(model, first epoch): a fresh model, or the last checkpoint of a run whose worker died."""
    checkpoint = reporter.load_file(CHECKPOINT)
    if checkpoint is None:
        reporter.stage("compiling")
        model = build_model(design, vocab_size)
        compile_model(model, design)
        return model, 0
    reporter.stage("resuming")
    model = load_model_bytes(checkpoint[0])
    model.compile(optimizer=model.optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    done = int(checkpoint[1]["epoch"])
    reporter.progress.update(history=checkpoint[1].get("history", []), samples=checkpoint[1].get("samples", []),
                             batches=[b for b in reporter.progress.get("batches", []) if b["x"] <= done],
                             epoch=done, resumed_from=done)
    return model, done


def manifest_for(job_id: str, owner: str, design: TextDesign, vocab: Vocabulary, metrics: dict) -> dict[str, Any]:
    name = describe(design)
    return {
        "id": f"text-{job_id}", "task": "text", "engine": "rnn", "file": MODEL_FILE, "owner": owner,
        "title": {"zh-TW": f"我訓練的 {name}", "en": f"My {name}"},
        "cell": design.cell, "vocabulary": vocab.chars, "corpus": design.corpus,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "metrics": metrics, "design": design.model_dump(), "job": job_id,
    }


def run_text_job(settings: Settings, job_id: str, params: dict[str, Any], reporter) -> dict[str, Any]:
    """The "text" job kind (see app/jobs/kinds.py): train, with a sample line after every epoch."""
    design = TextDesign.model_validate(params)
    reporter.stage("loading")
    vocab, ids = corpus_ids(design)
    model, first_epoch = _model_to_train(reporter, design, len(vocab))
    x, _y = epoch_data(design, ids, 0)
    sample, checkpoint = _epoch_callbacks(reporter, vocab, design)
    callbacks = [sample, reporter.callback(design.epochs, -(-len(x) // design.batch_size)), checkpoint]
    started = time.monotonic()
    for epoch in range(first_epoch, design.epochs):  # one fit per epoch: a fresh window offset each time
        x, y = epoch_data(design, ids, epoch)
        model.fit(x, y, batch_size=design.batch_size, epochs=epoch + 1, initial_epoch=epoch,
                  callbacks=callbacks, verbose=0, shuffle=True)
        if reporter.cancelled() or reporter.timed_out():
            return {}
    history = reporter.progress.get("history", [])
    metrics = {"loss": (history[-1] if history else {}).get("loss"), "train_seconds": round(time.monotonic() - started, 1)}
    manifest = manifest_for(job_id, reporter.owner, design, vocab, metrics)
    reporter.save_file(MODEL_FILE, model_bytes(model), {"model_id": manifest["id"]})
    reporter.delete_file(CHECKPOINT)
    return {"parameters": int(model.count_params()), "manifest": manifest, "history": history,
            "samples": reporter.progress.get("samples", []), "loss": metrics["loss"]}
