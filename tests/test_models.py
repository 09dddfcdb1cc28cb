"""helpers.models: the backbone registry, the classifiers, unfreezing, training, export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from helpers import data
from helpers.paths import PROJECT_ROOT

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
models = pytest.importorskip("helpers.models")

# Keras' own saving and variable code trips a NumPy 2 deprecation notice; it is not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy:DeprecationWarning")

SMALL = 32  # the smallest input the backbones accept: builds and trains in a blink with weights=None
PIXELS = np.array([[[[0.0, 0.0, 0.0], [255.0, 255.0, 255.0], [255.0, 0.0, 10.0]]]], dtype="float32")


def needs(asset: str):
    return pytest.mark.skipif(not data.is_installed(asset), reason=f"{asset} is not installed")


# ---------------------------------------------------------------- the registry
def test_registry_has_the_three_backbones_with_mobilenet_v2_by_default():
    assert set(models.BACKBONES) == {"mobilenet_v2", "mobilenet", "resnet50"}
    assert models.DEFAULT_BACKBONE == "mobilenet_v2"
    expected = {"mobilenet_v2": (keras.applications.MobileNetV2, keras.applications.mobilenet_v2, "mobilenet-v2"),
                "mobilenet": (keras.applications.MobileNet, keras.applications.mobilenet, "mobilenet-0.25"),
                "resnet50": (keras.applications.ResNet50, keras.applications.resnet50, "resnet50")}
    for name, (constructor, module, asset) in expected.items():
        bb = models.get_backbone(name)
        assert (bb.constructor, bb.module, bb.asset, bb.input_size) == (constructor, module, asset, 224)
        assert data.assets.get(bb.asset)  # the weights are a registered course asset
    assert models.get_backbone("mobilenet").kwargs == {"alpha": 0.25}
    with pytest.raises(ValueError, match="resnet50"):
        models.get_backbone("resnet18")


@pytest.mark.parametrize("name", sorted(models.BACKBONES))
def test_each_backbone_uses_its_own_preprocessing_never_rescale_1_255(name):
    bb = models.get_backbone(name)
    out = bb.preprocess_input(PIXELS)
    assert not np.allclose(out, PIXELS / 255.0), "rescale=1/255 is not any ImageNet model's preprocessing"
    if name == "resnet50":  # caffe: RGB -> BGR, minus the ImageNet means, no scaling
        mean = np.array(models.CAFFE_BGR_MEAN)
        np.testing.assert_allclose(out[0, 0, 0], -mean, atol=1e-3)
        np.testing.assert_allclose(out[0, 0, 2], np.array([10.0, 0.0, 255.0]) - mean, atol=1e-3)
    else:  # tf: [-1, 1]
        np.testing.assert_allclose(out[0, 0, 0], [-1, -1, -1], atol=1e-6)
        np.testing.assert_allclose(out[0, 0, 1], [1, 1, 1], atol=1e-6)
    assert bb.mode == ("caffe" if name == "resnet50" else "tf")


@pytest.mark.parametrize("name", sorted(models.BACKBONES))
def test_preprocessing_layer_equals_keras_preprocess_input(name):
    bb = models.get_backbone(name)
    pixels = np.random.default_rng(1).uniform(0, 255, (2, 5, 7, 3)).astype("float32")
    expected = bb.module.preprocess_input(pixels.copy())
    layer = models.preprocessing_layer(bb)
    np.testing.assert_allclose(np.asarray(layer(pixels)), expected, atol=1e-4)
    assert not layer.trainable and layer.name == "preprocess"


def test_preprocess_input_leaves_its_argument_alone():
    # keras' preprocess_input scales a float NumPy array in place; the registry's must not.
    pixels = PIXELS.copy()
    models.get_backbone("mobilenet_v2").preprocess_input(pixels)
    np.testing.assert_array_equal(pixels, PIXELS)


# ---------------------------------------------------------------- building models
def test_input_size_rules():
    with pytest.raises(ValueError, match="224"):
        models.build_base("mobilenet_v2", weights="imagenet", input_size=SMALL)
    with pytest.raises(ValueError, match="include_top"):
        models.build_base("mobilenet_v2", weights=None, include_top=True, input_size=SMALL)
    with pytest.raises(ValueError, match="at least 32"):
        models.build_base("mobilenet_v2", weights=None, input_size=16)
    with pytest.raises(ValueError, match="weights"):
        models.build_base("mobilenet_v2", weights="noisy-student")


def test_resnet50_code_path_builds_with_random_weights():
    model = models.build_classifier("resnet50", weights=None, input_size=SMALL)
    assert model.input_shape == (None, SMALL, SMALL, 3) and model.output_shape == (None, 1)
    out = np.asarray(model.get_layer("preprocess")(PIXELS))
    np.testing.assert_allclose(out, models.get_backbone("resnet50").preprocess_input(PIXELS), atol=1e-3)
    probabilities = np.asarray(model(np.full((2, SMALL, SMALL, 3), 128.0, "float32")))
    assert np.all((probabilities > 0) & (probabilities < 1))


def test_missing_weights_raise_a_message_with_the_install_command(isolated_dirs, monkeypatch):
    from keras.src.utils import file_utils

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure: no network in this test")

    monkeypatch.setattr(file_utils, "get_file", offline)
    with pytest.raises(data.MissingAssetError, match="data_download.py resnet50"):
        models.build_base("resnet50", weights="imagenet")


def test_classifier_structure_from_scratch_and_pretrained_rules():
    scratch = models.build_classifier("mobilenet", weights=None, input_size=SMALL)
    assert [layer.name for layer in scratch.layers] == ["pixels", "preprocess", "base", "pool", "dropout",
                                                        "hotdog_probability"]
    assert scratch.get_layer("hotdog_probability").activation.__name__ == "sigmoid"
    assert models.get_base(scratch).trainable  # from scratch, everything learns
    assert not scratch.get_layer("preprocess").trainable
    with pytest.raises(ValueError, match="dropout"):
        models.build_classifier("mobilenet", weights=None, input_size=SMALL, dropout=1.0)


@needs("mobilenet-0.25")
def test_pretrained_classifier_is_frozen_except_its_head():
    model = models.build_classifier("mobilenet")
    assert not models.get_base(model).trainable
    assert [w.path for w in model.trainable_weights] == ["hotdog_probability/kernel", "hotdog_probability/bias"]


@needs("mobilenet-v2")
def test_syllabus_model_puts_its_dense_layer_on_the_1000_imagenet_probabilities():
    broken = models.build_syllabus_model("mobilenet_v2", include_top=True)
    assert broken.layers[0].output_shape[-1] == 1000  # the new Dense(2) sees only softmax probabilities
    assert isinstance(broken.layers[1], keras.layers.Flatten)
    assert broken.layers[-1].units == 2 and broken.layers[-1].activation.__name__ == "softmax"
    fixed = models.build_syllabus_model("mobilenet_v2", include_top=False)
    assert isinstance(fixed.layers[1], keras.layers.GlobalAveragePooling2D)
    assert fixed.layers[-1].kernel.shape == (1280, 2)  # MobileNetV2's feature vector
    assert [w.path for w in fixed.trainable_weights] == [w.path for w in fixed.layers[-1].weights]


# ---------------------------------------------------------------- unfreezing
@pytest.mark.parametrize("name, n", [("mobilenet_v2", 29), ("resnet50", 10), ("mobilenet_v2", 5)])
def test_unfreeze_top_opens_the_top_layers_but_keeps_batchnorm_frozen(name, n):
    model = models.build_classifier(name, weights=None, input_size=SMALL)
    base = models.get_base(model)
    base.trainable = False  # as with ImageNet weights
    opened = models.unfreeze_top(base, n)
    top = base.layers[-n:]
    batchnorm = [layer for layer in base.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert batchnorm and not any(layer.trainable for layer in batchnorm)
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in top)
    expected = [layer.name for layer in top if layer.weights and not isinstance(layer, keras.layers.BatchNormalization)]
    assert opened == expected and opened
    assert not any(layer.trainable_weights for layer in base.layers[:-n])
    trainable = {w.path for w in model.trainable_weights}
    wanted = {w.path for layer in top if layer.name in opened for w in layer.weights}
    assert trainable == wanted | {"hotdog_probability/kernel", "hotdog_probability/bias"}


def test_unfreeze_top_rejects_impossible_counts():
    base = models.build_base("mobilenet", weights=None, input_size=SMALL)
    for n in (0, len(base.layers) + 1):
        with pytest.raises(ValueError):
            models.unfreeze_top(base, n)


def _toy_dataset(n: int = 16, size: int = SMALL, batch: int = 8):
    """Bright photos are hot dogs (label 1), dark ones are not: learnable in a few steps."""
    rng = np.random.default_rng(0)
    labels = np.arange(n) % 2
    images = rng.uniform(0, 100, (n, size, size, 3)) + labels[:, None, None, None] * 150
    return tf.data.Dataset.from_tensor_slices((images.astype("float32"), labels.astype("float32"))).batch(batch)


@needs("mobilenet-0.25")
def test_batchnorm_statistics_do_not_move_while_fine_tuning():
    # Pretrained weights: a random network without BatchNorm statistics saturates its ReLU6s (no gradient).
    keras.utils.set_random_seed(0)
    model = models.build_classifier("mobilenet")
    base = models.get_base(model)
    models.unfreeze_top(base, 12)
    stats = {w.path: w.numpy() for w in base.non_trainable_weights if "moving" in w.path}
    kernel = base.get_layer("conv_pw_13").kernel.numpy()
    models.train(model, _toy_dataset(8, size=224), epochs=1, learning_rate=1e-3, verbose=0)
    assert stats and all(np.array_equal(w.numpy(), stats[w.path]) for w in base.non_trainable_weights
                         if w.path in stats), "BatchNorm ran in training mode: its moving statistics changed"
    assert not np.array_equal(base.get_layer("conv_pw_13").kernel.numpy(), kernel)  # the top did learn


# ---------------------------------------------------------------- training
@pytest.mark.slow
def test_a_tiny_fit_from_scratch_learns():
    keras.utils.set_random_seed(0)
    model = models.build_classifier("mobilenet", weights=None, input_size=SMALL, dropout=0.0)
    history = models.train(model, _toy_dataset(), epochs=8, learning_rate=1e-3, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.6 * losses[0], f"loss did not go down: {losses}"
    assert history.history["accuracy"][-1] >= 0.9


@needs("mobilenet-0.25")
@needs("hotdog-mini")
def test_a_tiny_fit_on_real_photos_with_pretrained_weights_learns():
    keras.utils.set_random_seed(0)
    paths, labels, _ = data.labelled_images(data.hotdog_dir() / "train")
    pick = np.r_[0:6, len(paths) - 6:len(paths)]  # 6 not-hot-dogs, 6 hot dogs
    ds = data.image_dataset([paths[i] for i in pick], labels[pick], size=224, batch_size=12)
    model = models.build_classifier("mobilenet", dropout=0.0)
    history = models.train(model, ds, epochs=6, learning_rate=3e-3, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0], f"loss did not go down: {losses}"


def _toy_model() -> keras.Model:
    """A few-layer CNN: enough to test the training helper itself, cheap to trace."""
    return keras.Sequential([keras.Input((SMALL, SMALL, 3)), keras.layers.Rescaling(1 / 255),
                             keras.layers.Conv2D(4, 3), keras.layers.GlobalAveragePooling2D(),
                             keras.layers.Dense(1, activation="sigmoid")])


def test_train_checks_its_arguments():
    model = _toy_model()
    ds = _toy_dataset()
    for kwargs, match in [({"epochs": 0}, "epochs"), ({"epochs": 1, "learning_rate": 0}, "learning_rate"),
                          ({"epochs": 1, "loss": "mse"}, "loss"), ({"epochs": 1, "strategy": "gpu"}, "Strategy")]:
        with pytest.raises(ValueError, match=match):
            models.train(model, ds, **kwargs)
    other = tf.distribute.OneDeviceStrategy("/cpu:0")
    with pytest.raises(ValueError, match="scope"):
        models.train(model, ds, epochs=1, strategy=other)


def test_train_defaults_to_the_current_strategy():
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with strategy.scope():
        model = _toy_model()
        history = models.train(model, _toy_dataset(), epochs=1, verbose=0)  # no strategy argument
    assert model.distribute_strategy is strategy and len(history.history["loss"]) == 1


MIRRORED_SCRIPT = textwrap.dedent("""
    import json
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from helpers import models
    assert len(tf.config.list_logical_devices("CPU")) == 2
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    keras.utils.set_random_seed(0)
    with strategy.scope():  # a small CNN: the point is the strategy, and tracing MobileNet twice is slow
        model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Rescaling(1 / 255),
                                  keras.layers.Conv2D(8, 3, activation="relu"), keras.layers.GlobalAveragePooling2D(),
                                  keras.layers.Dense(1, activation="sigmoid")])
    labels = np.arange(32) % 2
    images = np.random.default_rng(0).uniform(0, 100, (32, 32, 32, 3)) + labels[:, None, None, None] * 150
    ds = tf.data.Dataset.from_tensor_slices((images.astype("float32"), labels.astype("float32"))).batch(16)
    history = models.train(model, ds, epochs=8, learning_rate=1e-2, strategy=strategy, verbose=0)
    print(json.dumps({"replicas": strategy.num_replicas_in_sync, "loss": history.history["loss"],
                      "variable": str(type(model.trainable_weights[0].value).__name__)}))
