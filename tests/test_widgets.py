"""helpers.widgets: build the explorer from ops like notebook 01's, move its controls in code, check what it shows."""

from __future__ import annotations

import io

import ipywidgets
import matplotlib
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from helpers import widgets

matplotlib.use("Agg")

RNG = np.random.default_rng(1)
PHOTO = RNG.integers(30, 220, (60, 90, 3), dtype=np.uint8)


def brightness(image, seed, max_delta=0.3):
    return tf.image.stateless_random_brightness(image, max_delta, seed)


OPS = {
    "flip": lambda image, seed: tf.image.stateless_random_flip_left_right(image, seed),
    "brightness": brightness,
    "crop": lambda image, seed, size=40: tf.image.stateless_random_crop(image, (size, size, 3), seed),
    "contrast": lambda image, seed, factor=(0.5, 1.5): tf.image.stateless_random_contrast(image, *factor, seed),
    "hue": lambda image, seed, max_delta=0.1, label="fixed": tf.image.stateless_random_hue(image, max_delta, seed),
}


def shown(explorer) -> np.ndarray:
    """The displayed PNG, decoded."""
    return np.asarray(Image.open(io.BytesIO(explorer.image.value)).convert("RGB"))


def panels(fig) -> list[np.ndarray]:
    return [np.asarray(ax.images[0].get_array()) for ax in fig.axes]


@pytest.fixture
def explorer():
    return widgets.augmentation_explorer(PHOTO, OPS, op="brightness", draws=4)


def test_one_call_builds_a_widget_that_shows_a_png(explorer):
    assert isinstance(explorer, ipywidgets.VBox)
    assert explorer.renders == 1
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert isinstance(explorer.image, ipywidgets.Image) and explorer.image.format == "png"
    assert shown(explorer).shape[0] > 100
    assert explorer.op.value == "brightness" and list(explorer.op.options) == list(OPS)
    assert widgets.augmentation_explorer(PHOTO, OPS).op.value == "flip"  # the first op by default


def test_controls_carry_stable_names_for_people_and_browsers(explorer):
    assert (explorer.op.description, explorer.seed.description, explorer.draws.description) == ("op", "seed", "draws")
    assert "augment-explorer" in explorer._dom_classes
    assert "explorer-image" in explorer.image._dom_classes
    assert "explorer-seed" in explorer.seed._dom_classes and "explorer-op" in explorer.op._dom_classes
    assert all(name == control.description for name, control in explorer.params.items())
    assert not explorer.seed.continuous_update  # a drag redraws once, on release
    assert repr(explorer) == "AugmentationExplorer(op='brightness', seed=0, draws=4)"


def test_keyword_defaults_become_controls_of_the_right_kind(explorer):
    controls = explorer._controls
    assert controls["flip"] == {}
    assert isinstance(controls["brightness"]["max_delta"], ipywidgets.FloatSlider)
    assert controls["brightness"]["max_delta"].value == 0.3 and controls["brightness"]["max_delta"].max == 1.0
    assert isinstance(controls["crop"]["size"], ipywidgets.IntSlider)
    assert controls["crop"]["size"].max == 60  # never larger than the photo's shorter side
    assert isinstance(controls["contrast"]["factor"], ipywidgets.FloatRangeSlider)
    assert controls["contrast"]["factor"].value == (0.5, 1.5) and controls["contrast"]["factor"].max == 3.0
    assert list(controls["hue"]) == ["max_delta"]  # a string parameter stays fixed


def test_limits_override_a_slider_range():
    explorer = widgets.augmentation_explorer(PHOTO, OPS, op="hue", draws=1, limits={"max_delta": (0.0, 0.5)})
    assert explorer.params["max_delta"].max == 0.5


def test_draws_use_seed_pairs_seed_then_draw_number(explorer):
    explorer.seed.value = 5
    _, *draws = panels(explorer.figure())
    for i, panel in enumerate(draws):
        expected = brightness(PHOTO, tf.constant([5, i])).numpy()
        np.testing.assert_array_equal(panel, expected)


