"""Keras 3 builders for the lecture's digit networks (keras-io `mnist_convnet.py` style).

    build_dnn([100, 100])                      # the lecture's DNN: 784 → 100 → 100 → 10
    build_cnn(LECTURE_CNN_BLOCKS, [64])        # the lecture's CNN: conv16 → conv32 → conv64 → dense 64 → 10

Layers have readable names (flatten, dense1, conv1, pool1, …, output) so that a page can show
what each layer makes of a learner's drawing. Pure Keras: the same code trains on TensorFlow,
JAX or PyTorch. The models end in softmax: they output 10 probabilities that sum to 1.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers

from app.ml import design
from app.ml.design import INPUT_SHAPE, LECTURE_CNN_DENSE, LECTURE_DNN_HIDDEN, NUM_CLASSES  # noqa: F401

# The lecture's networks (written once, in app/ml/design.py), as the dicts build_cnn() takes.
LECTURE_CNN_BLOCKS: list[dict[str, Any]] = [block.model_dump() for block in design.LECTURE_CNN_BLOCKS]


def build_dnn(
    hidden_layers: list[int],
    activation: str = "relu",
    input_shape: tuple[int, ...] = INPUT_SHAPE,
    num_classes: int = NUM_CLASSES,
    name: str = "dnn",
) -> keras.Sequential:
    """A fully connected network: the 28×28 image flattened to 784 numbers → hidden Dense layers → softmax."""
    stack: list[layers.Layer] = [keras.Input(shape=input_shape, name="image"), layers.Flatten(name="flatten")]
    for i, units in enumerate(hidden_layers, start=1):
        stack.append(layers.Dense(int(units), activation=activation, name=f"dense{i}"))
    stack.append(layers.Dense(num_classes, activation="softmax", name="output"))
    return keras.Sequential(stack, name=name)


def build_cnn(
    conv_blocks: list[dict[str, Any]],
    dense_layers: list[int],
    activation: str = "relu",
    input_shape: tuple[int, ...] = INPUT_SHAPE,
    num_classes: int = NUM_CLASSES,
    name: str = "cnn",
) -> keras.Sequential:
    """Convolution blocks (conv, then max-pooling when pool > 1) → flatten → Dense layers → softmax.

    A block is {"filters": 16, "kernel_size": 3, "padding": "same" | "valid", "pool": 2 | 0}.
    """
    stack: list[layers.Layer] = [keras.Input(shape=input_shape, name="image")]
    for i, block in enumerate(conv_blocks, start=1):
        stack.append(
            layers.Conv2D(
                int(block["filters"]),
                kernel_size=int(block.get("kernel_size", 3)),
                padding=block.get("padding", "same"),
                activation=activation,
                name=f"conv{i}",
            )
        )
        pool = int(block.get("pool", 2) or 0)
        if pool > 1:
            stack.append(layers.MaxPooling2D(pool_size=pool, name=f"pool{i}"))
    stack.append(layers.Flatten(name="flatten"))
    for i, units in enumerate(dense_layers, start=1):
        stack.append(layers.Dense(int(units), activation=activation, name=f"dense{i}"))
    stack.append(layers.Dense(num_classes, activation="softmax", name="output"))
    return keras.Sequential(stack, name=name)


def lecture_dnn() -> keras.Sequential:
    return build_dnn(LECTURE_DNN_HIDDEN)


def lecture_cnn() -> keras.Sequential:
    return build_cnn(LECTURE_CNN_BLOCKS, LECTURE_CNN_DENSE)
