"""The digit GAN's pieces: the numpy generator the web runs is the Keras generator's twin; one
tiny epoch trains both players (D's weights move, and G's), and images come out as MNIST does."""

import numpy as np

from app.ml import gan


def test_numpy_generator_is_the_keras_generators_twin():
    import keras

    keras.utils.set_random_seed(3)
    generator = gan.build_generator(latent_dim=12)
    weights = gan.generator_weights(generator)
    for digit in (0, 7):
        z = np.random.default_rng(5).standard_normal((4, 12)).astype(np.float32)
        keras_images = gan.to_uint8(generator.predict_on_batch([z, np.full((4, 1), digit, np.int32)]))
        numpy_images = gan.numpy_generate(weights, digit, 4, seed=5)
        assert np.abs(keras_images.astype(int) - numpy_images.astype(int)).max() <= 1  # rounding at x.5 only
    assert generator.count_params() == gan.generator_parameters(12)
    assert numpy_images.dtype == np.uint8 and numpy_images.shape == (4, 28, 28)
    again = np.load(__import__("io").BytesIO(gan.npz_bytes(weights)))
    assert np.array_equal(gan.numpy_generate(dict(again), 7, 4, seed=5), numpy_images)  # survives the file


def test_one_tiny_epoch_trains_both_players(shared):
    with np.load(shared / "datasets" / "mnist.npz") as data:
        x, y = data["x_train"][:512], data["y_train"][:512]
    seen = []
    generator = gan.train(x, y, epochs=1, seed=1, batch_size=64, latent_dim=8,
                          on_epoch=lambda e, logs, g: seen.append((e, logs)))
    assert [e for e, _ in seen] == [1] and set(seen[0][1]) == {"d_loss", "g_loss"}
    assert all(np.isfinite(v) for v in seen[0][1].values())
    fresh = gan.build_generator(latent_dim=8)
    assert any(not np.allclose(a, b) for a, b in zip(generator.get_weights(), fresh.get_weights()))
    grid = gan.sample_grid(generator, per_digit=3)
    assert grid.shape == (280, 84) and grid.dtype == np.uint8
    assert gan.png_bytes(grid)[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_judge_copies_d_and_g_steps_leave_d_alone():
    import keras

    keras.utils.set_random_seed(0)
    generator, discriminator, combined, judge = gan.build_gan(latent_dim=8)
    judge.set_weights(discriminator.get_weights())
    before = [w.copy() for w in discriminator.get_weights()]
    g_before = [w.copy() for w in generator.get_weights()]
    z = np.random.default_rng(0).standard_normal((16, 8)).astype(np.float32)
    combined.train_on_batch([z, np.zeros((16, 1), np.int32)], np.ones((16, 1), np.float32))
    assert all(np.array_equal(a, b) for a, b in zip(before, discriminator.get_weights()))  # D unchanged
    assert all(np.array_equal(a, b) for a, b in zip(before, judge.get_weights()))  # the frozen copy too
    assert any(not np.array_equal(a, b) for a, b in zip(g_before, generator.get_weights()))  # G learned
