"""Notebook 04's four input pipelines produce the same kind of batches, and the timing helpers count right; the
benchmark's plumbing (benchmarks/input_pipelines.py) builds them by name and repeats the photos."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from scipy import stats

from helpers import augment, pipelines
from helpers.paths import PROJECT_ROOT


@pytest.fixture(scope="module")
def benchmark():
    """benchmarks/input_pipelines.py as a module (it imports ``common`` from its own folder)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(PROJECT_ROOT / "benchmarks"))
        return importlib.import_module("input_pipelines")


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory, benchmark):
    """Three photos per class, of different sizes, repeated 4 times: 24 images (hotdog: bright, not-hotdog: dark)."""
    source, target = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("repeated")
    rng = np.random.default_rng(0)
    for label, low in (("hotdog", 150), ("not-hotdog", 0)):
        (source / label).mkdir()
        for i, (h, w) in enumerate([(120, 160), (200, 150), (90, 90)]):
            pixels = rng.integers(low, low + 100, (h, w, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(source / label / f"{i}.jpg", quality=95)
    assert benchmark.repeated_folder(source, 4, target) == 24
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


def test_repeated_folder_links_instead_of_copying(photo_folder, benchmark):
    links = sorted(photo_folder.glob("*/*.jpg"))
    assert len(links) == 24 and all(p.is_symlink() for p in links)
    with pytest.raises(ValueError, match="copies must be at least 1"):
        benchmark.repeated_folder(photo_folder, 0, photo_folder / "x")
    with pytest.raises(ValueError, match="holds no"):
        benchmark.repeated_folder(photo_folder / "missing", 1, photo_folder / "y")


def test_repeated_folder_copies_where_links_are_not_allowed(photo_folder, benchmark, tmp_path, monkeypatch):
    def refuse(self, target):  # Windows without developer mode
        raise OSError(1314, "A required privilege is not held by the client")

    monkeypatch.setattr(type(tmp_path), "symlink_to", refuse)
    assert benchmark.repeated_folder(photo_folder, 2, tmp_path) == 48
    copies = sorted(tmp_path.glob("*/*.jpg"))
    assert len(copies) == 48 and not any(p.is_symlink() for p in copies)
    assert (tmp_path / "hotdog" / "001_000_1.jpg").read_bytes() == (photo_folder / "hotdog" / "000_1.jpg").read_bytes()


def test_pipeline_kinds_are_named_for_what_they_are():
    assert list(pipelines.PIPELINES) == ["decode_only", "idg", "keras_layers", "tf_data"]


@pytest.mark.parametrize("kind", list(pipelines.PIPELINES))
def test_every_pipeline_gives_224_batches_of_raw_rgb_with_hotdog_as_1(photo_folder, benchmark, kind):
    images, labels = one_epoch(benchmark.make_pipeline(kind, photo_folder))
    assert images.shape == (24, 224, 224, 3) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 255 and images.max() > 100  # 0..255, not rescaled to 0..1
    assert sorted(labels) == [0.0] * 12 + [1.0] * 12
    # hot dogs are the bright photos: label 1 must be the folder "hotdog" in every pipeline (not alphabetical 0)
    brightness = images.mean(axis=(1, 2, 3))
    assert brightness[labels == 1].mean() > brightness[labels == 0].mean() + 50


def test_read_photo_takes_the_label_from_the_folder(photo_folder):
    contents, label = pipelines.read_photo(tf.constant(str(photo_folder / "hotdog" / "000_1.jpg")))
    assert tuple(tf.io.extract_jpeg_shape(contents).numpy()) == (200, 150, 3) and float(label) == 1.0
    _, label = pipelines.read_photo(tf.constant(str(photo_folder / "not-hotdog" / "000_1.jpg")))
    assert float(label) == 0.0


def smooth_photo(height=120, width=160) -> tf.Tensor:
    """A colour gradient (JPEG-friendly: decoding a window of it gives the same pixels as cropping it)."""
    y, x = np.mgrid[0:height, 0:width]
    return tf.constant(np.stack([x * 255 / width, y * 255 / height, (x + y) * 255 / (height + width)], -1), tf.uint8)


def test_augment_photo_is_stateless_sized_and_in_range():
    jpeg = tf.io.encode_jpeg(tf.constant(np.random.default_rng(1).integers(0, 256, (120, 160, 3)), tf.uint8))
    first = pipelines.augment_photo(jpeg, tf.constant([1, 2]))
    assert first.shape == (224, 224, 3) and first.dtype == tf.float32
    assert 0 <= float(tf.reduce_min(first)) and float(tf.reduce_max(first)) <= 255
    np.testing.assert_array_equal(first, pipelines.augment_photo(jpeg, tf.constant([1, 2])))
    assert not np.array_equal(first, pipelines.augment_photo(jpeg, tf.constant([1, 3])))


@pytest.mark.parametrize("encode", [tf.io.encode_jpeg, tf.io.encode_png, lambda image: image])
def test_jpeg_png_and_decoded_photos_get_the_same_crop(encode):
    """A JPEG is decoded only inside the box, a PNG whole and then cropped, a decoded image cropped: same box."""
    photo = smooth_photo()
    for i in range(5):
        crop = pipelines.random_crop(encode(photo), tf.constant([4, i]))
        reference = pipelines.random_crop(photo, tf.constant([4, i]))
        assert crop.dtype == tf.uint8 and crop.shape == reference.shape
        assert np.abs(crop.numpy().astype(int) - reference.numpy().astype(int)).mean() < 3  # JPEG's loss only


def old_augment_photo(image, seed):
    """The augmentation before the crop-window decoding: notebook 01's crop and resize, then the colours."""
    crop_seed, flip_seed, brightness_seed, contrast_seed = tf.unstack(tf.random.split(seed, 4))
    out = augment.random_resized_crop(image, crop_seed, pipelines.SIZE, area=pipelines.AREA, ratio=pipelines.RATIO)
    out = tf.image.stateless_random_flip_left_right(out, flip_seed)
    out = tf.image.stateless_random_brightness(out, pipelines.JITTER * 255, brightness_seed)
    out = tf.image.stateless_random_contrast(out, 1 - pipelines.JITTER, 1 + pipelines.JITTER, contrast_seed)
    return tf.clip_by_value(out, 0.0, 255.0)


def old_crop_sizes(seeds, height=90, width=120):
    """(height, width) of the box notebook 01's ``augment.random_resized_crop`` took, the old pipeline's crop.

    The image holds each pixel's row and column and is smaller than 224, so the bilinear upsampling keeps the
    box's first and last row and column exactly: their minimum and maximum give the box.
    """
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    where = tf.constant(np.stack([rows, cols, rows], -1))
    sizes = []
    for seed in seeds:
        out = augment.random_resized_crop(where, tf.constant(seed), 224, area=pipelines.AREA, ratio=pipelines.RATIO)
        sizes.append([round(float(np.ptp(out[..., 0]))) + 1, round(float(np.ptp(out[..., 1]))) + 1])
    return np.array(sizes)


def new_crop_sizes(seeds, height=90, width=120):
    """(height, width) of the window ``random_crop`` decodes from a JPEG file, as the tf_data pipeline does."""
    jpeg = tf.io.encode_jpeg(tf.zeros((height, width, 3), tf.uint8))
    return np.array([pipelines.random_crop(jpeg, tf.constant(seed)).shape[:2] for seed in seeds])


def area_and_aspect(sizes, height=90, width=120):
    return sizes[:, 0] * sizes[:, 1] / (height * width), sizes[:, 1] / sizes[:, 0]


def test_crop_statistics_are_unchanged(monkeypatch):
    """Area fraction and aspect ratio of the crop-window decoding: the old crop's, box for box, over 300 seeds."""
    seeds = [[5, i] for i in range(300)]
    old_area, old_aspect = area_and_aspect(old_crop_sizes(seeds))
    new_area, new_aspect = area_and_aspect(new_crop_sizes(seeds))
    np.testing.assert_array_equal(new_area, old_area)
    np.testing.assert_array_equal(new_aspect, old_aspect)
    assert 0.24 <= old_area.min() and old_area.max() <= 1 and old_area.std() > 0.15  # the whole range is drawn
    assert 0.7 <= old_aspect.min() < 0.85 and 1.2 < old_aspect.max() <= 1.4
    # test of the test: a crop from a wider area range (Inception's 8-100%) has another area distribution
    monkeypatch.setattr(pipelines, "AREA", (0.08, 1.0))
    wider_area, _ = area_and_aspect(new_crop_sizes(seeds))
    assert stats.ks_2samp(old_area, wider_area).pvalue < 1e-3 < stats.ks_2samp(old_area, new_area).pvalue


def test_augment_photo_gives_the_old_pictures_within_a_grey_level():
    """Same crop, flip, brightness and contrast for each seed as before; only the order of resize and colours."""
    jpeg = tf.io.encode_jpeg(smooth_photo())
    differences = [float(tf.reduce_mean(tf.abs(pipelines.augment_photo(jpeg, tf.constant([6, i]))
                                                - old_augment_photo(tf.io.decode_jpeg(jpeg), tf.constant([6, i])))))
                   for i in range(20)]
    assert max(differences) < 1.0, differences


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


def test_make_pipeline_refuses_an_unknown_kind(photo_folder, benchmark):
    with pytest.raises(ValueError, match="kind must be one of decode_only, idg, keras_layers, tf_data"):
        benchmark.make_pipeline("d", photo_folder)


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
