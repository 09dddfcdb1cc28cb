"""helpers.classify: label any image file with the saved hot-dog model, in Python and from the command line."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import classify, paths
from helpers.paths import PROJECT_ROOT

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy:DeprecationWarning")

SIZE = 32


@pytest.fixture(scope="module")
def tiny_model_file(tmp_path_factory) -> Path:
    """A small untrained model with the saved classifier's contract: raw 0-255 RGB in, P(hot dog) out."""
    keras = pytest.importorskip("keras")

    keras.utils.set_random_seed(0)
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Rescaling(1 / 127.5, offset=-1)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    model.save(path)
    return path


@pytest.fixture
def photo(tmp_path) -> Path:
    path = tmp_path / "lunch.jpg"
    array = np.random.default_rng(0).integers(0, 256, (50, 70, 3), dtype=np.uint8)
    Image.fromarray(array).save(path)
    return path


def test_a_non_image_is_rejected_with_a_clear_message(tmp_path):
    notes = tmp_path / "notes.jpg"
    notes.write_text("a shopping list, not a photo")
    with pytest.raises(ValueError, match="notes.jpg is not an image the classifier can read"):
        classify.classify_file(notes)
    with pytest.raises(ValueError, match="does not exist"):
        classify.classify_file(tmp_path / "missing.jpg")


