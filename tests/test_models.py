"""Notebook 03's model, saved in helpers.hotdog: build_classifier (contract 2), unfreeze_top, the saved file."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import data

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
hotdog = pytest.importorskip("helpers.hotdog")

# Keras' own saving and variable code trips a NumPy 2 deprecation notice; it is not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy:DeprecationWarning")

SMALL = 32  # the smallest input MobileNetV2 accepts: builds in a blink with weights=None
PIXELS = np.array([[[[0.0, 0.0, 0.0], [255.0, 255.0, 255.0], [255.0, 0.0, 10.0]]]], dtype="float32")


def needs(asset: str):
    return pytest.mark.skipif(not data.is_installed(asset), reason=f"{asset} is not installed")


def _small_base(**kwargs) -> keras.Model:
    return keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(SMALL, SMALL, 3),
                                          alpha=0.35, **kwargs)


def _pixels(n: int, size: int = SMALL, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 255, (n, size, size, 3)).astype("float32")


# ---------------------------------------------------------------- build_classifier (contract 2)
def test_build_classifier_takes_raw_pixels_of_the_bases_size_and_gives_one_probability():
    keras.utils.set_random_seed(0)
    base = _small_base()
    model = hotdog.build_classifier(base)
    assert model.input_shape == (None, SMALL, SMALL, 3) and model.output_shape == (None, 1)
    probabilities = model(_pixels(4)).numpy()
    assert ((0 < probabilities) & (probabilities < 1)).all()
    assert model.layers[-1].activation is keras.activations.sigmoid
    assert [layer.name for layer in model.layers] == ["pixels", "preprocess", base.name, "pool", "dropout",
                                                      "hotdog_probability"]
    assert model.get_layer("dropout").rate == 0.2


def test_the_preprocess_layer_is_mobilenet_v2s_preprocess_input():
    model = hotdog.build_classifier(_small_base())
    scaled = model.get_layer("preprocess")(PIXELS).numpy()
    np.testing.assert_allclose(scaled, keras.applications.mobilenet_v2.preprocess_input(PIXELS.copy()), atol=1e-6)
    np.testing.assert_allclose(scaled[0, 0, 0], [-1, -1, -1], atol=1e-6)  # 0 -> -1, 255 -> 1
    np.testing.assert_allclose(scaled[0, 0, 1], [1, 1, 1], atol=1e-6)
    assert model.get_layer("preprocess").count_params() == 0


def test_the_base_runs_in_inference_mode_so_batchnorm_statistics_never_move():
    """Even with the base trainable, base(x, training=False) keeps BatchNorm on its stored statistics."""
    keras.utils.set_random_seed(0)
    base = _small_base()
    model = hotdog.build_classifier(base, dropout=0.0)
    hotdog.unfreeze_top(base, len(base.layers))  # everything but BatchNorm trainable
    moving = {w.path: w.numpy() for w in base.weights if "moving" in w.path}
    dense = model.get_layer("hotdog_probability").kernel.numpy()
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy")
    model.fit(_pixels(8), np.arange(8) % 2, epochs=1, batch_size=8, verbose=0)
    assert moving and all(np.array_equal(w.numpy(), moving[w.path]) for w in base.weights if w.path in moving)
    assert not np.array_equal(model.get_layer("hotdog_probability").kernel.numpy(), dense)  # the head did learn


def test_a_frozen_base_leaves_only_the_head_trainable():
    base = _small_base()
    base.trainable = False
    model = hotdog.build_classifier(base)
    assert [w.path for w in model.trainable_weights] == ["hotdog_probability/kernel", "hotdog_probability/bias"]


# ---------------------------------------------------------------- unfreeze_top
def test_unfreeze_top_opens_the_top_layers_except_batchnorm():
    base = _small_base()
    base.trainable = False
    hotdog.unfreeze_top(base, 29)
    top, below = base.layers[-29:], base.layers[:-29]
    assert not any(layer.trainable for layer in below)
    for layer in top:
        assert layer.trainable == (not isinstance(layer, keras.layers.BatchNormalization)), layer.name
    learning = [layer.name for layer in base.layers if layer.trainable_weights]
    assert learning[0] == "block_14_expand" and learning[-1] == "Conv_1" and len(learning) == 10  # as notebook 03 says


# ---------------------------------------------------------------- the saved model (contract 4)
def test_the_saved_model_loads_without_course_code_and_predicts_the_same(tmp_path):
    keras.utils.set_random_seed(0)
    model = hotdog.build_classifier(_small_base())
    path = tmp_path / "hotdog_classifier.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)  # no custom_objects: built-in layers only
    probe = _pixels(3, seed=1)
    np.testing.assert_allclose(reloaded(probe).numpy(), model(probe).numpy(), atol=1e-5)
    assert reloaded.input_shape == (None, SMALL, SMALL, 3) and reloaded.output_shape == (None, 1)
    assert type(reloaded.get_layer("preprocess")).__name__ == "Rescaling"


@needs("mobilenet-v2")
def test_the_imagenet_classifier_has_notebook_03s_shape():
    base = keras.applications.MobileNetV2(include_top=False, weights="imagenet", input_shape=(224, 224, 3))
    model = hotdog.build_classifier(base)
    assert model.input_shape == (None, 224, 224, 3) and model.output_shape == (None, 1)
    assert len(base.layers) == 154 and sum(1 for layer in base.layers if layer.weights) == 104
    assert base.count_params() == 2_257_984 and model.get_layer("hotdog_probability").count_params() == 1_281
