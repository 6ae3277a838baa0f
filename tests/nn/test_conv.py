"""Convolution and pooling against references: a naive loop, Keras' own ops, and the lecture's slides."""

import numpy as np
import pytest

from app.nn import conv

rng = np.random.default_rng(7)


def naive_conv(image, kernel, padding, stride):
    """The definition, written out: zero-pad like Keras, then Σ window × kernel at every stop."""
    image, kernel = np.asarray(image, float), np.asarray(kernel, float)
    n, k = image.shape[0], kernel.shape[0]
    if padding == "same":
        out = -(-n // stride)
        total = max((out - 1) * stride + k - n, 0)
        before = total // 2
        padded = np.zeros((n + total, n + total))
        padded[before : before + n, before : before + n] = image
    else:
        out, padded = (n - k) // stride + 1, image
    board = np.zeros((out, out))
    for i in range(out):
        for j in range(out):
            total = 0.0
            for u in range(k):
                for v in range(k):
                    total += padded[i * stride + u, j * stride + v] * kernel[u, v]
            board[i, j] = total
    return board


@pytest.fixture(scope="module")
def keras_ops():
    import keras

    return keras.ops


# The lecture's numbers (slides 191–206) -------------------------------------------------------

def test_lecture_board_starts_like_the_slide():
    board = conv.conv2d(conv.LECTURE_IMAGE, conv.LECTURE_KERNEL, "valid", 1)
    assert board.shape == (6, 6)  # valid padding: 8 − 3 + 1
    assert board[0].tolist() == [35, 27, 44, 32, 36, 38]


def test_the_slides_misprint_is_a_misprint():
    # Row 2, column 4 (from 1): the slide prints 36; the nine products add up to 37.
    m = conv.LECTURE_SLIDE_MISPRINT
    window = conv.window_at(conv.LECTURE_IMAGE, conv.LECTURE_KERNEL, m["row"], m["col"])
    assert window.total == 37 == m["true"] != m["slide"]
    assert window.pixels.tolist() == [[0, 4, 2], [3, 5, 5], [5, 0, 2]]
    assert conv.conv2d(conv.LECTURE_IMAGE, conv.LECTURE_KERNEL)[1, 3] == 37


def test_slide_206_pooled_board_is_valid_padding_relu_then_2x2_max_pool():
    result = conv.run(conv.LECTURE_IMAGE, conv.LECTURE_KERNEL, padding="valid", stride=1, bias=0, pool=2)
    assert result.pooled.tolist() == conv.LECTURE_POOLED
    # …and not "same" padding: that gives a 4×4 pooled board with other numbers
    same = conv.run(conv.LECTURE_IMAGE, conv.LECTURE_KERNEL, padding="same", pool=2)
    assert same.pooled.shape == (4, 4) and same.pooled[0].tolist() != conv.LECTURE_POOLED[0]
    # The misprinted cell (1, 3) shares its pooling region with 44, so pooling hides the misprint.
    assert result.winners[0, 1].tolist() == [0, 2]


def test_window_products_are_the_nine_multiplications():
    window = conv.window_at(conv.LECTURE_IMAGE, conv.LECTURE_KERNEL, 0, 0)
    assert window.products.tolist() == [[2, 0, 5], [4, 3, 12], [4, 3, 2]]
    assert window.total == 35


# Against references ---------------------------------------------------------------------------

@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("n,k", [(8, 3), (7, 3), (6, 5), (5, 2), (4, 4), (1, 1)])
def test_conv2d_matches_a_naive_loop(padding, stride, n, k):
    image, kernel = rng.normal(size=(n, n)), rng.normal(size=(k, k))
    np.testing.assert_allclose(conv.conv2d(image, kernel, padding, stride), naive_conv(image, kernel, padding, stride), atol=1e-12)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("n,k", [(8, 3), (7, 3), (9, 4), (6, 2)])
def test_conv2d_matches_keras_conv(keras_ops, padding, stride, n, k):
    """keras.ops.conv is what Conv2D calls: cross-correlation, Keras' own zero padding."""
    image, kernel = rng.normal(size=(n, n)), rng.normal(size=(k, k))
    expected = keras_ops.convert_to_numpy(
        keras_ops.conv(image[None, :, :, None].astype("float32"), kernel[:, :, None, None].astype("float32"),
                       strides=stride, padding=padding)
    )[0, :, :, 0]
    got = conv.conv2d(image, kernel, padding, stride)
    assert got.shape == expected.shape == conv.board_shape((n, n), (k, k), padding, stride)
    np.testing.assert_allclose(got, expected, atol=1e-4)  # float32 in Keras


def test_same_padding_with_stride_2_puts_the_odd_zero_bottom_right():
    # 8 wide, 3×3, stride 2 → 4 outputs need (4−1)·2 + 3 = 9 columns: one zero, on the right
    assert conv.padding_amounts((8, 8), (3, 3), "same", 2) == ((0, 1), (0, 1))
    assert conv.padding_amounts((8, 8), (3, 3), "same", 1) == ((1, 1), (1, 1))
    assert conv.pad(np.ones((8, 8)), (3, 3), "same", 1).shape == (10, 10)


@pytest.mark.parametrize("n,size", [(6, 2), (8, 2), (7, 2), (9, 3), (4, 4)])
def test_max_pool_matches_keras_max_pool(keras_ops, n, size):
    board = rng.normal(size=(n, n))
    expected = keras_ops.convert_to_numpy(
        keras_ops.max_pool(board[None, :, :, None].astype("float32"), pool_size=size, strides=size, padding="valid")
    )[0, :, :, 0]
    pooled, winners = conv.max_pool(board, size)
    np.testing.assert_allclose(pooled, expected, atol=1e-6)
    # each winner is inside its own region and holds the pooled value
    for i in range(pooled.shape[0]):
        for j in range(pooled.shape[1]):
            r, c = winners[i, j]
            assert i * size <= r < (i + 1) * size and j * size <= c < (j + 1) * size
            assert board[r, c] == pooled[i, j]


def test_max_pool_ties_go_to_the_first_cell_in_reading_order():
    pooled, winners = conv.max_pool([[1, 5], [5, 5]], 2)
    assert pooled.tolist() == [[5]] and winners[0, 0].tolist() == [0, 1]


def test_bias_then_relu_keeps_the_positive_part():
    result = conv.run([[1, -2], [3, -4]], [[1]], bias=-1, pool=1)
    assert result.activated.tolist() == [[0, 0], [2, 0]]
    assert result.pooled is None


def test_a_vertical_line_filter_finds_a_vertical_line():
    image = np.zeros((8, 8))
    image[:, 3] = 1
    board = conv.conv2d(image, [[-1, 2, -1]] * 3)
    assert board[:, 2].tolist() == [6] * 6  # the window centred on the line
    assert (board[:, [0, 4, 5]] == 0).all() and (board[:, [1, 3]] == -3).all()


def test_kernel_larger_than_image_is_refused():
    with pytest.raises(ValueError):
        conv.conv2d(np.ones((2, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError):
        conv.max_pool(np.ones((1, 1)), 2)
