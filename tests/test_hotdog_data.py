"""Notebook 03's input side: labelled photo folders (helpers.data) and the tf.data pipeline saved in helpers.hotdog."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import data

tf = pytest.importorskip("tensorflow")
hotdog = pytest.importorskip("helpers.hotdog")

SIZE = 32


def _photo(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (40, 30), fmt: str = "JPEG") -> None:
    """An image with a colour and a left-right gradient in green (so flips and crops change it)."""
    array = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    array[:] = colour
    array[..., 1] = np.linspace(0, 255, size[0], dtype=np.uint8)[None, :]
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))


@pytest.fixture
def folder(tmp_path) -> Path:
    """train/hotdog (4 red photos), train/not-hotdog (4 blue), plus a corrupt JPEG and a text file."""
    root = tmp_path / "train"
    for i in range(4):
        _photo(root / "hotdog" / f"h{i}.jpg", (230, 0, 0))
        _photo(root / "not-hotdog" / f"n{i}.jpg", (0, 0, 230))
    (root / "hotdog" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG")
    (root / "not-hotdog" / "notes.txt").write_text("not an image")
    return root


def test_labelled_images_skips_unreadable_files_and_labels_hot_dogs_1(folder):
    paths, labels, bad = data.labelled_images(folder)
    assert len(paths) == len(labels) == 8
    assert sorted(p.name for p, _ in bad) == ["broken.jpg", "notes.txt"]
    for path, label in zip(paths, labels, strict=True):
        assert label == (1 if path.parent.name == "hotdog" else 0)  # so a sigmoid output is P(hot dog)


def test_labelled_images_says_which_folders_it_leaves_out(folder):
    """A learner's own class folder is not silently ignored: a warning names it and says how to use it."""
    _photo(folder / "my-class" / "m0.jpg", (0, 230, 0))
    (folder / ".ipynb_checkpoints").mkdir()  # hidden folders are Jupyter's, not classes
    with pytest.warns(UserWarning, match=r"\['my-class'\] are not among the classes.*pass class_names"):
        paths, _, _ = data.labelled_images(folder)
    assert len(paths) == 8


# ---------------------------------------------------------------- load_image
@pytest.mark.parametrize("fmt, suffix", [("JPEG", "jpg"), ("PNG", "png"), ("GIF", "gif"), ("BMP", "bmp")])
def test_load_image_gives_a_square_of_raw_rgb_pixels(tmp_path, fmt, suffix):
    path = tmp_path / f"wide.{suffix}"
    _photo(path, (200, 0, 30), size=(60, 20), fmt=fmt)
    image = hotdog.load_image(str(path), SIZE)
    assert image.shape == (SIZE, SIZE, 3) and image.dtype == tf.float32
    pixels = image.numpy()
    assert 0.0 <= pixels.min() and pixels.max() <= 255.0
    assert pixels[..., 0].mean() > 150  # red stays in channel 0 (RGB, not BGR) and is not rescaled to 0..1
    assert pixels[:, -1, 1].mean() > pixels[:, 0, 1].mean() + 100  # the gradient: left stays left


def test_load_image_reads_grayscale_and_rgba_as_three_channels(tmp_path):
    Image.fromarray(np.full((10, 10), 128, np.uint8)).save(tmp_path / "gray.png")
    Image.fromarray(np.full((10, 10, 4), 128, np.uint8)).save(tmp_path / "rgba.png")
    for name in ("gray.png", "rgba.png"):
        image = hotdog.load_image(str(tmp_path / name), SIZE).numpy()
        assert image.shape == (SIZE, SIZE, 3)
        np.testing.assert_allclose(image, 128, atol=1)


# ---------------------------------------------------------------- augment_image
def _gradient_image() -> tf.Tensor:
    x = np.linspace(0, 255, SIZE, dtype="float32")
    return tf.constant(np.stack([np.tile(x, (SIZE, 1)), np.tile(x[:, None], (1, SIZE)), np.full((SIZE, SIZE), 50.0)],
                                axis=-1).astype("float32"))


def test_augment_image_is_a_pure_function_of_its_seed():
    image = _gradient_image()
    first, second = (hotdog.augment_image(image, tf.constant([3, 4])).numpy() for _ in range(2))
    np.testing.assert_array_equal(first, second)
    outputs = [hotdog.augment_image(image, tf.constant([3, s])).numpy() for s in range(12)]
    assert len({o.tobytes() for o in outputs}) == 12, "different seeds should give different crops"
    for out in outputs:
        assert out.shape == (SIZE, SIZE, 3) and out.dtype == np.float32
        assert -0.5 <= out.min() and out.max() <= 255.5  # stays in the 0..255 scale


def test_augment_image_flips_about_half_the_time():
    image = _gradient_image()
    # Red rises left to right; a flipped crop has it falling (a crop alone never reverses it).
    flipped = [float(np.mean(np.diff(hotdog.augment_image(image, tf.constant([7, s])).numpy()[..., 0], axis=1))) < 0
               for s in range(60)]
    assert 15 <= sum(flipped) <= 45, f"{sum(flipped)} of 60 flipped"


# ---------------------------------------------------------------- image_dataset
def test_image_dataset_gives_raw_pixels_and_labels_in_order(folder):
    paths, labels, _ = data.labelled_images(folder)
    batches = list(hotdog.image_dataset(paths, labels, size=SIZE, batch_size=3))
    assert [len(y) for _, y in batches] == [3, 3, 2]  # finite: one pass, the last batch smaller
    images = np.concatenate([x.numpy() for x, _ in batches])
    assert images.shape == (8, SIZE, SIZE, 3) and images.max() > 200  # 0..255, not rescaled
    np.testing.assert_array_equal(np.concatenate([y.numpy() for _, y in batches]), labels)
    reds = images[..., 0].mean(axis=(1, 2))
    assert all((red > 150) == bool(label) for red, label in zip(reds, labels, strict=True))  # photo keeps its label


def _epochs(dataset, n=2):
    return [np.concatenate([x.numpy() for x, _ in dataset]) for _ in range(n)]


def test_augmentation_changes_every_epoch_and_a_rerun_repeats_it(folder):
    paths, labels, _ = data.labelled_images(folder)
    run = _epochs(hotdog.image_dataset(paths, labels, size=SIZE, shuffle=True, augment=True, seed=1))
    rerun = _epochs(hotdog.image_dataset(paths, labels, size=SIZE, shuffle=True, augment=True, seed=1))
    other = _epochs(hotdog.image_dataset(paths, labels, size=SIZE, shuffle=True, augment=True, seed=2))
    assert not np.array_equal(run[0], run[1]), "epoch 2 should see new augmentations"
    for a, b in zip(run, rerun, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(run[0], other[0])


def test_shuffle_reorders_each_epoch_without_losing_photos(folder):
    paths, labels, _ = data.labelled_images(folder)
    ds = hotdog.image_dataset(paths, labels, size=SIZE, batch_size=8, shuffle=True, seed=0)
    orders = [np.concatenate([y.numpy() for _, y in ds]) for _ in range(4)]
    assert all(sorted(order) == sorted(labels) for order in orders)
    assert any(not np.array_equal(order, labels) for order in orders)
    plain = np.concatenate([x.numpy() for x, _ in hotdog.image_dataset(paths, labels, size=SIZE)])
    shuffled = np.concatenate([x.numpy() for x, _ in ds])
    assert sorted(plain.sum(axis=(1, 2, 3))) == pytest.approx(sorted(shuffled.sum(axis=(1, 2, 3))))  # same photos
