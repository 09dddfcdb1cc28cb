"""helpers.classify: label any image file with the saved hot-dog model, in Python and from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import classify
from helpers.paths import PROJECT_ROOT

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy:DeprecationWarning")

SIZE = 32


@pytest.fixture(scope="module")
def tiny_model_file(tmp_path_factory) -> Path:
    """A small untrained classifier built and saved exactly as notebook 03 saves the real one."""
    keras = pytest.importorskip("keras")
    from helpers import models

    keras.utils.set_random_seed(0)
    model = models.build_classifier("mobilenet", weights=None, input_size=SIZE)
    return models.export_classifier(model, tmp_path_factory.mktemp("model") / "tiny.keras")


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
    result = subprocess.run([sys.executable, "-m", "helpers.classify", "notes.txt"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
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
    assert classify.model_path() == data_dir / "models" / "hotdog_classifier.keras"


def test_classify_file_gives_the_models_probability_and_a_consistent_label(tiny_model_file, photo):
    keras = pytest.importorskip("keras")
    from helpers import data

    model = keras.saving.load_model(tiny_model_file)
    prediction = classify.classify_file(photo, model)
    expected = float(model(data.load_image(str(photo), SIZE)[None])[0, 0])
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
def test_python_dash_m_works_from_any_folder(tiny_model_file, photo):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(PROJECT_ROOT))
    result = subprocess.run([sys.executable, "-m", "helpers.classify", photo.name, "--model", str(tiny_model_file)],
                            cwd=photo.parent, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("lunch.jpg: ")
