"""Figures: the right number of panels, titles, and clear errors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_show_images_draws_one_titled_panel_per_image():
    images = [np.zeros((10, 20, 3), np.uint8), np.ones((10, 20, 1), np.float32), np.full((10, 20), 200.0)]
    fig = plotting.show_images(images, titles=["a", "b", "c"], ncols=2)
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes] == ["a", "b", "c"]
    assert all(not ax.axison for ax in fig.axes)


def test_show_images_rescales_0_255_floats_and_keeps_uint8():
    fig = plotting.show_images([np.full((4, 4, 3), 255.0)])
    assert fig.axes[0].images[0].get_array().max() == pytest.approx(1.0)
    fig = plotting.show_images([np.full((4, 4, 3), 7, np.uint8)])
    assert fig.axes[0].images[0].get_array().max() == 7


@pytest.mark.parametrize("bad, message", [
    ([], "at least one image"), ([np.zeros((4, 4, 2))], "expected an image of shape"),
])
def test_show_images_rejects_bad_input(bad, message):
    with pytest.raises(ValueError, match=message):
        plotting.show_images(bad)
    with pytest.raises(ValueError, match="2 titles for 1 images"):
        plotting.show_images([np.zeros((4, 4))], titles=["x", "y"])


def test_plot_history_draws_train_and_validation_per_run():
    fig = plotting.plot_history({"a": {"accuracy": [0.1, 0.2], "val_accuracy": [0.1, 0.3]}, "b": {"accuracy": [0.5]}})
    assert len(fig.axes[0].lines) == 3
    with pytest.raises(ValueError, match="has no 'loss'"):
        plotting.plot_history({"a": {"accuracy": [1]}}, metric="loss")


def test_confusion_matrix_writes_every_count():
    fig = plotting.plot_confusion_matrix(np.array([[5, 1], [2, 7]]), ["hotdog", "not-hotdog"])
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["1", "2", "5", "7"]
    with pytest.raises(ValueError, match="does not fit"):
        plotting.plot_confusion_matrix(np.zeros((3, 3)), ["a", "b"])


def test_bar_chart_labels_each_bar_with_its_value():
    fig = plotting.bar_chart({"fast": 900.4, "slow": 120.0}, "images/s", "speed", highlight="fast")
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels == ["120", "900"]
    with pytest.raises(ValueError):
        plotting.bar_chart({}, "x", "t")
