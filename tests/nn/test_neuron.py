"""One neuron: the lecture's example, every intermediate number, and bad shapes."""

import pytest

from app.nn.neuron import neuron


def test_lecture_example_gives_8():
    r = neuron(x=[1, 3], w=[1, 2], b=1, activation="relu")
    assert r.products == (1.0, 6.0)  # w₁x₁ = 1·1, w₂x₂ = 2·3
    assert r.total == 7.0  # 1 + 6
    assert r.z == 8.0  # 7 + b
    assert r.h == 8.0  # ReLU(8)
    assert r.slope == 1.0  # ReLU′(8)


def test_three_inputs_and_negative_preactivation():
    r = neuron(x=[1, -2, 0.5], w=[0.5, 1, 4], b=-1, activation="relu")
    assert r.products == (0.5, -2.0, 2.0)
    assert r.z == pytest.approx(-0.5, abs=1e-12)
    assert r.h == 0.0  # ReLU cuts a negative z to 0


def test_sigmoid_output_between_0_and_1():
    r = neuron(x=[1, 3], w=[1, 2], b=1, activation="sigmoid")
    assert r.h == pytest.approx(1 / (1 + 2.718281828459045**-8), rel=1e-12)


def test_as_dict_names_the_api_fields():
    d = neuron([1, 3], [1, 2], 1).as_dict()
    assert {"products", "sum", "pre_activation", "output"} <= set(d)


def test_mismatched_lengths_and_unknown_activation_are_errors():
    with pytest.raises(ValueError):
        neuron([1, 2, 3], [1, 2], 0)
    with pytest.raises(ValueError):
        neuron([1, 2], [1, 2], 0, activation="swish")
