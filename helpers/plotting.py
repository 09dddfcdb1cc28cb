"""Figures shared by every notebook, so they all look alike.

Notebooks 00 to 04 draw their images with :func:`show_images` (and so does
:mod:`helpers.widgets`); each other function names the sections that use it.

Images: titles on every panel, axes off.  Each function returns the
matplotlib ``Figure`` (call ``plt.show()`` or let Jupyter display it).

Example::

    >>> import numpy as np
    >>> from helpers import plotting
    >>> fig = plotting.show_images([np.zeros((8, 8, 3))] * 4, titles=list("abcd"), ncols=2)
    >>> len(fig.axes)
    4
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np


def _as_displayable(image) -> tuple[np.ndarray, str | None]:
    """Array in a form imshow draws faithfully, and the colour map it needs."""
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise ValueError(f"expected an image of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {array.shape}")
    if array.dtype != np.uint8:
        array = array.astype(np.float32)
        # Floats are shown as [0, 1] images; values in 0..255 are treated as pixel values.
        if array.max(initial=0) > 1.0 + 1e-6:
            array = array / 255.0
        array = np.clip(array, 0.0, 1.0)
    return array, ("gray" if array.ndim == 2 else None)


def show_images(images: Sequence, titles: Sequence[str] | None = None, ncols: int = 4,
                scale: float = 2.0, suptitle: str | None = None) -> plt.Figure:
    """Draw ``images`` on a grid with ``ncols`` columns.

    Accepts uint8 images (0..255) and float images (0..1, or 0..255 which are
    rescaled), in RGB, RGBA or grayscale ((H, W) or (H, W, 1)); a batch array
    of shape (N, H, W, C) works as a sequence.  Used in every notebook (00 to 04)
    and by :mod:`helpers.widgets`.
    """
    images = list(images)
    if not images:
        raise ValueError("show_images needs at least one image")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(titles)} titles for {len(images)} images")
    if ncols < 1:
        raise ValueError(f"ncols must be at least 1, got {ncols}")
    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)
    first = np.asarray(images[0])
    aspect = first.shape[0] / first.shape[1]
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * scale, nrows * scale * aspect + (0.4 if suptitle else 0)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            array, cmap = _as_displayable(images[i])
            ax.imshow(array, cmap=cmap, vmin=0 if cmap else None, vmax=1 if cmap and array.dtype != np.uint8 else None)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=9)
    for ax in axes.flat[len(images):]:
        fig.delaxes(ax)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_history(histories: dict, metric: str = "accuracy", title: str | None = None) -> plt.Figure:
    """Training and validation curves of one or more ``History`` objects.

    ``histories`` maps a run name to a ``keras.callbacks.History`` (or to its
    ``.history`` dict).  Solid lines: training; dashed: validation.  Used in
    notebook 02, sections 5 and 6, and notebook 03, section 8 (Fine-tuning the top of the base).
    """
    if not histories:
        raise ValueError("plot_history needs at least one history")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for i, (name, history) in enumerate(histories.items()):
        record = getattr(history, "history", history)
        if metric not in record:
            raise ValueError(f"run {name!r} has no {metric!r}; it has {sorted(record)}")
        colour = f"C{i}"
        epochs = np.arange(1, len(record[metric]) + 1)
        ax.plot(epochs, record[metric], color=colour, label=f"{name} (train)")
        if f"val_{metric}" in record:
            ax.plot(epochs, record[f"val_{metric}"], color=colour, linestyle="--", label=f"{name} (validation)")
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.set_title(title or metric)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(matrix, class_names: Sequence[str], title: str = "confusion matrix") -> plt.Figure:
    """A labelled confusion matrix: rows are true classes, columns predictions.

    Used in notebook 03, section 10 (Evaluation on the test photos).
    """
    matrix = np.asarray(matrix)
    if matrix.shape != (len(class_names), len(class_names)):
        raise ValueError(f"matrix of shape {matrix.shape} does not fit {len(class_names)} class names")
    fig, ax = plt.subplots(figsize=(1.2 * len(class_names) + 2, 1.2 * len(class_names) + 1.5))
    ax.imshow(matrix, cmap="Blues")
    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks, class_names)
    ax.set_yticks(ticks, class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = matrix.max() / 2 if matrix.size else 0
    for (row, col), value in np.ndenumerate(matrix):
        ax.text(col, row, str(value), ha="center", va="center",
                color="white" if value > threshold else "black")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def bar_chart(values: dict[str, float], xlabel: str, title: str, highlight: str | None = None) -> plt.Figure:
    """Horizontal bars, one per entry, each labelled with its value (rounded); ``highlight`` is drawn in orange.

    Used in notebook 04, sections 3 (The measured comparison) and 4 (A live run on your machine).
    """
    if not values:
        raise ValueError("bar_chart needs at least one value")
    names = list(values)[::-1]  # the first entry on top
    fig, ax = plt.subplots(figsize=(7, 0.55 * len(names) + 1.0))
    colours = ["C1" if name == highlight else "C0" for name in names]
    bars = ax.barh(names, [values[n] for n in names], color=colours)
    ax.bar_label(bars, labels=[f"{values[n]:,.0f}" for n in names], padding=3, fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.margins(x=0.15)
    fig.tight_layout()
    return fig
