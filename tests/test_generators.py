"""Tests for helpers.generators: seeded parameter grids, the IDG → Keras 3 mapping, the checked folder reader."""

from __future__ import annotations

import math

import keras
import matplotlib
import numpy as np
import pytest
from PIL import Image

from helpers import generators

matplotlib.use("Agg")
# SciPy's notice inside the legacy generator, not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Please import `affine_transform`:DeprecationWarning")


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """Nine synthetic 28×28 'digits': a bright off-centre bar on black, labels 0..8."""
    x = np.zeros((9, 28, 28), dtype=np.uint8)
    for i in range(9):
        x[i, 4 + i:14 + i, 6:10] = 255
        x[i, 8:11, 6:20] = 200
    return x, np.arange(9)


# ---------------------------------------------------------------- augment_batch / show_parameter
def test_augment_batch_keeps_order_and_shape(digits):
    x, y = digits
    images, labels = generators.augment_batch(generators.ImageDataGenerator(rotation_range=30), x, y, seed=3)
    assert images.shape == (9, 28, 28, 1)
    np.testing.assert_array_equal(labels, y)


def test_augment_batch_is_repeatable_under_a_seed_and_varies_across_seeds(digits):
    x, y = digits
    datagen = generators.ImageDataGenerator(rotation_range=30, zoom_range=0.2)
    first, _ = generators.augment_batch(datagen, x, y, seed=1)
    again, _ = generators.augment_batch(datagen, x, y, seed=1)
    other, _ = generators.augment_batch(datagen, x, y, seed=2)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    assert not np.allclose(first[..., 0], x)


def test_augment_batch_identity_generator_returns_the_images(digits):
    x, y = digits
    images, _ = generators.augment_batch(generators.ImageDataGenerator(), x, y, n=4)
    np.testing.assert_array_equal(images[..., 0], x[:4])


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"n": 10}])
def test_augment_batch_rejects_bad_n(digits, kwargs):
    x, y = digits
    with pytest.raises(ValueError):
        generators.augment_batch(generators.ImageDataGenerator(), x, y, **kwargs)


def test_augment_batch_rejects_mismatched_labels_and_non_generators(digits):
    x, y = digits
    with pytest.raises(ValueError, match="differ"):
        generators.augment_batch(generators.ImageDataGenerator(), x, y[:5])
    with pytest.raises(ValueError, match="ImageDataGenerator"):
        generators.augment_batch(object(), x, y)
    with pytest.raises(ValueError, match="shape"):
        generators.augment_batch(generators.ImageDataGenerator(), x[0], y)


def test_flips_mirror_exactly_and_rescale_scales(digits):
    x, y = digits
    flipped, _ = generators.augment_batch(generators.ImageDataGenerator(horizontal_flip=True), x, y, seed=0)
    for image, original in zip(flipped[..., 0], x, strict=True):
        assert np.array_equal(image, original) or np.array_equal(image, original[:, ::-1])
    scaled, _ = generators.augment_batch(generators.ImageDataGenerator(rescale=1 / 255), x, y)
    np.testing.assert_allclose(scaled[..., 0], x / 255, rtol=1e-6)


def test_brightness_range_multiplies(digits):
    x, y = digits
    images, _ = generators.augment_batch(generators.ImageDataGenerator(brightness_range=(0.2, 0.6)), x, y, seed=0)
    assert np.all(images[..., 0][x == 0] == 0), "black must stay black"
    ratio = images[..., 0].max(axis=(1, 2)) / 255
    assert np.all((ratio > 0.15) & (ratio < 0.65))


def test_show_parameter_draws_a_labelled_grid(digits):
    x, y = digits
    fig = generators.show_parameter("rescale", 1 / 255, x, y, show_max=True)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(fig.axes) == 9
    assert titles[0] == "label 0 · max 1" and titles[8].startswith("label 8")
    assert "rescale=" in fig._suptitle.get_text()
    matplotlib.pyplot.close(fig)


def test_show_parameter_rejects_unknown_parameters(digits):
    with pytest.raises(ValueError, match="unknown parameter"):
        generators.show_parameter("rotation", 10, *digits)


# ---------------------------------------------------------------- the mapping
def test_every_taught_parameter_has_a_mapping_to_a_real_layer():
    mapped = {m.parameter: m for m in generators.IDG_TO_KERAS3}
    assert set(generators.PARAMETERS) <= set(mapped)
    for name in generators.PARAMETERS:
        assert hasattr(keras.layers, mapped[name].layer), mapped[name].layer
    table = generators.mapping_markdown().splitlines()
    assert len(table) == 2 + len(generators.IDG_TO_KERAS3)
    assert all(line.count("|") == 5 for line in table)


