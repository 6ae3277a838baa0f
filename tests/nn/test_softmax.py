"""Softmax and cross-entropy against numpy written out by hand, and the lecture's numbers."""

import numpy as np
import pytest

from app.nn.softmax import cross_entropy, one_hot, softmax, softmax_steps


def test_the_lecture_example():
    r = softmax_steps([1.9, 1.1, 0.2])
    assert [round(p, 2) for p in r.probabilities] == [0.61, 0.28, 0.11]  # slide 47
    assert r.exp == pytest.approx(np.exp([1.9, 1.1, 0.2]), rel=1e-15)  # e^s, unshifted
    assert r.total == pytest.approx(np.exp([1.9, 1.1, 0.2]).sum(), rel=1e-15)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0, 3.0])
def test_matches_numpy(seed, temperature):
    s = np.random.default_rng(seed).normal(0, 5, size=6)
    reference = np.exp(s / temperature) / np.exp(s / temperature).sum()  # the definition, no tricks
    assert softmax(s, temperature) == pytest.approx(reference, rel=1e-12)
    assert sum(softmax_steps(s, temperature).probabilities) == pytest.approx(1.0, abs=1e-12)


def test_large_scores_do_not_overflow():
    p = softmax([1000.0, 999.0], 1.0)  # e^1000 is inf, the shifted form is fine
    assert np.isfinite(p).all() and p[0] == pytest.approx(1 / (1 + np.exp(-1)))


def test_temperature_sharpens_and_flattens():
    s = [1.9, 1.1, 0.2]
    assert softmax(s, 0.1)[0] > 0.99  # nearly one-hot on the top score
    assert max(softmax(s, 10.0)) - min(softmax(s, 10.0)) < 0.06  # nearly uniform


def test_cross_entropy_is_minus_log_of_the_right_class():
    p = softmax([1.9, 1.1, 0.2])
    assert cross_entropy(p, 0) == pytest.approx(-np.log(p[0]))
    assert cross_entropy(p, 2) > cross_entropy(p, 0)  # a confident wrong answer costs more
    assert cross_entropy([0.0, 1.0], 0) == pytest.approx(-np.log(1e-300))  # finite, even for p = 0
    assert one_hot(1, 3) == [0.0, 1.0, 0.0]
    with pytest.raises(ValueError):
        softmax([1.0, 2.0], 0.0)