def test_moving_the_seed_slider_redraws_a_different_picture(explorer):
    before = explorer.image.value
    explorer.seed.value = 7
    assert explorer.renders == 2 and explorer.image.value != before
    explorer.seed.value = 0
    assert explorer.image.value == before  # the same seed draws the same picture again


def test_the_draws_slider_sets_the_number_of_panels(explorer):
    explorer.draws.value = 2
    assert len(explorer.figure().axes) == 3
    explorer.draws.value = 6
    assert len(explorer.figure().axes) == 7


def test_a_parameter_slider_changes_the_draws_accordingly(explorer):
    assert list(explorer.params) == ["max_delta"]
    explorer.set(max_delta=0.0)  # no brightness change: every draw is the original
    original, *draws = panels(explorer.figure())
    assert all(np.array_equal(d, original) for d in draws)
    still = explorer.image.value
    explorer.set(max_delta=0.9)
    original, *draws = panels(explorer.figure())
    assert all(not np.array_equal(d, original) for d in draws)
    assert explorer.image.value != still


def test_switching_the_op_swaps_the_controls_and_the_picture(explorer):
    before, renders = explorer.image.value, explorer.renders
    explorer.op.value = "contrast"
    assert explorer.renders == renders + 1 and explorer.image.value != before
    assert list(explorer.params) == ["factor"]
    assert list(explorer._param_box.children) == list(explorer.params.values())
    explorer.set(factor=(0.8, 1.2))
    assert explorer.values() == {"factor": (0.8, 1.2)}


def test_hidden_controls_of_other_ops_do_not_redraw(explorer):
    renders = explorer.renders
    explorer._controls["hue"]["max_delta"].value = 0.3
    assert explorer.renders == renders


def test_every_op_renders_with_its_default_controls(explorer):
    for name in OPS:
        explorer.op.value = name
        assert explorer.status.value == "", f"{name}: {explorer.status.value}"
    assert explorer.renders == 1 + len(OPS)  # the start (brightness), then one per switch: flip, brightness, ...


def test_the_crop_size_slider_sets_the_crop(explorer):
    explorer.op.value = "crop"
    explorer.set(size=24)
    assert panels(explorer.figure())[1].shape[:2] == (24, 24)


@pytest.mark.parametrize("op, values, message", [
    ("hue", {"max_delta": 0.8}, "max_delta"),  # tf.image raises ValueError
    ("contrast", {"factor": (1.2, 1.2)}, "upper"),  # tf.image raises ValueError (upper must exceed lower)
])
def test_a_value_the_op_rejects_shows_its_message_and_keeps_the_picture(explorer, op, values, message):
    explorer.op.value = op
    before = explorer.image.value
    explorer.set(**values)
    assert message in explorer.status.value and explorer.image.value == before
    explorer.set(**{name: OPS[op].__defaults__[0] for name in values})
    assert explorer.status.value == ""


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="one image"):
        widgets.augmentation_explorer(np.zeros((2, 8, 8, 3), np.uint8), OPS)
    with pytest.raises(ValueError, match="unknown op"):
        widgets.augmentation_explorer(PHOTO, OPS, op="sharpen")
    with pytest.raises(ValueError, match="non-empty dict"):
        widgets.augmentation_explorer(PHOTO, {})
    with pytest.raises(ValueError, match=r"\(image, seed"):
        widgets.augmentation_explorer(PHOTO, {"bad": lambda image: image})
    explorer = widgets.augmentation_explorer(PHOTO, OPS, op="hue", draws=1)
    with pytest.raises(ValueError, match="no parameter"):
        explorer.set(factor=0.2)
    with pytest.raises(ValueError, match="draws"):
        widgets.render_figure(PHOTO, brightness, draws=0)


def test_render_figure_is_the_static_copy_of_the_explorer(explorer):
    fig = widgets.render_figure(PHOTO, brightness, seed=0, draws=4)
    assert [ax.get_title() for ax in fig.axes] == ["original"] + [f"seed 0 · draw {i}" for i in range(1, 5)]
    for static, live in zip(panels(fig), panels(explorer.figure()), strict=True):
        np.testing.assert_array_equal(static, live)