def test_the_command_line_rejects_a_non_image_before_loading_any_model(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    result = subprocess.run([sys.executable, "-m", "helpers.classify", "notes.txt"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: notes.txt is not an image the classifier can read")
    assert "Traceback" not in result.stderr


def test_a_missing_model_says_which_notebook_makes_it(isolated_dirs, photo, capsys):
    with pytest.raises(FileNotFoundError, match="03_fine_tuning_hotdog"):
        classify.load_classifier()
    assert classify.main([str(photo)]) == 1
    err = capsys.readouterr().err
    assert "no trained model" in err and "hotdog_classifier.keras" in err


def test_default_model_path_is_in_the_course_data_folder(isolated_dirs):
    data_dir, _ = isolated_dirs
    assert paths.model_path() == data_dir / "models" / "hotdog_classifier.keras"


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels and holds almost nothing (a decompression bomb's header)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def test_a_decompression_bomb_gets_one_line_from_the_command_line(tmp_path):
    (tmp_path / "huge.png").write_bytes(png_header(20000, 20000))
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    result = subprocess.run([sys.executable, "-m", "helpers.classify", "huge.png"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("error: huge.png is not an image the classifier can read: too large to decode")
    assert len(result.stderr.splitlines()) == 1, result.stderr  # no traceback, no Pillow warning


def damaged_weights(model_file: Path, tmp_path: Path) -> Path:
    """The saved model with its weights member overwritten (the zip itself stays valid)."""
    damaged = tmp_path / "damaged.keras"
    with zipfile.ZipFile(model_file) as source, zipfile.ZipFile(damaged, "w") as out:
        for info in source.infolist():
            content = source.read(info)
            out.writestr(info, content[:100] if info.filename.endswith(".h5") else content)
    return damaged


BAD_INPUT = [  # (case, arguments built from (photo, model file, tmp folder), what the one line says)
    ("not an image", lambda p, m, t: [str(t / "notes.jpg"), "--model", str(m)], "is not an image the classifier"),
    ("missing photo", lambda p, m, t: [str(t / "nope.jpg"), "--model", str(m)], "does not exist: check the file name"),
    ("a folder for a photo", lambda p, m, t: [str(t), "--model", str(m)], "is a folder: give the path of an image"),
    ("20000x20000 header", lambda p, m, t: [str(t / "huge.png"), "--model", str(m)], "too large to decode safely"),
    ("no model yet", lambda p, m, t: [str(p), "--model", str(t / "none.keras")], "no trained model at"),
    ("random model file", lambda p, m, t: [str(p), "--model", str(t / "random.keras")],
     "is not a Keras model that loads"),
    ("truncated model file", lambda p, m, t: [str(p), "--model", str(t / "truncated.keras")],
     "is not a Keras model that loads"),
    ("damaged weights in the model file", lambda p, m, t: [str(p), "--model", str(damaged_weights(m, t))],
     "is not a Keras model that loads"),
]


@pytest.mark.parametrize("arguments, says", [row[1:] for row in BAD_INPUT], ids=[row[0] for row in BAD_INPUT])
def test_bad_input_ends_in_one_line_that_says_what_to_do(tiny_model_file, photo, tmp_path, capsys, arguments, says):
    (tmp_path / "notes.jpg").write_text("a shopping list")
    (tmp_path / "huge.png").write_bytes(png_header(20000, 20000))
    (tmp_path / "random.keras").write_bytes(os.urandom(4096))
    (tmp_path / "truncated.keras").write_bytes(tiny_model_file.read_bytes()[:3000])
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        assert classify.main(arguments(photo, tiny_model_file, tmp_path)) == 1
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: ") and says in err, err
    assert "File not found" not in err  # Keras' words for a file that exists but does not load
    if "model" in says or "Keras" in says:
        assert "run notebook 03" in err


@pytest.mark.parametrize("fmt, options", [("WEBP", {}), ("MPO", {"save_all": True})])
def test_phone_photos_and_webp_are_classified(tiny_model_file, tmp_path, capsys, fmt, options):
    path = tmp_path / f"photo.{fmt.lower()}"
    array = np.random.default_rng(1).integers(0, 256, (40, 30, 3), dtype=np.uint8)
    extra = {"append_images": [Image.new("RGB", (30, 40))]} if options else {}
    Image.fromarray(array).save(path, fmt, **options, **extra)
    assert classify.main([str(path), "--model", str(tiny_model_file)]) == 0
    assert capsys.readouterr().out.startswith(f"{path}: ")


def test_classify_file_gives_the_models_probability_and_a_consistent_label(tiny_model_file, photo):
    keras = pytest.importorskip("keras")
    from helpers import hotdog

    model = keras.saving.load_model(tiny_model_file)
    prediction = classify.classify_file(photo, model)
    expected = float(model(hotdog.load_image(str(photo), SIZE)[None])[0, 0])  # prepared exactly as training did
    assert prediction.probability == pytest.approx(expected, abs=1e-6)
    assert 0.0 <= prediction.probability <= 1.0
    for threshold in (0.01, 0.99):
        label = classify.classify_file(photo, model, threshold=threshold).label
        assert label == ("hotdog" if prediction.probability >= threshold else "not-hotdog")
    with pytest.raises(ValueError, match="threshold"):
        classify.classify_file(photo, model, threshold=1.0)


def test_the_command_line_prints_one_line_per_photo(tiny_model_file, photo, capsys, monkeypatch):
    monkeypatch.chdir(photo.parent)
    assert classify.main(["lunch.jpg", "lunch.jpg", "--model", str(tiny_model_file)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    name, rest = lines[0].split(": ")
    label, probability = rest.split(" (P(hot dog) = ")
    assert name == "lunch.jpg" and label in ("hotdog", "not-hotdog")
    assert (label == "hotdog") == (float(probability.rstrip(")")) >= 0.5)


@pytest.mark.slow
def test_a_truncated_jpeg_gets_one_line_and_no_tensorflow_log(tiny_model_file, photo):
    """TensorFlow's C++ start-up line and its "Premature end of JPEG data" go to file descriptor 2; the learner
    sees only the course's one line."""
    cut = photo.with_name("cut.jpg")
    cut.write_bytes(photo.read_bytes()[:len(photo.read_bytes()) // 2])
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([sys.executable, "-m", "helpers.classify", "cut.jpg", "--model", str(tiny_model_file)],
                            cwd=photo.parent, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("error: cut.jpg is not an image the classifier can read: TensorFlow cannot")
    assert len(result.stderr.splitlines()) == 1, result.stderr


@pytest.mark.slow
def test_python_dash_m_works_from_any_folder(tiny_model_file, photo):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(PROJECT_ROOT))
    result = subprocess.run([sys.executable, "-m", "helpers.classify", photo.name, "--model", str(tiny_model_file)],
                            cwd=photo.parent, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("lunch.jpg: ")
