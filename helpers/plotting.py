"""Figures shared by notebooks 00 to 04 and :mod:`helpers.widgets`, so they all look alike: titles on every panel,
axes off for images. Each function returns the matplotlib ``Figure`` (Jupyter displays it)::

    >>> import numpy as np
    >>> from helpers import plotting
    >>> fig = plotting.show_images([np.zeros((8, 8, 3))] * 4, titles=list("abcd"), ncols=2)
    >>> len(fig.axes)
    4

Importing this module also lets every figure draw Chinese text (the Chinese edition's titles and labels) without
empty boxes. ``font.family`` becomes a list of families, and matplotlib takes each glyph from the first that has
it (the alias "sans-serif" would stand for one font only). DejaVu Sans comes first, so Latin text is drawn as
before. Then a subset of Noto Sans CJK SC shipped in ``helpers/fonts`` (OFL; tools/cjk_font.py builds it from the
characters of the Chinese edition's code cells): the stored figures come out the same whatever fonts the machine
that regenerates them has, and Colab, conda or a bare Linux draw them too. Last, the first installed system CJK
font of SYSTEM_CJK_FAMILIES, for a learner's own labels with characters the subset lacks. Only installed families
are listed, so matplotlib logs no "font family not found".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager

BUNDLED_CJK_FONT = Path(__file__).with_name("fonts") / "NotoSansCJKsc-Subset.ttf"
SYSTEM_CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Micro Hei",
                       "WenQuanYi Zen Hei",  # Linux
                       "Microsoft YaHei", "SimHei",  # Windows
                       "PingFang SC", "Hiragino Sans GB", "Heiti SC", "STHeiti", "Arial Unicode MS")  # macOS


def font_families(candidates: Sequence[str] = SYSTEM_CJK_FAMILIES) -> list[str]:
    """DejaVu Sans, the bundled CJK subset, then the first of ``candidates`` that is installed."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    system = [family for family in candidates if family in installed][:1]
    return ["DejaVu Sans", font_manager.get_font(BUNDLED_CJK_FONT).family_name, *system]


font_manager.fontManager.addfont(BUNDLED_CJK_FONT)
matplotlib.rcParams["font.family"] = font_families()


def _as_displayable(image) -> tuple[np.ndarray, str | None]:
    """The image as imshow draws it faithfully, and the colour map it needs."""
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise ValueError(f"expected an image of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {array.shape}")
    if array.dtype != np.uint8:  # floats are shown as 0..1; above 1 they are pixel values 0..255
        array = array.astype(np.float32)
        array = np.clip(array / 255.0 if array.max(initial=0) > 1.0 + 1e-6 else array, 0.0, 1.0)
    return array, ("gray" if array.ndim == 2 else None)


def show_images(images: Sequence, titles: Sequence[str] | None = None, ncols: int = 4,
                scale: float = 2.0, suptitle: str | None = None) -> plt.Figure:
    """Draw ``images`` on a grid with ``ncols`` columns: uint8 (0..255) or float (0..1, or 0..255 rescaled), RGB, RGBA
    or grayscale ((H, W) or (H, W, 1)); a batch array (N, H, W, C) works as a sequence. Every notebook uses it."""
    images = list(images)
    if not images:
        raise ValueError("show_images needs at least one image")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(titles)} titles for {len(images)} images")
    if ncols < 1:
        raise ValueError(f"ncols must be at least 1, got {ncols}")
    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)
    height, width = np.asarray(images[0]).shape[:2]
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(ncols * scale, nrows * scale * (height / width) + (0.4 if suptitle else 0)))
    for ax in axes.flat[len(images):]:
        fig.delaxes(ax)
    for i, (ax, image) in enumerate(zip(axes.flat, images, strict=False)):  # the spare axes were deleted above
        array, cmap = _as_displayable(image)
        ax.imshow(array, cmap=cmap, vmin=0 if cmap else None, vmax=1 if cmap and array.dtype != np.uint8 else None)
        ax.axis("off")
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_history(histories: dict, metric: str = "accuracy", title: str | None = None) -> plt.Figure:
    """Training (solid) and validation (dashed) curves of ``{run name: keras History or its .history dict}``;
    notebook 02, sections 5 and 6, and notebook 03, section 8 (Fine-tuning the top of the base)."""
    if not histories:
        raise ValueError("plot_history needs at least one history")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for i, (name, history) in enumerate(histories.items()):
        record = getattr(history, "history", history)
        if metric not in record:
            raise ValueError(f"run {name!r} has no {metric!r}; it has {sorted(record)}")
        epochs = np.arange(1, len(record[metric]) + 1)
        ax.plot(epochs, record[metric], color=f"C{i}", label=f"{name} (train)")
        if f"val_{metric}" in record:
            ax.plot(epochs, record[f"val_{metric}"], color=f"C{i}", linestyle="--", label=f"{name} (validation)")
    ax.set(xlabel="epoch", ylabel=metric, title=title or metric)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(matrix, class_names: Sequence[str], title: str = "confusion matrix") -> plt.Figure:
    """A labelled confusion matrix, rows true classes, columns predictions (notebook 03, section 10)."""
    matrix, n = np.asarray(matrix), len(class_names)
    if matrix.shape != (n, n):
        raise ValueError(f"matrix of shape {matrix.shape} does not fit {n} class names")
    fig, ax = plt.subplots(figsize=(1.2 * n + 2, 1.2 * n + 1.5))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(np.arange(n), class_names)
    ax.set_yticks(np.arange(n), class_names)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    threshold = matrix.max() / 2 if matrix.size else 0
    for (row, col), value in np.ndenumerate(matrix):
        ax.text(col, row, str(value), ha="center", va="center", color="white" if value > threshold else "black")
    fig.tight_layout()
    return fig


def bar_chart(values: dict[str, float], xlabel: str, title: str, highlight: str | None = None) -> plt.Figure:
    """Horizontal bars labelled with their rounded values, ``highlight`` in orange (notebook 04, sections 3, 4)."""
    if not values:
        raise ValueError("bar_chart needs at least one value")
    names = list(values)[::-1]  # the first entry on top
    fig, ax = plt.subplots(figsize=(7, 0.55 * len(names) + 1.0))
    bars = ax.barh(names, [values[n] for n in names], color=["C1" if n == highlight else "C0" for n in names])
    ax.bar_label(bars, labels=[f"{values[n]:,.0f}" for n in names], padding=3, fontsize=9)
    ax.set(xlabel=xlabel, title=title)
    ax.margins(x=0.15)
    fig.tight_layout()
    return fig
