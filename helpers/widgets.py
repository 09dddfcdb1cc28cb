"""An interactive augmentation explorer (ipywidgets 8): pick an op, move its sliders, see the draws.

Notebook 01, section 10 builds it from the ops the notebook wrote in its earlier sections::

    >>> import tensorflow as tf
    >>> from helpers import data, widgets
    >>> ops = {"hue": lambda image, seed, max_delta=0.1: tf.image.stateless_random_hue(image, max_delta, seed)}
    >>> explorer = widgets.augmentation_explorer(data.load_photo("chelsea"), ops)   # doctest: +SKIP
    >>> explorer                                                                     # doctest: +SKIP

An op is any function ``op(image, seed, **params)``: ``image`` is the photo given to the explorer, ``seed`` a
shape-(2,) int32 tensor (``[seed slider, draw number]``), and it returns one image (uint8, or float in 0..1 or
0..255). Each keyword parameter with a default gets a control that starts at the default: a float a slider from 0
to ``max(1, 2 * default)``, an int a slider from 1 to the photo's shorter side, a pair of numbers a range slider
from 0 to ``max(1, 2 * high)``, a string or a bool stays fixed. ``limits={"name": (low, high)}`` overrides a
slider's range.

What it shows: the original photo and ``draws`` results of the chosen op, as one PNG in an ``ipywidgets.Image``
(an ``<img>`` in the page). It redraws whenever a control changes (sliders redraw when released). An op that
rejects its parameters (``ValueError`` or a TensorFlow ``InvalidArgumentError``) shows the message instead.

For code and tests, every control is an attribute, and the displayed PNG is ``explorer.image.value``:

- ``explorer.op``: ``Dropdown`` (description ``"op"``) with the names of the ops;
- ``explorer.seed``: ``IntSlider`` (description ``"seed"``), ``explorer.draws``: ``IntSlider`` (``"draws"``);
- ``explorer.params``: the parameter controls of the current op, by parameter name (their description);
- ``explorer.image``: the ``Image`` widget; ``explorer.status``: an ``HTML`` line (empty, or the error);
- ``explorer.renders``: how many times it has drawn; ``explorer.figure()``: the same picture as a
  matplotlib Figure, for a static copy in a notebook.

In the page, the explorer's root has the CSS class ``augment-explorer``, the picture ``explorer-image``,
the seed slider ``explorer-seed`` and the op menu ``explorer-op``.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from helpers import plotting

Op = Callable[..., object]


def _control(name: str, default, image_side: int, limits: dict):
    """The ipywidget for one keyword parameter, or None when it stays fixed (sliders redraw on release)."""
    common = {"description": name, "continuous_update": False, "style": {"description_width": "80px"}}
    if isinstance(default, bool) or isinstance(default, str):
        return None
    if isinstance(default, int):
        low, high = limits.get(name, (1, image_side))
        return w.IntSlider(value=min(max(default, int(low)), int(high)), min=int(low), max=int(high), **common)
    if isinstance(default, float):
        low, high = limits.get(name, (0.0, max(1.0, 2 * default)))
        return w.FloatSlider(value=default, min=low, max=high, step=0.01, **common)
    if isinstance(default, tuple) and len(default) == 2 and all(isinstance(v, (int, float)) for v in default):
        low, high = limits.get(name, (0.0, max(1.0, 2 * default[1])))
        return w.FloatRangeSlider(value=default, min=low, max=high, step=0.01, **common)
    return None


def _controls(op: Op, image_side: int, limits: dict) -> dict:
    """Controls for the keyword parameters of ``op`` after ``(image, seed)``, by name."""
    parameters = list(inspect.signature(op).parameters.values())
    if len(parameters) < 2:
        raise ValueError(f"an op takes (image, seed, **params); {getattr(op, '__name__', op)!r} takes "
                         f"{len(parameters)} argument(s)")
    found = {}
    for p in parameters[2:]:
        control = None if p.default is inspect.Parameter.empty else _control(p.name, p.default, image_side, limits)
        if control is not None:
            found[p.name] = control
    return found


def draw(image, op: Op, params: dict | None = None, seed: int = 0, draws: int = 8) -> list[np.ndarray]:
    """``draws`` results of ``op(image, [seed, i], **params)`` for i = 0, 1, ..., as NumPy arrays.

    Used by :func:`render_figure`, and so by the explorer of notebook 01, section 10.
    """
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    return [np.asarray(op(image, tf.constant([seed, i]), **(params or {}))) for i in range(draws)]


def render_figure(image, op: Op, params: dict | None = None, seed: int = 0, draws: int = 8, title: str = "",
                  ncols: int = 3, scale: float = 2.0) -> plt.Figure:
    """The explorer's picture: the original, then ``draws`` results of ``op`` with ``seed``.

    Used by :meth:`AugmentationExplorer.figure` (notebook 01, section 10).
    """
    results = draw(image, op, params, seed, draws)
    titles = ["original"] + [f"seed {seed} · draw {i + 1}" for i in range(draws)]
    return plotting.show_images([np.asarray(image), *results], titles=titles, ncols=ncols, scale=scale,
                                suptitle=title or None)


class AugmentationExplorer(w.VBox):
    """The explorer widget; build it with :func:`augmentation_explorer` (see the module docstring).

    Notebook 01, section 10 (Explore it yourself) shows one.
    """

    def __init__(self, image, ops: dict[str, Op], op: str | None = None, seed: int = 0, draws: int = 8,
                 limits: dict | None = None, dpi: int = 90):
        array = np.asarray(image)
        if array.ndim != 3 or array.shape[-1] not in (1, 3, 4):
            raise ValueError(f"the explorer needs one image (H, W, C) with 1, 3 or 4 channels, got {array.shape}")
        if not isinstance(ops, dict) or not ops or not all(callable(f) for f in ops.values()):
            raise ValueError("ops must be a non-empty dict {name: op(image, seed, **params)}")
        op = next(iter(ops)) if op is None else op
        if op not in ops:
            raise ValueError(f"unknown op {op!r}; choose one of {list(ops)}")
        self.source, self.ops, self.dpi, self.renders = array, dict(ops), dpi, 0
        self.op = w.Dropdown(options=list(ops), value=op, description="op", layout=w.Layout(width="420px"))
        self.seed = w.IntSlider(value=seed, min=0, max=99, description="seed", continuous_update=False)
        self.draws = w.IntSlider(value=draws, min=1, max=12, description="draws", continuous_update=False)
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.status = w.HTML("")
        self._controls = {name: _controls(f, min(array.shape[:2]), limits or {}) for name, f in ops.items()}
        self._param_box = w.VBox(list(self.params.values()))
        self.op.add_class("explorer-op")
        self.seed.add_class("explorer-seed")
        self.image.add_class("explorer-image")
        for control in [self.seed, self.draws, *(c for cs in self._controls.values() for c in cs.values())]:
            control.observe(self._changed, names="value")
        self.op.observe(self._op_changed, names="value")
        super().__init__([w.HBox([self.op, self.seed, self.draws]), self._param_box, self.status, self.image])
        self.add_class("augment-explorer")
        self.render()

    @property
    def params(self) -> dict:
        """The parameter controls of the current op, by parameter name."""
        return self._controls[self.op.value]

    def values(self) -> dict:
        """The current op's parameters as the op receives them."""
        return {name: (tuple(c.value) if isinstance(c.value, (list, tuple)) else c.value)
                for name, c in self.params.items()}

    def set(self, **values) -> None:
        """Set parameter controls of the current op by name (each change redraws)."""
        unknown = set(values) - set(self.params)
        if unknown:
            raise ValueError(f"{self.op.value!r} has no parameter {sorted(unknown)}; it has {sorted(self.params)}")
        for name, value in values.items():
            self.params[name].value = value

    def figure(self) -> plt.Figure:
        """The picture the explorer shows now, as a matplotlib Figure."""
        return render_figure(self.source, self.ops[self.op.value], self.values(), self.seed.value, self.draws.value,
                             title=self.op.value)

    def render(self) -> None:
        """Redraw the picture (called on every change); parameters the op rejects show its message instead."""
        try:
            fig = self.figure()
        except (ValueError, tf.errors.InvalidArgumentError) as error:
            message = getattr(error, "message", None) or str(error)
            self.status.value = f"<span style='color:#b00'>{message.splitlines()[0]}</span>"
            return
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=self.dpi)
        plt.close(fig)
        self.image.value = buffer.getvalue()
        self.status.value = ""
        self.renders += 1

    def _changed(self, change) -> None:
        if change["owner"] in (self.seed, self.draws) or change["owner"] in self.params.values():
            self.render()

    def _op_changed(self, change) -> None:
        self._param_box.children = list(self.params.values())
        self.render()

    def __repr__(self) -> str:  # a short, stable text (it is the widget's text/plain output in a notebook)
        return f"AugmentationExplorer(op={self.op.value!r}, seed={self.seed.value}, draws={self.draws.value})"


def augmentation_explorer(image, ops: dict[str, Op], op: str | None = None, seed: int = 0, draws: int = 8,
                          limits: dict | None = None) -> AugmentationExplorer:
    """Build the explorer for ``image`` (H, W, C) and ``ops``: show it by making it a cell's last expression.

    ``op``: the op shown first (default: the first of ``ops``).  Used in notebook 01, section 10 (Explore it
    yourself).
    """
    return AugmentationExplorer(image, ops, op=op, seed=seed, draws=draws, limits=limits)