""")


@pytest.mark.slow
def test_training_with_mirrored_strategy_on_two_logical_cpus():
    # Logical devices must be configured before TensorFlow initialises its devices: a fresh process.
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run([sys.executable, "-c", MIRRORED_SCRIPT], capture_output=True, text=True,
                            cwd=PROJECT_ROOT, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    assert report["variable"] == "MirroredVariable"  # each weight lives on both devices
    assert report["loss"][-1] < report["loss"][0], report["loss"]


# ---------------------------------------------------------------- export
def test_export_is_self_contained_raw_pixels_in_probability_out(tmp_path):
    keras.utils.set_random_seed(0)
    model = models.build_classifier("mobilenet", weights=None, input_size=SMALL)
    path = models.export_classifier(model, tmp_path / "tiny.keras")
    reloaded = keras.saving.load_model(path)  # no custom objects: only built-in Keras layers
    pixels = np.random.default_rng(2).uniform(0, 255, (3, SMALL, SMALL, 3)).astype("float32")
    expected = model.get_layer("hotdog_probability")(model.get_layer("pool")(
        models.get_base(model)(models.get_backbone("mobilenet").preprocess_input(pixels), training=False)))
    np.testing.assert_allclose(np.asarray(reloaded(pixels)), np.asarray(expected), atol=1e-5)
    assert reloaded.output_shape == (None, 1)
    config = json.dumps(reloaded.get_config())
    assert "Lambda" not in config and "helpers" not in config


def test_export_rejects_the_wrong_file_or_model(tmp_path):
    model = models.build_classifier("mobilenet", weights=None, input_size=SMALL)
    with pytest.raises(ValueError, match=".keras"):
        models.export_classifier(model, tmp_path / "model.h5")
    two_way = keras.Sequential([keras.Input((SMALL, SMALL, 3)), keras.layers.GlobalAveragePooling2D(),
                                keras.layers.Dense(2)])
    with pytest.raises(ValueError):
        models.export_classifier(two_way, tmp_path / "m.keras")


# ---------------------------------------------------------------- the syllabus's data path
@needs("hotdog-mini")
def test_syllabus_generators_scale_as_asked_and_endless_keeps_going():
    root = data.hotdog_dir()
    rescaled, _ = models.syllabus_generators(root / "train", root / "test", scaling="rescale")
    x, y = next(rescaled)
    assert x.shape == (32, 224, 224, 3) and y.shape == (32, 2)
    assert x.min() >= 0 and x.max() <= 1  # the syllabus's 1/255: not what MobileNetV2 expects
    proper, _ = models.syllabus_generators(root / "train", root / "test", scaling="preprocess_input")
    x, _ = next(proper)
    assert x.min() < -0.5 and x.max() <= 1  # MobileNetV2's own [-1, 1]
    batches = models.endless(proper)
    assert len(proper) == 5 and sum(1 for _ in zip(range(12), batches, strict=False)) == 12
    with pytest.raises(ValueError):
        models.syllabus_generators(root / "train", root / "test", scaling="standardize")


def test_evaluate_softmax_computes_accuracy_loss_and_confidence():
    class Fixed(keras.Model):
        def call(self, x, training=False):
            return keras.ops.convert_to_tensor(np.tile([[0.8, 0.2]], (x.shape[0], 1)).astype("float32"))

    batches = [(np.zeros((3, 2)), np.array([[1, 0], [1, 0], [0, 1]], "float32")),
               (np.zeros((1, 2)), np.array([[0, 1]], "float32"))]
    result = models.evaluate_softmax(Fixed(), batches)
    assert result["accuracy"] == pytest.approx(0.5)
    assert result["loss"] == pytest.approx(-(2 * np.log(0.8) + 2 * np.log(0.2)) / 4, rel=1e-5)
    assert result["confidence"] == pytest.approx(0.8)


def test_weights_source_says_what_is_installed(isolated_dirs):
    assert models.weights_source("resnet50").startswith("not installed")
    assert models.weights_source("mobilenet_v2").startswith("not installed")


def test_weights_source_names_the_mirror_copy_of_mobilenet_v2(isolated_dirs, mirror):
    _, keras_home = isolated_dirs
    (keras_home / "models").mkdir(parents=True)
    for name in ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5",
                 "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"):
        (keras_home / "models" / name).write_bytes((mirror / "keras" / "models" / name).read_bytes())
    source = models.weights_source("mobilenet_v2")
    assert "mirror" in source and "TFLite" in source, source
    for path in (keras_home / "models").iterdir():  # other bytes than the mirror's: Keras' own download
        path.write_bytes(path.read_bytes() + b"\0")
    assert models.weights_source("mobilenet_v2") == "Keras' official files"
