"""The hot-dog dataset functions of helpers.data: labelled files, splits, tf.data pipelines, augmentation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import data

tf = pytest.importorskip("tensorflow")

SIZE = 32


def _photo(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> None:
    """A JPEG with a colour and a left-right gradient (so flips and crops change it)."""
    array = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    array[:] = colour
    array[..., 1] = np.linspace(0, 255, size[0], dtype=np.uint8)[None, :]
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, quality=95)


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


def test_labelled_images_skips_and_reports_unreadable_files(folder):
    paths, labels, bad = data.labelled_images(folder)
    assert len(paths) == len(labels) == 8
    assert sorted(p.name for p, _ in bad) == ["broken.jpg", "notes.txt"]
    assert all(reason for _, reason in bad)
    # label 1 = hot dog, so a sigmoid output is P(hot dog)
    for path, label in zip(paths, labels, strict=True):
        assert label == (1 if path.parent.name == "hotdog" else 0)
    assert data.HOTDOG_CLASSES.index("hotdog") == 1


def test_labelled_images_needs_every_class_folder(tmp_path):
    _photo(tmp_path / "hotdog" / "a.jpg", (200, 0, 0))
    with pytest.raises(ValueError, match="not-hotdog"):
        data.labelled_images(tmp_path)


def test_split_every_is_stratified_disjoint_and_deterministic():
    paths = [Path(f"{i}.jpg") for i in range(20)]
    labels = np.array([0] * 10 + [1] * 10)
    (train_p, train_y), (held_p, held_y) = data.split_every(paths, labels, every=5)
    assert len(held_p) == 4 and np.bincount(held_y).tolist() == [2, 2]
    assert len(train_p) == 16 and np.bincount(train_y).tolist() == [8, 8]
    assert not set(train_p) & set(held_p) and set(train_p) | set(held_p) == set(paths)
    assert data.split_every(paths, labels, every=5)[1][0] == held_p
    with pytest.raises(ValueError):
        data.split_every(paths, labels, every=1)
    with pytest.raises(ValueError):
        data.split_every(paths, labels[:3])


def test_image_dataset_gives_raw_pixels_not_rescaled(folder):
    paths, labels, _ = data.labelled_images(folder)
    images, batch_labels = next(iter(data.image_dataset(paths, labels, size=SIZE, batch_size=8)))
    assert images.shape == (8, SIZE, SIZE, 3) and images.dtype == tf.float32
    # Raw 0..255 pixels: the model scales them itself. A pipeline that divided by 255 fails here.
    assert float(tf.reduce_max(images)) > 200 and float(tf.reduce_min(images)) >= 0
    np.testing.assert_array_equal(batch_labels.numpy(), labels.astype("float32"))
    red = images.numpy()[batch_labels.numpy() == 1][..., 0].mean()
    blue = images.numpy()[batch_labels.numpy() == 0][..., 0].mean()
    assert red > 150 > 50 > blue


def test_augmented_dataset_is_seeded_changes_every_epoch_and_keeps_range(folder):
    paths, labels, _ = data.labelled_images(folder)

    def first_two_epochs(seed):
        ds = data.image_dataset(paths, labels, size=SIZE, batch_size=8, shuffle=True, augment=True, seed=seed)
        it = iter(ds)
        return next(it), next(it)

    (a1, y1), (a2, y2) = first_two_epochs(0)
    (b1, _), _ = first_two_epochs(0)
    np.testing.assert_array_equal(a1.numpy(), b1.numpy())  # same seed, same augmentations
    assert not np.array_equal(np.sort(a1.numpy(), axis=0), np.sort(a2.numpy(), axis=0))  # new ones next epoch
    assert sorted(y1.numpy().tolist()) == sorted(y2.numpy().tolist()) == sorted(labels.tolist())
    for batch in (a1, a2):
        assert batch.shape == (8, SIZE, SIZE, 3)
        assert 0.0 <= float(tf.reduce_min(batch)) and float(tf.reduce_max(batch)) <= 255.0


def test_augment_image_is_a_pure_function_of_its_seed():
    image = tf.constant(np.random.default_rng(0).uniform(0, 255, (SIZE, SIZE, 3)), tf.float32)
    same = [data.augment_image(image, tf.constant([3, 4])) for _ in range(2)]
    np.testing.assert_array_equal(same[0].numpy(), same[1].numpy())
    outputs = [data.augment_image(image, tf.constant([3, s])).numpy() for s in range(8)]
    assert len({o.tobytes() for o in outputs}) == 8
    assert all(o.shape == (SIZE, SIZE, 3) and o.min() >= 0 and o.max() <= 255 for o in outputs)


def test_image_dataset_rejects_bad_arguments(folder):
    paths, labels, _ = data.labelled_images(folder)
    with pytest.raises(ValueError):
        data.image_dataset(paths, labels[:3], size=SIZE)
    with pytest.raises(ValueError):
        data.image_dataset([], [], size=SIZE)
    with pytest.raises(ValueError):
        data.image_dataset(paths, labels, size=SIZE, batch_size=0)


def test_load_image_resizes_any_photo_to_a_square_of_raw_pixels(tmp_path):
    _photo(tmp_path / "wide.png", (10, 20, 30), size=(90, 20))
    image = data.load_image(str(tmp_path / "wide.png"), 48)
    assert image.shape == (48, 48, 3)
    assert abs(float(image[..., 2].numpy().mean()) - 30) < 1


@pytest.mark.skipif(not data.is_installed("hotdog-mini"), reason="hotdog-mini is not installed")
def test_hotdog_mini_is_complete_and_readable():
    root = data.hotdog_dir("hotdog-mini")
    for split, per_class in (("train", 80), ("test", 20)):
        paths, labels, bad = data.labelled_images(root / split)
        assert bad == []
        assert np.bincount(labels).tolist() == [per_class, per_class]
