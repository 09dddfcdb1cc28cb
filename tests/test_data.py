"""Loaders: MNIST from either source, photos, image folders with bad files."""

from __future__ import annotations

import gzip
import pickle

import numpy as np
import pytest
from PIL import Image

from helpers import data, fetch
from helpers.assets import get

KERAS_MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
KERAS_MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def write_fake_mnist(data_dir, keras_home, rng):
    """The same random digits written as Keras' npz and as the classic pickle."""
    x_train = rng.integers(0, 256, (60, 28, 28), dtype=np.uint8)
    y_train = rng.integers(0, 10, 60).astype(np.uint8)
    x_test = rng.integers(0, 256, (20, 28, 28), dtype=np.uint8)
    y_test = rng.integers(0, 10, 20).astype(np.uint8)
    npz = keras_home / "datasets" / "mnist.npz"
    npz.parent.mkdir(parents=True)
    np.savez(npz, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)

    def flat(x):  # the pickle's convention: float32 pixels = uint8 / 256, flattened
        return (x.reshape(len(x), -1) / np.float32(256)).astype(np.float32)

    splits = ((flat(x_train[:50]), y_train[:50].astype(np.int64)), (flat(x_train[50:]), y_train[50:].astype(np.int64)),
              (flat(x_test), y_test.astype(np.int64)))
    pkl = data_dir / "datasets" / "mnist.pkl.gz"
    pkl.parent.mkdir(parents=True)
    with gzip.open(pkl, "wb") as f:
        pickle.dump(splits, f)
    return npz, pkl


def test_pickle_and_npz_give_identical_arrays(isolated_dirs):
    data_dir, keras_home = isolated_dirs
    npz, pkl = write_fake_mnist(data_dir, keras_home, np.random.default_rng(0))
    from_npz = data.load_mnist()
    from_pickle = data.mnist_from_pickle(pkl)
    flatten = lambda splits: [array for split in splits for array in split]  # noqa: E731
    for a, b in zip(flatten(from_npz), flatten(from_pickle), strict=True):
        assert a.dtype == b.dtype == np.uint8
        assert a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    npz.unlink()
    np.testing.assert_array_equal(data.load_mnist()[0][0], from_npz[0][0])  # falls back to the pickle


def test_missing_mnist_names_the_install_command(isolated_dirs):
    with pytest.raises(data.MissingAssetError, match=r"python data_download.py mnist-pickle"):
        data.load_mnist()


@pytest.mark.skipif(not data.is_installed("mnist-pickle"), reason="MNIST not installed (python data_download.py)")
def test_real_mnist_matches_keras():
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == KERAS_MNIST_TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == KERAS_MNIST_TEST_COUNTS
    assert x_train.mean() == pytest.approx(33.318421449829934, abs=1e-9)  # Keras' value (mirror MANIFEST)


def test_photos_are_rgb_uint8(mirror, isolated_dirs):
    fetch.install_one(get("chelsea"), mirror)
    cat = data.load_photo("chelsea")
    assert cat.shape == (300, 451, 3) and cat.dtype == np.uint8
    with pytest.raises(ValueError, match="expected 'chelsea' or 'coffee'"):
        data.load_photo("dog")


def make_folder(root):
    """A small class folder with good images and the usual troublemakers."""
    for split, label in (("train", "cat"), ("train", "dog"), ("test", "cat")):
        folder = root / split / label
        folder.mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (8, 8), (i * 100, 0, 0)).save(folder / f"{i}.jpg")
    good_jpeg = (root / "train" / "cat" / "0.jpg").read_bytes()
    (root / "train" / "cat" / "truncated.jpg").write_bytes(good_jpeg[: len(good_jpeg) // 2])
    (root / "train" / "dog" / "notes.txt").write_text("not an image")
    Image.new("RGB", (8, 8)).save(root / "train" / "dog" / "odd.tiff")
    (root / "train" / "dog" / ".DS_Store").write_bytes(b"\0")


def test_scan_images_separates_the_bad_files_and_says_why(tmp_path):
    make_folder(tmp_path)
    good, bad = data.scan_images(tmp_path)
    assert len(good) == 6 and all(p.suffix == ".jpg" for p in good)
    reasons = {p.name: why for p, why in bad}
    assert set(reasons) == {"truncated.jpg", "notes.txt", "odd.tiff"}
    assert "unreadable" in reasons["notes.txt"]
    assert "TIFF cannot be decoded by TensorFlow" in reasons["odd.tiff"]
    with pytest.raises(ValueError, match="is not a folder"):
        data.scan_images(tmp_path / "nope")


def test_count_images_per_split_and_class(tmp_path):
    make_folder(tmp_path)
    assert data.count_images(tmp_path) == {"test": {"cat": 2}, "train": {"cat": 3, "dog": 2}}