@pytest.mark.parametrize(("args", "layer"), [
    ({"rotation_range": 10}, "RandomRotation"),
    ({"width_shift_range": 0.1}, "RandomTranslation"),
    ({"height_shift_range": 0.1}, "RandomTranslation"),
    ({"shear_range": 20}, "RandomShear"),
    ({"zoom_range": 0.1}, "RandomZoom"),
    ({"horizontal_flip": True}, "RandomFlip"),
    ({"vertical_flip": True}, "RandomFlip"),
    ({"brightness_range": (0.5, 1.5)}, "RandomBrightness"),
    ({"rescale": 1 / 255}, "Rescaling"),
])
def test_keras_layers_for_builds_the_right_layer(args, layer):
    built = generators.keras_layers_for(args)
    assert [type(item).__name__ for item in built.layers] == [layer]


def test_keras_layers_for_converts_the_units():
    built = generators.keras_layers_for({"rotation_range": 36, "width_shift_range": 0.1, "height_shift_range": 0.2,
                                         "shear_range": 30, "zoom_range": 0.25, "horizontal_flip": True,
                                         "vertical_flip": True, "brightness_range": (0.5, 1.2), "rescale": 0.5})
    rotation, translation, shear, zoom, flip, brightness, rescaling = built.layers
    assert rotation.factor == pytest.approx((-0.1, 0.1))
    assert (translation.height_factor, translation.width_factor) == (0.2, 0.1)
    assert shear.x_factor == pytest.approx((-0.5, 0.5)) and shear.y_factor == (0.0, 0.0)
    assert zoom.height_factor == pytest.approx((-0.25, 0.25)) and zoom.width_factor == pytest.approx((-0.25, 0.25))
    assert flip.mode == "horizontal_and_vertical"
    assert brightness.factor == pytest.approx((-0.5, 0.2))
    assert rescaling.scale == 0.5
    assert all(getattr(layer, "fill_mode", "nearest") == "nearest" for layer in built.layers)


def test_keras_layers_for_zoom_given_as_a_range():
    zoom, = generators.keras_layers_for({"zoom_range": [0.8, 1.3]}).layers
    assert zoom.height_factor == pytest.approx((-0.2, 0.3))


@pytest.mark.parametrize("args", [{"rotation": 10}, {}, {"rotation_range": 0, "horizontal_flip": False},
                                  {"width_shift_range": 3}, {"zoom_range": [0.9, 1.0, 1.1]}])
def test_keras_layers_for_rejects_what_it_cannot_translate(args):
    with pytest.raises(ValueError):
        generators.keras_layers_for(args)


def test_layers_augment_only_in_training_mode(digits):
    x, _ = digits
    images = x[..., None].astype("float32")
    layers = generators.keras_layers_for({"rotation_range": 20, "zoom_range": 0.2}, seed=1)
    np.testing.assert_array_equal(layers(images, training=False), images)
    assert not np.allclose(layers(images, training=True), images)


def test_keras_translation_moves_the_mass_like_the_generator_over_many_draws(digits):
    x, y = digits
    images = np.repeat(x[:1], 64, axis=0)[..., None].astype("float32")
    centre = (images[0, ..., 0] * np.arange(28)).sum() / images[0, ..., 0].sum()
    layers = generators.keras_layers_for({"width_shift_range": 0.2}, seed=0)
    moved = keras.ops.convert_to_numpy(layers(images, training=True))[..., 0]
    shifts = (moved * np.arange(28)).sum(axis=(1, 2)) / moved.sum(axis=(1, 2)) - centre
    assert np.abs(shifts).max() <= 0.2 * 28 + 1
    assert shifts.std() > 1.0 and abs(shifts.mean()) < 1.5


def test_keras_brightness_adds_while_the_generator_multiplies(digits):
    x, _ = digits
    images = x[..., None].astype("float32")
    brighter = keras.ops.convert_to_numpy(
        generators.keras_layers_for({"brightness_range": (1.3, 1.5)}, seed=0)(images, training=True))
    assert np.all(brighter[images == 0] > 0.25 * 255), "the additive layer lifts the black background"


def test_side_by_side_has_three_rows(digits):
    fig = generators.side_by_side({"rotation_range": 20}, *digits, n=4)
    assert len(fig.axes) == 12
    assert fig.axes[0].get_title().startswith("original") and fig.axes[8].get_title().startswith("Keras layers")
    matplotlib.pyplot.close(fig)


