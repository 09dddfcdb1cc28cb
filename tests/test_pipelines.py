"""Notebook 04's four input pipelines produce the same kind of batches, and the timing helpers count right."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from helpers import pipelines


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory):
    """Three photos per class, of different sizes, repeated 4 times: 24 images (hotdog: bright, not-hotdog: dark)."""
    source, target = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("repeated")
    rng = np.random.default_rng(0)
    for label, low in (("hotdog", 150), ("not-hotdog", 0)):
        (source / label).mkdir()
        for i, (h, w) in enumerate([(120, 160), (200, 150), (90, 90)]):
            pixels = rng.integers(low, low + 100, (h, w, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(source / label / f"{i}.jpg", quality=95)
    assert pipelines.repeated_folder(source, 4, target) == 24
    return target


def one_epoch(batches) -> tuple[np.ndarray, np.ndarray]:
    """All images and labels (flattened) of one pass; a Keras generator stops after len(batches) batches."""
    steps = len(batches) if hasattr(batches, "on_epoch_end") else None
    xs, ys = [], []
    for step, (x, y) in enumerate(batches):
        xs.append(np.asarray(x))
        ys.append(np.asarray(y).reshape(-1))
        if steps is not None and step + 1 == steps:
            break
    return np.concatenate(xs), np.concatenate(ys)


def test_repeated_folder_links_instead_of_copying(photo_folder):
    links = sorted(photo_folder.glob("*/*.jpg"))
    assert len(links) == 24 and all(p.is_symlink() for p in links)
    with pytest.raises(ValueError, match="copies must be at least 1"):
        pipelines.repeated_folder(photo_folder, 0, photo_folder / "x")
    with pytest.raises(ValueError, match="holds no"):
        pipelines.repeated_folder(photo_folder / "missing", 1, photo_folder / "y")


def test_pipeline_kinds_are_named_for_what_they_are():
    assert list(pipelines.PIPELINES) == ["decode_only", "idg", "keras_layers", "tf_data"]


@pytest.mark.parametrize("kind", list(pipelines.PIPELINES))
def test_every_pipeline_gives_224_batches_of_raw_rgb_with_hotdog_as_1(photo_folder, kind):
    images, labels = one_epoch(pipelines.make_pipeline(kind, photo_folder))
    assert images.shape == (24, 224, 224, 3) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 255 and images.max() > 100  # 0..255, not rescaled to 0..1
    assert sorted(labels) == [0.0] * 12 + [1.0] * 12
    # hot dogs are the bright photos: label 1 must be the folder "hotdog" in every pipeline (not alphabetical 0)
    brightness = images.mean(axis=(1, 2, 3))
    assert brightness[labels == 1].mean() > brightness[labels == 0].mean() + 50


def test_read_photo_takes_the_label_from_the_folder(photo_folder):
    image, label = pipelines.read_photo(tf.constant(str(photo_folder / "hotdog" / "000_1.jpg")))
    assert image.shape == (200, 150, 3) and image.dtype == tf.uint8 and float(label) == 1.0
    _, label = pipelines.read_photo(tf.constant(str(photo_folder / "not-hotdog" / "000_1.jpg")))
    assert float(label) == 0.0


def test_augment_photo_is_stateless_sized_and_in_range():
    image = tf.constant(np.random.default_rng(1).integers(0, 256, (120, 160, 3)), tf.uint8)
    first = pipelines.augment_photo(image, tf.constant([1, 2]))
    assert first.shape == (224, 224, 3) and first.dtype == tf.float32
    assert 0 <= float(tf.reduce_min(first)) and float(tf.reduce_max(first)) <= 255
    np.testing.assert_array_equal(first, pipelines.augment_photo(image, tf.constant([1, 2])))
    assert not np.array_equal(first, pipelines.augment_photo(image, tf.constant([1, 3])))


def test_augment_photo_flips_about_half_the_time():
    """A left-right ramp: after the crop its left edge is darker than its right unless the image was flipped."""
    ramp = tf.cast(tf.tile(tf.linspace(0.0, 255.0, 160)[None, :, None], (120, 1, 3)), tf.uint8)
    flipped = [float(tf.reduce_mean(out[:, :10]) > tf.reduce_mean(out[:, -10:]))
               for out in (pipelines.augment_photo(ramp, tf.constant([0, i])) for i in range(200))]
    assert 0.35 < np.mean(flipped) < 0.65


def test_tf_data_pipeline_repeats_per_run_and_changes_per_epoch(photo_folder):
    first = pipelines.tf_data_pipeline(photo_folder, seed=3)
    epoch_1, epoch_2 = one_epoch(first)[0], one_epoch(first)[0]
    again = one_epoch(pipelines.tf_data_pipeline(photo_folder, seed=3))[0]
    np.testing.assert_array_equal(epoch_1, again)  # a fresh run redraws the same order and augmentations
    assert not np.array_equal(epoch_1, epoch_2)  # each epoch sees new variants


def test_switches_for_parallel_map_and_prefetch_keep_the_result(photo_folder):
    fast = one_epoch(pipelines.tf_data_pipeline(photo_folder))[0]
    slow = one_epoch(pipelines.tf_data_pipeline(photo_folder, parallel=False, prefetch=False))[0]
    np.testing.assert_allclose(fast, slow)


def test_sequential_and_no_prefetch_switch_off_tf_data_own_optimisations(photo_folder):
    plain = pipelines.tf_data_pipeline(photo_folder, parallel=False, prefetch=False).options()
    assert plain.experimental_optimization.map_parallelization is False
    assert plain.experimental_optimization.inject_prefetch is False
    fast = pipelines.tf_data_pipeline(photo_folder).options()
    assert fast.experimental_optimization.map_parallelization is True
    assert fast.threading.max_intra_op_parallelism == 1


def test_make_pipeline_refuses_an_unknown_kind(photo_folder):
    with pytest.raises(ValueError, match="kind must be one of decode_only, idg, keras_layers, tf_data"):
        pipelines.make_pipeline("d", photo_folder)


def test_epoch_seconds_counts_images_and_stops_a_keras_generator(photo_folder):
    times, images = pipelines.epoch_seconds(pipelines.idg_pipeline(photo_folder), epochs=2, warmup=0)
    assert images == 24 and len(times) == 2 and all(t > 0 for t in times)
    with pytest.raises(ValueError, match="epochs >= 1"):
        pipelines.epoch_seconds([], epochs=0)


def test_simulated_training_waits_one_step_per_batch(photo_folder):
    batches = pipelines.tf_data_pipeline(photo_folder, augment=False)  # 24 images: 1 batch of 24
    assert pipelines.simulated_training_seconds(batches, 0.3) >= 0.3
    assert pipelines.simulated_training_seconds(batches, 0.0, steps=1) < 5
    with pytest.raises(ValueError, match="step_seconds"):
        pipelines.simulated_training_seconds(batches, -1)
