"""helpers.widgets: build the explorer, move its controls in code, check what it displays."""

from __future__ import annotations

import io

import ipywidgets
import matplotlib
import numpy as np
import pytest
from PIL import Image

from helpers import augment, widgets

matplotlib.use("Agg")

RNG = np.random.default_rng(1)
PHOTO = RNG.integers(30, 220, (60, 90, 3), dtype=np.uint8)


def shown(explorer) -> np.ndarray:
    """The displayed PNG, decoded."""
    return np.asarray(Image.open(io.BytesIO(explorer.image.value)).convert("RGB"))


def panels(fig) -> list[np.ndarray]:
    return [np.asarray(ax.images[0].get_array()) for ax in fig.axes]


@pytest.fixture
def explorer():
    return widgets.augmentation_explorer(PHOTO, draws=4)


def test_one_call_builds_a_widget_that_shows_a_png(explorer):
    assert isinstance(explorer, ipywidgets.VBox)
    assert explorer.renders == 1
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert isinstance(explorer.image, ipywidgets.Image) and explorer.image.format == "png"
    assert shown(explorer).shape[0] > 100
    assert explorer.op.value == widgets.PIPELINE and set(explorer.op.options) == set(widgets.OPS)


def test_controls_carry_stable_names_for_people_and_browsers(explorer):
    assert (explorer.op.description, explorer.seed.description, explorer.draws.description) == ("op", "seed", "draws")
    assert "augment-explorer" in explorer._dom_classes
    assert "explorer-image" in explorer.image._dom_classes
    assert "explorer-seed" in explorer.seed._dom_classes and "explorer-op" in explorer.op._dom_classes
    assert all(name == control.description for name, control in explorer.params.items())
    assert not explorer.seed.continuous_update  # a drag redraws once, on release
    assert repr(explorer) == f"AugmentationExplorer(op={widgets.PIPELINE!r}, seed=0, draws=4)"


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
    explorer.op.value = "brightness"
    assert list(explorer.params) == ["factor"]
    explorer.set(factor=0.0)  # no brightness change: every draw is the original
    original, *draws = panels(explorer.figure())
    assert all(np.array_equal(d, original) for d in draws)
    still = explorer.image.value
    explorer.set(factor=0.9)
    original, *draws = panels(explorer.figure())
    assert all(not np.array_equal(d, original) for d in draws)
    assert explorer.image.value != still


def test_switching_the_op_swaps_the_controls_and_the_picture(explorer):
    before, renders = explorer.image.value, explorer.renders
    explorer.op.value = "rotation"
    assert explorer.renders == renders + 1 and explorer.image.value != before
    assert list(explorer.params) == ["degrees", "fill_mode"]
    assert list(explorer._param_box.children) == list(explorer.params.values())
    assert explorer.params["fill_mode"].options == augment.FILL_MODES
    explorer.set(fill_mode="constant", degrees=90.0)
    assert explorer.values() == {"degrees": 90.0, "fill_mode": "constant"}


def test_hidden_controls_of_other_ops_do_not_redraw(explorer):
    renders = explorer.renders
    explorer._controls["hue"]["delta"].value = 0.3
    assert explorer.renders == renders


def test_every_op_renders_with_its_default_controls(explorer):
    for name in widgets.OPS:
        explorer.op.value = name
        assert explorer.status.value == "", f"{name}: {explorer.status.value}"
    assert explorer.renders == len(widgets.OPS)  # the pipeline is the start; each other op drew once


def test_the_crop_size_slider_never_exceeds_the_image(explorer):
    explorer.op.value = "random crop"
    assert explorer.params["size"].max == 60
    explorer.set(size=40)
    assert panels(explorer.figure())[1].shape[:2] == (40, 40)


def test_range_sliders_pass_pairs(explorer):
    explorer.set(area=(0.5, 0.6), ratio=(1.0, 1.0))
    values = explorer.values()
    assert values["area"] == pytest.approx((0.5, 0.6)) and values["ratio"] == (1.0, 1.0)


def test_an_invalid_combination_shows_its_message_and_keeps_the_picture():
    gray = widgets.augmentation_explorer(PHOTO[..., :1], op="flip left-right", draws=2)
    before = gray.image.value
    gray.op.value = widgets.PIPELINE  # saturation and hue need colour
    assert "grayscale" in gray.status.value and gray.image.value == before
    gray.op.value = "brightness"
    assert gray.status.value == "" and gray.image.value != before


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="one image"):
        widgets.augmentation_explorer(np.zeros((2, 8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="unknown op"):
        widgets.augmentation_explorer(PHOTO, op="sharpen")
    explorer = widgets.augmentation_explorer(PHOTO, op="hue", draws=1)
    with pytest.raises(ValueError, match="no parameter"):
        explorer.set(factor=0.2)
    with pytest.raises(ValueError, match="draws"):
        widgets.render_figure(PHOTO, "hue", draws=0)


def test_render_figure_is_the_static_copy_of_the_explorer(explorer):
    fig = widgets.render_figure(PHOTO, widgets.PIPELINE, seed=0, draws=4)
    assert [ax.get_title() for ax in fig.axes] == ["original"] + [f"seed 0 · draw {i}" for i in range(1, 5)]
    for static, live in zip(panels(fig), panels(explorer.figure()), strict=True):
        np.testing.assert_array_equal(static, live)