# ---------------------------------------------------------------- flow_from_directory_checked
@pytest.fixture
def folder(tmp_path):
    """train/{cat,dog}/ with 5 + 4 small images (JPEG and PNG), no problems."""
    root = tmp_path / "train"
    rng = np.random.default_rng(0)
    for label, count in (("cat", 5), ("dog", 4)):
        (root / label).mkdir(parents=True)
        for i in range(count):
            pixels = rng.integers(0, 255, (20 + i, 24, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / label / f"{label}{i}.{'png' if i % 2 else 'jpg'}")
    return root


def add_problems(root):
    good = (root / "cat" / "cat0.jpg").read_bytes()
    (root / "cat" / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (root / "dog" / "notes.txt").write_text("not a photo")
    (root / "dog" / "fake.png").write_bytes(b"\x89PNG but not really")


def test_checked_flow_matches_flow_from_directory_on_a_clean_folder(folder):
    datagen = generators.ImageDataGenerator(rescale=1 / 255)
    raw = datagen.flow_from_directory(folder, target_size=(16, 16), batch_size=4, shuffle=False)
    flow, skipped = generators.flow_from_directory_checked(datagen, folder, target_size=(16, 16), batch_size=4,
                                                           shuffle=False, verbose=False)
    assert skipped == []
    assert flow.filenames == raw.filenames and flow.class_indices == raw.class_indices == {"cat": 0, "dog": 1}
    np.testing.assert_array_equal(flow.classes, raw.classes)
    assert len(flow) == len(raw) == 3
    for i in range(len(raw)):
        np.testing.assert_allclose(flow[i][0], raw[i][0])
        np.testing.assert_array_equal(flow[i][1], raw[i][1])


def test_raw_flow_crashes_on_a_corrupt_file_and_the_checked_flow_does_not(folder, capsys):
    add_problems(folder)
    datagen = generators.ImageDataGenerator(rescale=1 / 255)
    raw = datagen.flow_from_directory(folder, target_size=(16, 16), batch_size=32, class_mode="binary")
    with pytest.raises(OSError):
        raw[0]
    capsys.readouterr()
    flow, skipped = generators.flow_from_directory_checked(datagen, folder, target_size=(16, 16), batch_size=3,
                                                           class_mode="binary", seed=1)
    images = [flow[i] for i in range(len(flow))]
    assert sum(len(batch_x) for batch_x, _ in images) == 9
    assert images[0][0].shape[1:] == (16, 16, 3)
    assert set(np.concatenate([batch_y for _, batch_y in images])) == {0.0, 1.0}
    assert sorted(p.as_posix() for p, _ in skipped) == ["cat/truncated.jpg", "dog/fake.png", "dog/notes.txt"]
    printed = capsys.readouterr().out
    assert "Found 9 readable images belonging to 2 classes; skipped 3 file(s)." in printed
    assert str(folder) not in printed, "reports must show paths relative to the folder"


def test_checked_flow_skips_readable_images_the_generator_would_not_read(folder):
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(folder / "cat" / "anim.gif")
    flow, skipped = generators.flow_from_directory_checked(generators.ImageDataGenerator(), folder, verbose=False)
    assert flow.samples == 9
    assert [(p.as_posix(), "not read" in reason) for p, reason in skipped] == [("cat/anim.gif", True)]


@pytest.mark.parametrize("subset", ["training", "validation"])
def test_checked_flow_splits_like_flow_from_directory(folder, subset):
    datagen = generators.ImageDataGenerator(validation_split=0.4)
    raw = datagen.flow_from_directory(folder, target_size=(8, 8), shuffle=False, subset=subset)
    flow, _ = generators.flow_from_directory_checked(datagen, folder, target_size=(8, 8), shuffle=False,
                                                     subset=subset, verbose=False)
    assert flow.filenames == raw.filenames


def test_checked_flow_honours_classes_and_class_mode(folder):
    flow, _ = generators.flow_from_directory_checked(generators.ImageDataGenerator(), folder, classes=["dog"],
                                                     class_mode="sparse", target_size=(8, 8), verbose=False)
    assert flow.samples == 4 and flow.class_indices == {"dog": 0}
    assert flow[0][1].tolist() == [0.0] * 4


@pytest.mark.parametrize("kwargs", [{"class_mode": "onehot"}, {"target_size": (8,)}, {"batch_size": 0}])
def test_checked_flow_rejects_bad_arguments(folder, kwargs):
    with pytest.raises(ValueError):
        generators.flow_from_directory_checked(generators.ImageDataGenerator(), folder, verbose=False, **kwargs)


def test_checked_flow_rejects_folders_without_classes(tmp_path):
    with pytest.raises(ValueError, match="not a folder"):
        generators.flow_from_directory_checked(generators.ImageDataGenerator(), tmp_path / "missing")
    with pytest.raises(ValueError, match="class folders"):
        generators.flow_from_directory_checked(generators.ImageDataGenerator(), tmp_path)


def test_shear_conversion_matches_the_sine_of_the_angle():
    shear, = generators.keras_layers_for({"shear_range": 45}).layers
    assert shear.x_factor[1] == pytest.approx(math.sin(math.pi / 4))
