"""Loaders: MNIST without pickles, photos, image folders judged by the decoder that will read them."""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image

from helpers import assets, data, fetch
from helpers.assets import get

KERAS_MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
KERAS_MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_missing_mnist_names_the_install_command(isolated_dirs):
    with pytest.raises(data.MissingAssetError, match=r"is not installed.*\n.*python data_download.py mnist"):
        data.load_mnist()


def test_load_mnist_never_reads_a_pickle(isolated_dirs, tmp_path):
    """An older install left mnist.pkl.gz; a hostile one put code in it. The loader does not open it."""
    data_dir, _ = isolated_dirs
    marker = tmp_path / "pwned"

    class WritesAMarker:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (data_dir / "datasets").mkdir(parents=True)
    (data_dir / "datasets" / "mnist.pkl.gz").write_bytes(gzip.compress(pickle.dumps(WritesAMarker())))
    with pytest.raises(data.MissingAssetError):
        data.load_mnist()
    (data_dir / "datasets" / "mnist.npz").write_bytes(b"PK not the course's npz")
    with pytest.raises(data.MissingAssetError, match="is damaged"):
        data.load_mnist()
    assert not marker.exists()


@pytest.mark.skipif(not data.is_installed("mnist"), reason="MNIST not installed (python data_download.py)")
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


def test_a_changed_photo_is_reported_not_loaded(mirror, isolated_dirs):
    fetch.install_one(get("coffee"), mirror)
    path = assets.target_path(get("coffee").files[0])
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(data.MissingAssetError, match=r"is damaged .*\n.*python data_download.py coffee"):
        data.load_photo("coffee")


def test_a_learners_extra_photo_keeps_the_set_installed(mirror, isolated_dirs):
    data_dir, _ = isolated_dirs
    assert fetch.install_one(get("hotdog-mini"), mirror).ok
    Image.new("RGB", (8, 8)).save(data_dir / "hotdog-mini" / "train" / "not-hotdog" / "my_lunch.jpg")
    assert data.hotdog_dir() == data_dir / "hotdog-mini"
    state = assets.state(get("hotdog-mini"))
    assert state.status == "installed" and "train/not-hotdog/my_lunch.jpg" in state.detail


# ---------------------------------------------------------------- readable images
def png_header(width: int, height: int, bad_crc: bytes = b"") -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels and holds almost nothing (a decompression bomb's header).

    ``bad_crc``: the type of a chunk whose checksum is wrong (Pillow then refuses the header; TensorFlow does not).
    """
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) ^ (0xFFFF if kind == bad_crc else 0)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"Comment\x00made by a test") + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def image_bytes(fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (12, 16, 3), dtype=np.uint8)).save(
        buffer, fmt, **options)
    return buffer.getvalue()


def phone_jpeg() -> bytes:
    """A multi-picture JPEG (MPO), as phone cameras write: Pillow calls it MPO, TensorFlow reads its first picture."""
    second = Image.new("RGB", (16, 12), (0, 0, 255))
    return image_bytes("MPO", save_all=True, append_images=[second])


def problem_for(decoder):
    """The check for the reader that will decode the images: Pillow (ImageDataGenerator) or tf.io.decode_image."""
    return {"pillow": data.image_problem, "tensorflow": data.tensorflow_problem}[decoder]


@pytest.mark.parametrize("name, content, decoder, says", [
    ("ok.jpg", image_bytes("JPEG"), "tensorflow", None),
    ("ok.jpg", image_bytes("JPEG"), "pillow", None),
    ("phone.jpg", phone_jpeg(), "tensorflow", None),
    ("phone.jpg", phone_jpeg(), "pillow", None),
    ("ok.webp", image_bytes("WEBP"), "tensorflow", None),
    ("ok.webp", image_bytes("WEBP"), "pillow", None),
    ("scan.tiff", image_bytes("TIFF"), "pillow", None),  # ImageDataGenerator reads TIFF ...
    ("scan.tiff", image_bytes("TIFF"), "tensorflow", "TensorFlow cannot decode it"),  # ... tf.data does not
    ("cut.jpg", image_bytes("JPEG")[:200], "tensorflow", "TensorFlow cannot decode it"),
    ("cut.jpg", image_bytes("JPEG")[:200], "pillow", "unreadable"),
    ("notes.jpg", b"a shopping list", "tensorflow", "TensorFlow cannot decode it"),
    ("notes.jpg", b"a shopping list", "pillow", "unreadable"),
    ("bomb.png", png_header(20000, 20000), "tensorflow", "too large to decode safely"),
    ("bomb.png", png_header(20000, 20000), "pillow", "too large to decode safely"),
    ("crc-bomb.png", png_header(20000, 20000, bad_crc=b"tEXt"), "tensorflow", "too large to decode safely"),
    ("crc-bomb.png", png_header(20000, 20000, bad_crc=b"IHDR"), "tensorflow", "too large to decode safely"),
    ("crc-bomb.png", png_header(20000, 20000, bad_crc=b"tEXt"), "pillow", "unreadable"),
])
def test_each_check_asks_the_decoder_that_will_read_the_image(tmp_path, name, content, decoder, says):
    path = tmp_path / name
    path.write_bytes(content)
    problem = problem_for(decoder)(path)
    assert problem is None if says is None else says in problem, problem


@pytest.mark.parametrize("decoder", data.DECODERS)
def test_a_missing_file_or_a_folder_is_a_reason_not_an_exception(tmp_path, decoder):
    assert "does not exist" in problem_for(decoder)(tmp_path / "nope.jpg")
    assert "folder" in problem_for(decoder)(tmp_path)


def test_a_large_but_allowed_image_prints_no_pillow_warning(tmp_path):
    path = tmp_path / "big.png"
    path.write_bytes(png_header(10000, 10000))  # over Pillow's warning limit, under its error limit
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        assert "TensorFlow cannot decode it" in data.tensorflow_problem(path)  # the header has no pixels
        assert "unreadable" in data.image_problem(path)


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
    (root / "train" / "dog" / "bomb.png").write_bytes(png_header(20000, 20000))
    (root / "train" / "dog" / ".DS_Store").write_bytes(b"\0")


def test_scan_images_separates_the_bad_files_and_says_why(tmp_path):
    make_folder(tmp_path)
    good, bad = data.scan_images(tmp_path, decoder="tensorflow")
    assert len(good) == 6 and all(p.suffix == ".jpg" for p in good)
    reasons = {p.name: why for p, why in bad}
    assert set(reasons) == {"truncated.jpg", "notes.txt", "odd.tiff", "bomb.png"}
    assert "too large" in reasons["bomb.png"]
    good, bad = data.scan_images(tmp_path)  # ImageDataGenerator's reader, Pillow, is the default ...
    assert {p.name for p, _ in bad} == {"truncated.jpg", "notes.txt", "bomb.png"}  # ... and it reads the TIFF
    with pytest.raises(ValueError, match="is not a folder"):
        data.scan_images(tmp_path / "nope")
    with pytest.raises(ValueError, match="decoder must be one of"):
        data.scan_images(tmp_path, "opencv")


def test_labelled_images_survives_a_decompression_bomb(tmp_path):
    make_folder(tmp_path / "set")
    paths_, labels, bad = data.labelled_images(tmp_path / "set" / "train", ("cat", "dog"))
    assert len(paths_) == 4 and labels.tolist() == [0, 0, 1, 1]
    assert any(p.name == "bomb.png" for p, _ in bad)


def test_count_images_per_split_and_class(tmp_path):
    make_folder(tmp_path)
    assert data.count_images(tmp_path) == {"test": {"cat": 2}, "train": {"cat": 3, "dog": 4}}
