"""app.ml.networks: the lecture's DNN and CNN as Keras 3 Sequential models with readable layer names."""

from __future__ import annotations

import numpy as np

from app.ml.networks import LECTURE_CNN_BLOCKS, build_cnn, build_dnn, lecture_cnn, lecture_dnn


def test_the_lecture_dnn_is_784_100_100_10():
    model = lecture_dnn()
    assert [layer.name for layer in model.layers] == ["flatten", "dense1", "dense2", "output"]
    assert [tuple(layer.output.shape[1:]) for layer in model.layers] == [(784,), (100,), (100,), (10,)]
    # 784·100+100 + 100·100+100 + 100·10+10 weights and biases
    assert model.count_params() == 784 * 100 + 100 + 100 * 100 + 100 + 100 * 10 + 10


def test_the_lecture_cnn_is_conv16_conv32_conv64_dense64():
    model = lecture_cnn()
    names = [layer.name for layer in model.layers]
    assert names == ["conv1", "pool1", "conv2", "pool2", "conv3", "pool3", "flatten", "dense1", "output"]
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    assert shapes["conv1"] == (28, 28, 16) and shapes["pool3"] == (3, 3, 64) and shapes["dense1"] == (64,)
    assert model.count_params() == (9 * 16 + 16) + (9 * 16 * 32 + 32) + (9 * 32 * 64 + 64) + (576 * 64 + 64) + (64 * 10 + 10)


def test_outputs_are_probabilities():
    x = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    for model in (build_dnn([8], activation="sigmoid"), build_cnn([{"filters": 4, "padding": "valid", "pool": 0}], [], activation="tanh")):
        p = np.asarray(model(x))
        assert p.shape == (3, 10) and np.allclose(p.sum(axis=1), 1, atol=1e-5) and (p >= 0).all()


def test_blocks_without_pooling_and_valid_padding():
    model = build_cnn([{"filters": 8, "kernel_size": 5, "padding": "valid", "pool": 0}, LECTURE_CNN_BLOCKS[1]], [32])
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    assert "pool1" not in shapes and shapes["conv1"] == (24, 24, 8) and shapes["pool2"] == (12, 12, 32)
