"""Pretrained backbones and the hot-dog classifiers built on them (notebook 03).

The one-line backbone choice of the course is a name in :data:`BACKBONES`.  Each
:class:`Backbone` knows its Keras constructor, its input size, its own
``preprocess_input`` (the pixel scaling its ImageNet weights were trained with)
and the course asset that holds those weights.

What this module builds:

* :func:`build_base`: the ImageNet network, with or without its 1000-class top;
* :func:`build_syllabus_model`: the syllabus's recipe (the top kept, ``Flatten``,
  ``Dense(2, softmax)``), kept on purpose so that notebook 03 can diagnose it;
* :func:`build_classifier`: the recipe done right.  It takes raw RGB pixels
  (0-255), scales them inside (a frozen ``preprocess`` layer equal to the
  backbone's ``preprocess_input``), runs the frozen base in inference mode,
  pools, and ends in ``Dropout`` + ``Dense(1, sigmoid)``: the probability of a
  hot dog.  Because the preprocessing is inside, the saved model is
  self-contained (:func:`export_classifier`);
* :func:`unfreeze_top`: unfreeze the top layers of the base for fine-tuning,
  keeping every BatchNormalization layer frozen;
* :func:`train`: compile and fit under a ``tf.distribute.Strategy``.

Example::

    >>> from helpers import models
    >>> bb = models.get_backbone("mobilenet_v2")
    >>> bb.input_size, bb.mode
    (224, 'tf')
    >>> model = models.build_classifier("mobilenet_v2")          # doctest: +SKIP
    >>> model.input_shape, model.output_shape                      # doctest: +SKIP
    ((None, 224, 224, 3), (None, 1))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from helpers import data, paths

DEFAULT_BACKBONE = "mobilenet_v2"
IMAGENET_HOTDOG = 934  # index of "hotdog" (n07697537) among the 1000 ImageNet classes
CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)  # what mode="caffe" subtracts, in B, G, R order
BASE_NAME = "base"
PREPROCESS_NAME = "preprocess"


@dataclass(frozen=True)
class Backbone:
    """One ImageNet network the course can fine-tune.

    ``mode`` is the preprocessing its weights expect: ``"tf"`` scales pixels to
    [-1, 1]; ``"caffe"`` swaps RGB to BGR and subtracts the ImageNet channel
    means, without scaling.  Neither is ``rescale=1/255``.
    ``fine_tune_layers`` is how many top layers :func:`unfreeze_top` opens by
    default (the last few blocks, cheap enough for a CPU).
    """

    name: str
    constructor: Callable[..., keras.Model]
    input_size: int
    module: object  # the keras.applications module: preprocess_input, decode_predictions
    mode: str
    asset: str  # helpers.assets name of the weight files
    fine_tune_layers: int
    kwargs: dict = field(default_factory=dict)

    def preprocess_input(self, pixels):
        """The backbone's own scaling of raw RGB pixels (0-255); never modifies its argument.

        (Keras' ``preprocess_input`` scales a float NumPy array *in place*; this copies first.)
        """
        if isinstance(pixels, np.ndarray):
            pixels = np.array(pixels, dtype="float32", copy=True)
        return self.module.preprocess_input(pixels)

    def decode_predictions(self, probabilities, top: int = 5):
        """Names of the ImageNet classes with the highest probabilities."""
        return self.module.decode_predictions(np.asarray(probabilities), top=top)


BACKBONES: dict[str, Backbone] = {
    "mobilenet_v2": Backbone("mobilenet_v2", keras.applications.MobileNetV2, 224,
                             keras.applications.mobilenet_v2, "tf", "mobilenet-v2", 29,  # blocks 14-16 + Conv_1
                             {"alpha": 1.0}),
    "mobilenet": Backbone("mobilenet", keras.applications.MobileNet, 224,
                          keras.applications.mobilenet, "tf", "mobilenet-0.25", 12,  # blocks 12-13
                          {"alpha": 0.25}),
    "resnet50": Backbone("resnet50", keras.applications.ResNet50, 224,
                         keras.applications.resnet50, "caffe", "resnet50", 10),  # conv5_block3
}


def get_backbone(backbone: str | Backbone) -> Backbone:
    """The registry entry for ``backbone`` (a name in :data:`BACKBONES`, or a Backbone)."""
    if isinstance(backbone, Backbone):
        return backbone
    if backbone not in BACKBONES:
        raise ValueError(f"unknown backbone {backbone!r}: expected one of {sorted(BACKBONES)}")
    return BACKBONES[backbone]


def weights_source(backbone: str | Backbone) -> str:
    """Which ImageNet weights are installed for ``backbone``, in words (for a notebook's configuration line).

    The course mirror's MobileNetV2 file is not Keras' own: it was converted
    from Google's int8 TFLite model, and its results are within about a point
    of the official weights (see the mirror's MANIFEST.md).
    """
    from helpers import assets, fetch

    bb = get_backbone(backbone)
    specs = assets.get(bb.asset).files
    installed = [fetch.target_path(spec) for spec in specs if fetch.target_path(spec).is_file()]
    if not installed:
        return "not installed (Keras downloads them on first use when online)"
    mirrored = [spec for spec in specs if spec.mirror_sha256 and fetch.target_path(spec).is_file()
                and fetch.matches(fetch.target_path(spec), "sha256:" + spec.mirror_sha256)]
    if mirrored and bb.name == "mobilenet_v2":
        return "the course mirror's copy (converted from TFLite; results within about a point of Keras' official file)"
    if mirrored:
        return "the course mirror's copy"
    return "Keras' official files"


def preprocessing_affine(backbone: str | Backbone) -> tuple[np.ndarray, np.ndarray]:
    """``(matrix, bias)`` such that ``pixels @ matrix + bias`` equals ``preprocess_input(pixels)``.

    Both modes the registry uses are affine per pixel (``"caffe"`` also permutes
    the channels), so one frozen ``Dense(3)`` layer reproduces them exactly.
    """
    bb = get_backbone(backbone)
    if bb.mode == "tf":
        return np.eye(3, dtype="float32") / 127.5, -np.ones(3, dtype="float32")
    if bb.mode == "caffe":
        matrix = np.eye(3, dtype="float32")[::-1].copy()  # output channel 0 (B) = input channel 2, ...
        return matrix, -np.asarray(CAFFE_BGR_MEAN, dtype="float32")
    raise ValueError(f"backbone {bb.name!r} has an unsupported preprocessing mode {bb.mode!r}")


def preprocessing_layer(backbone: str | Backbone) -> keras.layers.Dense:
    """A frozen, built ``Dense(3)`` layer named ``"preprocess"`` equal to the backbone's ``preprocess_input``.

    It uses only a built-in layer, so a saved model that contains it loads
    anywhere without the course's code.
    """
    matrix, bias = preprocessing_affine(backbone)
    layer = keras.layers.Dense(3, trainable=False, name=PREPROCESS_NAME)
    layer.build((None, 3))
    layer.set_weights([matrix, bias])
    return layer


def _check_input_size(bb: Backbone, input_size: int | None, weights: str | None, include_top: bool) -> int:
    size = bb.input_size if input_size is None else int(input_size)
    if size < 32:
        raise ValueError(f"input_size must be at least 32 pixels, got {size}")
    if weights is not None and size != bb.input_size:
        raise ValueError(f"{bb.name}'s ImageNet weights need {bb.input_size}x{bb.input_size} inputs, got {size} "
                         "(use weights=None for other sizes)")
    if include_top and size != bb.input_size:
        raise ValueError(f"include_top=True needs {bb.input_size}x{bb.input_size} inputs, got {size}")
    return size


def build_base(backbone: str | Backbone = DEFAULT_BACKBONE, *, weights: str | None = "imagenet",
               include_top: bool = False, input_size: int | None = None) -> keras.Model:
    """The backbone network (``weights="imagenet"`` or ``None`` for random initialisation).

    With ``include_top=True`` it ends in ImageNet's 1000-class softmax; with
    ``False`` it ends at the last convolutional feature map.  If the ImageNet
    weights are neither installed nor downloadable, raises
    :class:`helpers.data.MissingAssetError` naming the install command.
    """
    bb = get_backbone(backbone)
    if weights not in ("imagenet", None):
        raise ValueError(f"weights must be 'imagenet' or None, got {weights!r}")
    size = _check_input_size(bb, input_size, weights, include_top)
    try:
        return bb.constructor(include_top=include_top, weights=weights, input_shape=(size, size, 3), **bb.kwargs)
    except Exception as err:  # Keras raises a bare Exception when the download fails
        if weights is None or data.is_installed(bb.asset):
            raise
        raise data.MissingAssetError(bb.asset) from err


def build_syllabus_model(backbone: str | Backbone = DEFAULT_BACKBONE, *, include_top: bool = True) -> keras.Model:
    """The syllabus's model: a frozen ImageNet network + ``Flatten`` + ``Dense(2, softmax)``.

    ``include_top=True`` reproduces it exactly: the new layer only sees the
    1000 ImageNet *probabilities*.  ``include_top=False`` is the one-factor fix:
    the base ends at its feature map and ``GlobalAveragePooling2D`` replaces
    ``Flatten``.  Inputs must already be scaled (by an ImageDataGenerator).
    """
    base = build_base(backbone, include_top=include_top)
    base.trainable = False  # the syllabus froze every layer
    pooling = keras.layers.Flatten() if include_top else keras.layers.GlobalAveragePooling2D()
    return keras.Sequential([base, pooling, keras.layers.Dense(2, activation="softmax")],
                            name="syllabus_model" if include_top else "syllabus_model_no_top")


def build_classifier(backbone: str | Backbone = DEFAULT_BACKBONE, *, weights: str | None = "imagenet",
                     dropout: float = 0.2, input_size: int | None = None) -> keras.Model:
    """Raw RGB pixels (0-255) -> probability of a hot dog (one sigmoid unit).

    Layers: ``preprocess`` (frozen, the backbone's own scaling) -> ``base``
    -> ``GlobalAveragePooling2D`` -> ``Dropout`` -> ``Dense(1, sigmoid)``.
    With ImageNet weights the base is frozen and always called with
    ``training=False``, so its BatchNormalization layers stay in inference mode
    even after :func:`unfreeze_top`.  With ``weights=None`` (training from
    scratch) the whole network is trainable and BatchNorm learns its statistics.
    """
    bb = get_backbone(backbone)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    size = _check_input_size(bb, input_size, weights, include_top=False)
    base = build_base(bb, weights=weights, input_size=size)
    base.name = BASE_NAME
    inputs = keras.Input((size, size, 3), name="pixels")
    x = preprocessing_layer(bb)(inputs)
    if weights is None:
        x = base(x)
    else:
        base.trainable = False
        x = base(x, training=False)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="hotdog_probability")(x)
    return keras.Model(inputs, outputs, name=f"hotdog_{bb.name}")


def unfreeze_top(base: keras.Model, n: int) -> list[str]:
    """Make the top ``n`` layers of ``base`` trainable, except BatchNormalization layers.

    Every layer below the top ``n`` and every BatchNormalization layer stays
    frozen (their statistics came from ImageNet; a batch of 32 photos would
    overwrite them).  Returns the names of the layers that now hold trainable
    weights.  Recompile the model afterwards (:func:`train` does).
    """
    layers = base.layers
    if not 1 <= n <= len(layers):
        raise ValueError(f"n must be between 1 and {len(layers)} (the layers of {base.name}), got {n}")
    base.trainable = True  # sets every sub-layer; then freeze again all but the top n
    for i, layer in enumerate(layers):
        layer.trainable = i >= len(layers) - n and not isinstance(layer, keras.layers.BatchNormalization)
    return [layer.name for layer in layers if layer.trainable and layer.trainable_weights]


def get_base(model: keras.Model) -> keras.Model:
    """The backbone inside a model made by :func:`build_classifier`."""
    try:
        return model.get_layer(BASE_NAME)
    except ValueError:
        raise ValueError(f"{model.name} has no layer named {BASE_NAME!r}: was it made by build_classifier?") from None


def train(model: keras.Model, train_data, *, epochs: int, learning_rate: float = 1e-3,
          loss: str = "binary_crossentropy", steps_per_epoch: int | None = None, validation_data=None,
          strategy: tf.distribute.Strategy | None = None, verbose: int = 2) -> keras.callbacks.History:
    """Compile ``model`` with Adam(``learning_rate``) and fit it; returns the History.

    ``train_data`` yields ``(images, labels)`` batches: a ``tf.data.Dataset``
    (pass ``steps_per_epoch`` if it repeats forever), a Keras ``PyDataset`` such
    as a ``flow_from_directory`` iterator, or a Python generator.

    ``strategy`` defaults to the current one (``tf.distribute.get_strategy()``:
    a single device, or the strategy whose ``scope()`` you are in).  To train
    on several devices, build the model inside ``with strategy.scope():`` and
    pass the same strategy here; Keras then splits each batch between the
    replicas.  ``verbose=2`` prints one line per epoch.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if learning_rate <= 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate}")
    losses = {"binary_crossentropy": keras.metrics.BinaryAccuracy,
              "categorical_crossentropy": keras.metrics.CategoricalAccuracy}
    if loss not in losses:
        raise ValueError(f"loss must be one of {sorted(losses)}, got {loss!r}")
    strategy = tf.distribute.get_strategy() if strategy is None else strategy
    if not isinstance(strategy, tf.distribute.Strategy):
        raise ValueError(f"strategy must be a tf.distribute.Strategy, got {type(strategy).__name__}")
    if model.distribute_strategy is not strategy:
        raise ValueError("the model was built under another tf.distribute.Strategy: "
                         "build it inside `with strategy.scope():` and pass that strategy")
    with strategy.scope():
        model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss,
                      metrics=[losses[loss](name="accuracy")])
    # Datasets and generators shuffle themselves (Keras warns if asked to shuffle them).
    return model.fit(train_data, epochs=epochs, steps_per_epoch=steps_per_epoch, validation_data=validation_data,
                     shuffle=False, verbose=verbose)


def syllabus_generators(train_dir: str | Path, test_dir: str | Path, *, scaling: str = "rescale",
                        backbone: str | Backbone = DEFAULT_BACKBONE, batch_size: int = 32, seed: int = 0):
    """The syllabus's ``ImageDataGenerator`` + ``flow_from_directory`` pair (train shuffled, test in order).

    ``scaling="rescale"`` is the syllabus's ``rescale=1./255``;
    ``scaling="preprocess_input"`` uses the backbone's own preprocessing instead.
    """
    bb = get_backbone(backbone)
    if scaling == "rescale":
        generator = tf.keras.preprocessing.image.ImageDataGenerator(rescale=1.0 / 255)
    elif scaling == "preprocess_input":
        generator = tf.keras.preprocessing.image.ImageDataGenerator(preprocessing_function=bb.module.preprocess_input)
    else:
        raise ValueError(f"scaling must be 'rescale' or 'preprocess_input', got {scaling!r}")
    size = (bb.input_size, bb.input_size)
    train = generator.flow_from_directory(str(train_dir), target_size=size, batch_size=batch_size,
                                          shuffle=True, seed=seed)
    test = generator.flow_from_directory(str(test_dir), target_size=size, batch_size=batch_size, shuffle=False)
    return train, test


def syllabus_recipe(train_dir: str | Path, test_dir: str | Path, *, backbone: str | Backbone = DEFAULT_BACKBONE,
                    scaling: str = "rescale", include_top: bool = True, steps_per_epoch: int | None = 10,
                    epochs: int = 3, seed: int = 0, verbose: int = 2) -> dict[str, float]:
    """Run the syllabus's recipe with the given factors; returns test metrics.

    ``{"accuracy": ..., "loss": ..., "confidence": ...}``: the test accuracy, the
    cross-entropy (ln 2 = 0.693 for a model that always answers 50/50) and the
    mean probability the model gives to the class it picks (0.5 = no idea).

    The defaults are the syllabus exactly (``rescale=1./255``, the 1000-class
    top kept, 10 steps x 3 epochs of 32 photos, Adam 1e-3); change one argument
    to fix one factor.  ``steps_per_epoch=None`` means one full pass per epoch.
    The seed is reset first, so every run starts from the same weights and
    sees the photos in the same order.

    Keras 3 stops an epoch early (with a warning) when a ``flow_from_directory``
    iterator runs out of batches before ``steps_per_epoch``: 10 steps over 160
    photos would silently become 5.  The iterator is therefore wrapped in an
    endless generator, so the syllabus's 10 steps really are 10.
    """
    keras.utils.set_random_seed(seed)
    train_gen, test_gen = syllabus_generators(train_dir, test_dir, scaling=scaling, backbone=backbone, seed=seed)
    model = build_syllabus_model(backbone, include_top=include_top)
    steps = len(train_gen) if steps_per_epoch is None else steps_per_epoch
    train(model, endless(train_gen), epochs=epochs, steps_per_epoch=steps,
          loss="categorical_crossentropy", verbose=verbose)
    return evaluate_softmax(model, test_gen)


def evaluate_softmax(model: keras.Model, batches) -> dict[str, float]:
    """Accuracy, cross-entropy and confidence of a softmax classifier over finite one-hot ``batches``.

    One eager pass (no ``predict``: a fresh model per run would make Keras
    retrace and warn about it).
    """
    probabilities, targets = [], []
    for i in range(len(batches)):
        images, onehot = batches[i]
        probabilities.append(np.asarray(model(images, training=False)))
        targets.append(np.asarray(onehot))
    p, t = np.concatenate(probabilities), np.concatenate(targets)
    loss = -np.mean(np.sum(t * np.log(np.clip(p, 1e-7, 1.0)), axis=1))
    accuracy = np.mean(p.argmax(axis=1) == t.argmax(axis=1))
    return {"accuracy": float(accuracy), "loss": float(loss), "confidence": float(p.max(axis=1).mean())}


def endless(iterator):
    """Yield ``next(iterator)`` forever (an ImageDataGenerator iterator reshuffles after each pass)."""
    while True:
        yield next(iterator)


def predict_probabilities(model: keras.Model, dataset) -> tuple[np.ndarray, np.ndarray]:
    """``(probabilities, labels)`` over a finite dataset of ``(images, labels)`` batches."""
    probabilities, labels = [], []
    for images, batch_labels in dataset:
        probabilities.append(np.asarray(model(images, training=False)).reshape(-1))
        labels.append(np.asarray(batch_labels).reshape(-1))
    if not labels:
        raise ValueError("the dataset is empty")
    return np.concatenate(probabilities), np.concatenate(labels)


def export_classifier(model: keras.Model, path: str | Path | None = None) -> Path:
    """Save a :func:`build_classifier` model as a self-contained ``.keras`` file and check it.

    ``path`` defaults to ``<data>/models/hotdog_classifier.keras``, where
    :mod:`helpers.classify` looks for it.

    The file holds the whole pipeline: raw RGB pixels (0-255, at the model's
    input size) in, the probability of a hot dog out; it loads with plain
    ``keras.saving.load_model`` (no course code needed).  The saved copy is
    reloaded and must give the same predictions as ``model``.
    """
    shape = model.input_shape
    if len(shape) != 4 or shape[-1] != 3 or model.output_shape != (None, 1):
        raise ValueError(f"expected a model from RGB images to one probability, got {shape} -> {model.output_shape}")
    if model.layers[1].name != PREPROCESS_NAME:
        raise ValueError("the model must start with its 'preprocess' layer (build it with build_classifier)")
    path = Path(path) if path is not None else paths.model_path()
    if path.suffix != ".keras":
        raise ValueError(f"save to a .keras file, got {path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    probe = np.random.default_rng(0).uniform(0, 255, (2, *shape[1:])).astype("float32")
    reloaded = keras.saving.load_model(path)
    if not np.allclose(model(probe, training=False), reloaded(probe, training=False), atol=1e-5):
        raise RuntimeError(f"the model reloaded from {path.name} predicts differently from the one saved")
    return path
