"""Tests for helpers.experiments: the subset, the small CNN, the timer and the three training runs."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import experiments, generators

pytestmark = pytest.mark.filterwarnings("ignore:Please import `affine_transform`:DeprecationWarning")
AUGMENTATION = {"rotation_range": 10, "width_shift_range": 0.1, "height_shift_range": 0.1, "zoom_range": 0.1}


@pytest.fixture(scope="module")
def toy():
    """A learnable 4-class problem on 28×28 images: a bright square in one of four quadrants (+ noise)."""
    rng = np.random.default_rng(0)

    def make(n):
        y = rng.integers(0, 4, n)
        x = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for i, label in enumerate(y):
            r, c = divmod(int(label), 2)
            x[i, 3 + 14 * r:11 + 14 * r, 3 + 14 * c:11 + 14 * c] = 255
        return x, y

    return make(240), make(200)


# ---------------------------------------------------------------- data
def test_stratified_subset_takes_the_same_number_of_every_class():
    y = np.repeat(np.arange(5), 20)
    x = np.arange(100)
    xs, ys = experiments.stratified_subset(x, y, 7, seed=1)
    assert np.bincount(ys).tolist() == [7] * 5
    np.testing.assert_array_equal(y[xs], ys)  # images stay with their labels
    assert len(set(xs.tolist())) == 35


def test_stratified_subset_is_seeded_and_shuffled():
    y = np.repeat(np.arange(3), 50)
    x = np.arange(150)
    first, _ = experiments.stratified_subset(x, y, 10, seed=4)
    again, _ = experiments.stratified_subset(x, y, 10, seed=4)
    other, _ = experiments.stratified_subset(x, y, 10, seed=5)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    _, labels = experiments.stratified_subset(x, y, 10, seed=4)
    assert not np.array_equal(labels, np.sort(labels))


@pytest.mark.parametrize(("per_class", "message"), [(0, "at least 1"), (51, "only 50")])
def test_stratified_subset_rejects_impossible_requests(per_class, message):
    y = np.repeat(np.arange(3), 50)
    with pytest.raises(ValueError, match=message):
        experiments.stratified_subset(np.arange(150), y, per_class)
    with pytest.raises(ValueError, match="differ"):
        experiments.stratified_subset(np.arange(10), y, 1)


def test_as_images_adds_a_channel_and_keeps_values():
    x = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    images = experiments.as_images(x)
    assert images.shape == (2, 3, 4, 1) and images.dtype == np.float32
    np.testing.assert_array_equal(images[..., 0], x)
    assert experiments.as_images(np.zeros((2, 3, 4, 3))).shape == (2, 3, 4, 3)
    with pytest.raises(ValueError):
        experiments.as_images(np.zeros((3, 4)))


# ---------------------------------------------------------------- model and timer
def test_small_cnn_outputs_probabilities():
    model = experiments.small_cnn()
    assert model.count_params() == 12810
    probabilities = model.predict(np.random.default_rng(0).random((5, 28, 28, 1)), verbose=0)
    assert probabilities.shape == (5, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert experiments.small_cnn((32, 32, 3), num_classes=4).output_shape == (None, 4)


@pytest.mark.parametrize("kwargs", [{"input_shape": (28, 28)}, {"num_classes": 1}])
def test_small_cnn_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        experiments.small_cnn(**kwargs)


def test_epoch_timer_records_one_positive_time_per_epoch(toy):
    (x, y), _ = toy
    timer = experiments.EpochTimer()
    model = experiments.small_cnn(num_classes=4)
    model.fit(experiments.as_images(x[:64]) / 255, y[:64], epochs=3, batch_size=32, verbose=0, callbacks=[timer])
    assert len(timer.seconds) == 3 and all(t > 0 for t in timer.seconds)


def test_steady_epoch_seconds_skips_the_first_epoch():
    result = experiments.RunResult("r", {}, 0.5, [9.0, 1.0, 3.0, 2.0])
    assert result.steady_epoch_seconds == 2.0
    assert experiments.RunResult("r", {}, 0.5, [4.0]).steady_epoch_seconds == 4.0


# ---------------------------------------------------------------- the pipeline
def test_augmented_dataset_batches_shuffles_and_augments(toy):
    (x, y), _ = toy
    x01 = (x[:40] / 255.0).astype(np.float32)
    plain = list(experiments.augmented_dataset(x01, y[:40], None, batch_size=16, seed=0))
    assert [len(b[0]) for b in plain] == [16, 16, 8]
    images = np.concatenate([b[0] for b in plain])
    labels = np.concatenate([b[1] for b in plain])
    assert images.shape == (40, 28, 28, 1)
    # Shuffled, but every image keeps its label.
    order = [int(np.flatnonzero((x01 == img[..., 0]).all(axis=(1, 2)))[0]) for img in images]
    assert sorted(order) == list(range(40)) and order != list(range(40))
    np.testing.assert_array_equal(labels, y[:40][order])
    layers = generators.keras_layers_for(AUGMENTATION, value_range=(0, 1), seed=0)
    augmented = next(iter(experiments.augmented_dataset(x01, y[:40], layers, batch_size=40, seed=0)))[0].numpy()
    changed = [not np.isclose(a[..., 0], x01).all(axis=(1, 2)).any() for a in augmented]
    assert sum(changed) >= 36, "almost every image should be transformed"


def test_augmented_dataset_rejects_bad_arguments():
    with pytest.raises(ValueError):
        experiments.augmented_dataset(np.zeros((3, 28, 28)), np.zeros(2), None)
    with pytest.raises(ValueError):
        experiments.augmented_dataset(np.zeros((3, 28, 28)), np.zeros(3), None, batch_size=0)


# ---------------------------------------------------------------- the runs
@pytest.mark.slow
def test_baseline_learns_and_is_reproducible(toy):
    (x, y), (x_test, y_test) = toy
    first = experiments.run_baseline(x, y, x_test, y_test, epochs=3, seed=2)
    again = experiments.run_baseline(x, y, x_test, y_test, epochs=3, seed=2)
    assert len(first.history["val_accuracy"]) == 3 and len(first.epoch_seconds) == 3
    assert first.test_accuracy == first.history["val_accuracy"][-1]
    assert first.test_accuracy > 0.8, "four quadrants are easy: a working run must learn them"
    assert first.history == again.history
    assert isinstance(first.model, keras.Model)


@pytest.mark.slow
def test_generator_run_learns_and_checks_the_scaling(toy):
    (x, y), (x_test, y_test) = toy
    datagen = generators.ImageDataGenerator(rescale=1 / 255, **AUGMENTATION)
    result = experiments.run_with_generator(datagen, x, y, x_test, y_test, epochs=3, seed=0)
    assert result.name == "ImageDataGenerator" and result.test_accuracy > 0.7
    with pytest.raises(ValueError, match="rescale"):
        experiments.run_with_generator(generators.ImageDataGenerator(), x, y, x_test, y_test, epochs=1)
    with pytest.raises(ValueError, match="ImageDataGenerator"):
        experiments.run_with_generator(object(), x, y, x_test, y_test, epochs=1)


@pytest.mark.slow
def test_layers_run_learns(toy):
    (x, y), (x_test, y_test) = toy
    layers = generators.keras_layers_for(AUGMENTATION, value_range=(0, 1), seed=0)
    result = experiments.run_with_layers(layers, x, y, x_test, y_test, epochs=3, seed=0)
    assert result.test_accuracy > 0.7
    assert len(result.epoch_seconds) == 3


@pytest.mark.parametrize("kwargs", [{"epochs": 0}, {"batch_size": 0}])
def test_runs_reject_bad_arguments(toy, kwargs):
    (x, y), (x_test, y_test) = toy
    with pytest.raises(ValueError):
        experiments.run_baseline(x, y, x_test, y_test, **kwargs)
    with pytest.raises(ValueError):
        experiments.run_with_layers(tf.identity, x, y[:5], x_test, y_test)
