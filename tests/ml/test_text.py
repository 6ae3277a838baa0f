"""The poem corpus, its vocabulary and training windows; the layer table against Keras; numpy
writing against Keras's model.predict; temperature, top-5 and seeds."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.ml.registry import BUILTIN_DIR
from app.ml.text import Vocabulary, build_model, corpus_text, poems, training_windows, vocabulary
from app.ml.text_design import TextDesign, layer_table, parameter_count
from app.ml.text_generate import TextGenerator, read_keras_weights, softmax
from app.ml.training import model_bytes

PREDICT_TOLERANCE = 1e-5  # numpy float32 vs Keras float32: the same sums in another order


def test_the_corpus_ships_with_the_package():
    tang, song = poems("tang300"), poems("song100")
    assert len(tang) == 313 and len(song) == 95 and len(poems("all")) == 408  # the README's counts
    assert any(p["text"].startswith("床前明月光，疑是地上霜。") for p in tang)
    assert {"title", "author", "text"} <= set(tang[0])


def test_vocabulary_round_trips_and_names_unknown_characters():
    vocab = vocabulary("tang300")
    text = "床前明月光，疑是地上霜。\n"
    assert vocab.decode(vocab.encode(text)) == text
    assert list(vocab.chars) == sorted(vocab.chars), "ids in sorted order: the same on every machine"
    assert len(vocab) == len(set(corpus_text("tang300")))
    assert vocab.unknown("床前X明月Xy") == ["X", "y"]
    assert vocab.unknown("床前明月") == []


def test_training_windows_are_the_next_character_at_every_step():
    ids = np.arange(10)
    x, y = training_windows(ids, 3)
    assert x.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert y.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    x, y = training_windows(ids, 3, offset=1)
    assert x.tolist() == [[1, 2, 3], [4, 5, 6]] and y.tolist() == [[2, 3, 4], [5, 6, 7]]


@pytest.mark.parametrize("cell", ["simplernn", "lstm", "gru"])
def test_layer_table_counts_are_keras_counts(cell):
    design = TextDesign(cell=cell, units=12, embedding=5, sequence_length=7)
    model = build_model(design, 31)
    table = layer_table(design, 31)
    keras_counts = [layer.count_params() for layer in model.layers]
    assert [r["params"] for r in table[1:]] == keras_counts, "Embedding, recurrent, Dense: the textbook formulas"
    assert parameter_count(design, 31) == model.count_params()
    assert table[-1]["shape"] == (7, 31)


def tiny_generator(cell: str, vocab: Vocabulary, seed: int = 3):
    """A random (untrained) model of each cell, saved as .keras and read back without Keras."""
    design = TextDesign(cell=cell, units=16, embedding=8, seed=seed)
    model = build_model(design, len(vocab))
    weights = read_keras_weights(model_bytes(model))
    assert weights.cell == cell
    return model, TextGenerator(weights, vocab)


@pytest.mark.parametrize("cell", ["simplernn", "lstm", "gru"])
def test_numpy_writing_matches_keras_predict(cell):
    vocab = Vocabulary.of("床前明月光疑是地上霜，。\n")
    model, generator = tiny_generator(cell, vocab)
    prompt = "床前明月光，疑是"
    keras_p = np.asarray(model.predict(vocab.encode(prompt)[None], verbose=0))[0]  # every step's next-char probabilities
    state = generator.initial_state()
    for t, char_id in enumerate(vocab.encode(prompt)):
        state, logits = generator.step(int(char_id), state)
        np.testing.assert_allclose(softmax(logits), keras_p[t], atol=PREDICT_TOLERANCE)


def test_the_saved_file_and_the_live_model_give_the_same_generator():
    vocab = Vocabulary.of("春眠不覺曉，處處聞啼鳥。\n")
    model, from_file = tiny_generator("lstm", vocab)
    live = TextGenerator.from_keras(model, vocab, "lstm")
    np.testing.assert_array_equal(from_file.probabilities("春眠"), live.probabilities("春眠"))


def test_compressed_weights_load_the_same_in_keras_and_in_numpy(tmp_path):
    import keras

    from app.ml.text_defaults import compress_weights

    vocab = Vocabulary.of("春眠不覺曉，處處聞啼鳥。\n")
    model, _ = tiny_generator("lstm", vocab)
    path = tmp_path / "m.keras"
    model.save(path)
    before = read_keras_weights(path)
    compress_weights(path)
    again = keras.saving.load_model(path, compile=False)
    for saved, loaded in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(saved, loaded)
    after = read_keras_weights(path)
    np.testing.assert_array_equal(before.recurrent_kernel, after.recurrent_kernel)


def test_the_default_poem_model_is_small_enough_to_commit():
    assert (BUILTIN_DIR / "poems-lstm.keras").stat().st_size < 3 * 2**20


def test_temperature_divides_the_logits_before_softmax():
    vocab = Vocabulary.of("春眠不覺曉，處處聞啼鳥。\n")
    _model, g = tiny_generator("gru", vocab)
    _state, logits = g.read("春")
    for t in (0.5, 1.0, 2.0):
        expected = np.exp(logits / t) / np.exp(logits / t).sum()
        np.testing.assert_allclose(g.probabilities("春", t), expected, rtol=1e-5)
    # lower temperature: the likeliest character gets likelier; higher: flatter
    assert g.probabilities("春", 0.5).max() > g.probabilities("春", 1).max() > g.probabilities("春", 2).max()


def test_greedy_is_deterministic_and_a_seed_reproduces_a_sample():
    vocab = Vocabulary.of("春眠不覺曉，處處聞啼鳥。\n夜來風雨聲花落知多少")
    _model, g = tiny_generator("lstm", vocab)
    greedy = [g.generate("春", 30, temperature=0, seed=s)["text"] for s in (1, 2, 3)]
    assert greedy[0] == greedy[1] == greedy[2], "temperature 0 ignores the seed"
    first = g.generate("春", 30, temperature=1.0, seed=7)
    assert g.generate("春", 30, temperature=1.0, seed=7) == first
    others = {g.generate("春", 30, temperature=1.0, seed=s)["text"] for s in range(8)}
    assert len(others) > 1, "different seeds write different lines"


def test_each_step_reports_the_top_five_before_the_draw():
    vocab = Vocabulary.of("春眠不覺曉，處處聞啼鳥。\n")
    _model, g = tiny_generator("simplernn", vocab)
    out = g.generate("春眠", 6, temperature=0)
    assert len(out["steps"]) == 6 and out["text"] == "".join(s["char"] for s in out["steps"])
    text = "春眠"
    for step in out["steps"]:
        p = g.probabilities(text)  # the model's own distribution at this point
        best = np.argsort(-p)[:5]
        assert [c["char"] for c in step["top"]] == [vocab.chars[i] for i in best]
        assert [c["p"] for c in step["top"]] == sorted((c["p"] for c in step["top"]), reverse=True)
        assert step["char"] == step["top"][0]["char"], "greedy writes the top bar"
        text += step["char"]


def test_higher_temperature_writes_more_varied_text():
    vocab = Vocabulary.of("春眠不覺曉，處處聞啼鳥。\n夜來風雨聲花落知多少")
    _model, g = tiny_generator("lstm", vocab)
    def distinct(t):
        return len({g.generate("春", 8, temperature=t, seed=s)["text"] for s in range(12)})
    assert distinct(0) == 1 and distinct(0.3) <= distinct(1.5) and distinct(1.5) > 1


# --- the default poem model in models/ -------------------------------------------------------

def default_generator():
    manifest = json.loads((BUILTIN_DIR / "poems-lstm.json").read_text(encoding="utf-8"))
    return manifest, TextGenerator(read_keras_weights(BUILTIN_DIR / manifest["file"]), Vocabulary(manifest["vocabulary"]))


def test_the_default_model_completes_famous_lines():
    manifest, g = default_generator()
    assert (BUILTIN_DIR / manifest["file"]).stat().st_size < 5_000_000
    assert g.generate("床前明月", 1, temperature=0)["text"] == "光"
    assert g.generate("床前明月光，", 5, temperature=0)["text"] == "疑是地上霜"
    assert g.generate("春眠不覺", 1, temperature=0)["text"] == "曉"
    assert g.generate("國破山河", 1, temperature=0)["text"] == "在"
    assert manifest["metrics"]["completions_right"] == manifest["metrics"]["completions_checked"] == 6


def test_the_default_model_in_numpy_matches_keras():
    import keras

    manifest, g = default_generator()
    model = keras.saving.load_model(BUILTIN_DIR / manifest["file"], compile=False)
    prompt = "床前明月"
    read = g.vocab.encode(g.start + prompt)  # the generator reads the blank line before a poem first
    keras_p = np.asarray(model.predict(read[None], verbose=0))[0, -1]
    np.testing.assert_allclose(g.probabilities(prompt), keras_p, atol=PREDICT_TOLERANCE)


def test_the_colab_code_runs_and_builds_the_same_network(tmp_path, monkeypatch, capsys):
    import shutil

    from app.ml.text import POEMS_DIR
    from app.ml.text_design import keras_code

    shutil.copy(POEMS_DIR / "song100.jsonl", tmp_path)
    monkeypatch.chdir(tmp_path)
    design = TextDesign(corpus="song100", cell="gru", units=8, embedding=4, sequence_length=10, epochs=1, subset=600)
    scope: dict = {}
    exec(compile(keras_code(design), "colab.py", "exec"), scope)  # the page's code, unchanged
    assert scope["model"].count_params() == parameter_count(design, len(vocabulary("song100")))
    assert scope["chars"] == list(vocabulary("song100").chars), "the same vocabulary as the lab's"
    assert "\n床前明月" in capsys.readouterr().out, "it wrote from the prompt"


def test_a_web_process_keeps_only_the_poem_models_used_last():
    """A class's own poem models do not pile up: the least recently used writer is let go."""
    from app.ml.text_generate import TextGenerators

    writer = tiny_generator("lstm", Vocabulary(list("春眠不覺曉")))[1]
    loads: list[str] = []

    def loader(name: str):
        def load():
            loads.append(name)
            return writer
        return load

    kept = TextGenerators()
    kept.get("m0", loader("m0"))
    assert kept.get("m0", loader("m0")) is writer and loads == ["m0"]  # loaded once, then served from memory
    for i in range(1, TextGenerators.KEPT):
        kept.get(f"m{i}", loader(f"m{i}"))
    kept.get("m0", loader("m0"))  # m0 used again: m1 is now the one used longest ago
    kept.get("new", loader("new"))
    assert len(kept) == TextGenerators.KEPT
    kept.get("m0", loader("m0"))
    assert loads.count("m0") == 1  # still there
    kept.get("m1", loader("m1"))
    assert loads.count("m1") == 2  # it had been let go, so it was read again
