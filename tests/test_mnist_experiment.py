"""Tests for helpers.mnist_experiment (notebook 02's experiment) and the five-seed benchmark that reuses it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from helpers import data, mnist_experiment
from helpers.paths import PROJECT_ROOT


@pytest.fixture(scope="module")
def squares():
    """Four 28×28 images: a bright square in a different quadrant of each, labels 0..3."""
    x = np.zeros((4, 28, 28, 1), np.float32)
    for label in range(4):
        r, c = divmod(label, 2)
        x[label, 3 + 14 * r:11 + 14 * r, 3 + 14 * c:11 + 14 * c] = 1.0
    return x, np.arange(4)


# ---------------------------------------------------------------- stratified_subset
def test_stratified_subset_takes_the_same_number_of_every_class():
    y = np.repeat(np.arange(5), 20)
    xs, ys = mnist_experiment.stratified_subset(np.arange(100), y, 7, seed=1)
    assert np.bincount(ys).tolist() == [7] * 5
    np.testing.assert_array_equal(y[xs], ys)  # images stay with their labels
    assert len(set(xs.tolist())) == 35


def test_stratified_subset_is_seeded_and_shuffled():
    y = np.repeat(np.arange(3), 50)
    first, labels = mnist_experiment.stratified_subset(np.arange(150), y, 10, seed=4)
    again, _ = mnist_experiment.stratified_subset(np.arange(150), y, 10, seed=4)
    other, _ = mnist_experiment.stratified_subset(np.arange(150), y, 10, seed=5)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert not np.array_equal(labels, np.sort(labels))


@pytest.mark.parametrize(("per_class", "n_labels", "message"),
                         [(0, 150, "between 1 and 50"), (51, 150, "between 1 and 50"), (1, 10, "differ")])
def test_stratified_subset_rejects_impossible_requests(per_class, n_labels, message):
    y = np.repeat(np.arange(3), 50)[:n_labels]
    with pytest.raises(ValueError, match=message):
        mnist_experiment.stratified_subset(np.arange(150), y, per_class)


# ---------------------------------------------------------------- the model
def test_small_cnn_is_compiled_and_outputs_probabilities():
    model = mnist_experiment.small_cnn()
    assert model.count_params() == 12810  # the number notebook 02 prints
    probabilities = model.predict(np.random.default_rng(0).random((5, 28, 28, 1)), verbose=0)
    assert probabilities.shape == (5, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert model.optimizer is not None and model.loss == "sparse_categorical_crossentropy"
    assert mnist_experiment.small_cnn((32, 32, 3), num_classes=4).output_shape == (None, 4)


def test_small_cnn_learns_a_toy_problem(squares):
    x, y = squares
    model = mnist_experiment.small_cnn(num_classes=4)
    model.fit(np.repeat(x, 16, axis=0), np.repeat(y, 16), epochs=15, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] == 1.0


# ---------------------------------------------------------------- the layers and the pipeline
def test_augmentation_layers_are_the_three_label_preserving_ones():
    layers = mnist_experiment.augmentation_layers(seed=3, interpolation="bilinear")
    rotation, translation, zoom = layers.layers
    assert rotation.factor == pytest.approx((-10 / 360, 10 / 360))
    assert (translation.height_lower, translation.height_upper) == (-0.1, 0.1)
    assert (translation.width_lower, translation.width_upper) == (-0.1, 0.1)
    assert (zoom.height_lower, zoom.height_upper, zoom.width_lower, zoom.width_upper) == (-0.1, 0.1, -0.1, 0.1)
    assert {layer.fill_mode for layer in layers.layers} == {"nearest"}
    assert {layer.interpolation for layer in layers.layers} == {"bilinear"}
    assert [layer.seed for layer in layers.layers] == [3, 4, 5]


def test_augmentation_layers_move_the_digits_a_little_and_repeat_under_a_seed(squares):
    x, _ = squares
    images = np.repeat(x, 16, axis=0)
    first = np.asarray(mnist_experiment.augmentation_layers(seed=1)(images, training=True))
    again = np.asarray(mnist_experiment.augmentation_layers(seed=1)(images, training=True))
    np.testing.assert_array_equal(first, again)
    changed = ~np.isclose(first, images).all(axis=(1, 2, 3))
    assert changed.mean() > 0.9
    # Small transformations: the square of label 0 (the first 16 copies) stays mostly in the top-left quadrant.
    top_left = first[:16, :14, :14].sum(axis=(1, 2, 3))
    assert np.all(top_left > 0.7 * first[:16].sum(axis=(1, 2, 3)))
    np.testing.assert_array_equal(mnist_experiment.augmentation_layers(seed=1)(images, training=False), images)


def test_augmented_dataset_batches_shuffles_and_keeps_labels(squares):
    x, y = squares
    images, labels = np.repeat(x, 10, axis=0), np.repeat(y, 10)
    plain = list(mnist_experiment.augmented_dataset(images, labels, lambda b, training: b, batch_size=16, seed=0))
    assert [len(batch[1]) for batch in plain] == [16, 16, 8]
    got_images = np.concatenate([batch[0] for batch in plain])
    got_labels = np.concatenate([batch[1] for batch in plain])
    assert got_labels.tolist() != labels.tolist() and sorted(got_labels.tolist()) == sorted(labels.tolist())
    np.testing.assert_array_equal(got_images, x[got_labels])  # every image kept its label
    augmented = next(iter(mnist_experiment.augmented_dataset(images, labels, mnist_experiment.augmentation_layers(0),
                                                             batch_size=40, seed=0)))
    assert augmented[0].shape == (40, 28, 28, 1)
    assert not np.allclose(augmented[0].numpy(), x[augmented[1].numpy()])


# ---------------------------------------------------------------- the benchmark that reuses them
@pytest.mark.slow
@pytest.mark.skipif(not data.is_installed("mnist"), reason="needs MNIST (python data_download.py mnist)")
def test_the_five_seed_benchmark_runs_every_way():
    result = subprocess.run([sys.executable, "benchmarks/mnist_augmentation_seeds.py", "--smoke"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    for way in ("baseline", "generator", "layers", "layers-nearest", "flip"):
        assert f"seed 0 {way} " in result.stdout
    assert "| mean |" in result.stdout
