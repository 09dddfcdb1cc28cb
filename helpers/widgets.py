"""An interactive augmentation explorer (ipywidgets 8); notebook 01, section 10 builds one from its own ops::

    >>> ops = {"hue": lambda image, seed, max_delta=0.1: tf.image.stateless_random_hue(image, max_delta, seed)}
    >>> widgets.augmentation_explorer(data.load_photo("chelsea"), ops)   # doctest: +SKIP

An op is ``op(image, seed, **params)`` returning one image (uint8, or float in 0..1 or 0..255), ``seed`` the int32
pair [seed slider, draw number]. Each keyword parameter whose default is a number or a pair of numbers gets a slider
starting there (``limits={"name": (low, high)}`` sets its range). The original and ``draws`` results, one PNG, redraw
when a control changes (a slider on release); an op that rejects its parameters shows the message instead.

For code and tests: ``explorer.op`` (Dropdown "op"), ``.seed`` and ``.draws`` (IntSliders "seed", "draws"),
``.params`` (the current op's sliders by parameter name, also their description), ``.image`` (PNG in
``.image.value``), ``.status`` (HTML: "" or the error), ``.renders`` (count), ``.figure()`` (a matplotlib copy).
CSS classes: ``augment-explorer`` (root), ``explorer-image``, ``explorer-seed``, ``explorer-op``.
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


def _controls(op: Op, image_side: int, limits: dict) -> dict:
    """A slider for each number-valued keyword parameter of ``op`` after ``(image, seed)``, by name."""
    parameters = list(inspect.signature(op).parameters.values())
    if len(parameters) < 2:
        raise ValueError(f"an op takes (image, seed, **params); {getattr(op, '__name__', op)!r} takes "
                         f"{len(parameters)} argument(s)")
    found = {}
    for name, default in ((p.name, p.default) for p in parameters[2:]):
        common = {"description": name, "continuous_update": False, "style": {"description_width": "80px"}}
        if isinstance(default, int) and not isinstance(default, bool):  # a bool stays fixed
            low, high = (int(v) for v in limits.get(name, (1, image_side)))
            found[name] = w.IntSlider(value=min(max(default, low), high), min=low, max=high, **common)
        elif isinstance(default, float):
            low, high = limits.get(name, (0.0, max(1.0, 2 * default)))
            found[name] = w.FloatSlider(value=default, min=low, max=high, step=0.01, **common)
        elif isinstance(default, tuple) and len(default) == 2 and all(isinstance(v, (int, float)) for v in default):
            low, high = limits.get(name, (0.0, max(1.0, 2 * default[1])))
            found[name] = w.FloatRangeSlider(value=default, min=low, max=high, step=0.01, **common)
    return found


def render_figure(image, op: Op, params: dict | None = None, seed: int = 0, draws: int = 8,
                  title: str = "") -> plt.Figure:
    """The explorer's picture as a Figure: the original, then ``op(image, [seed, i], **params)`` for i < ``draws``."""
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    results = [np.asarray(op(image, tf.constant([seed, i]), **(params or {}))) for i in range(draws)]
    titles = ["original"] + [f"seed {seed} · draw {i + 1}" for i in range(draws)]
    return plotting.show_images([np.asarray(image), *results], titles=titles, ncols=3, suptitle=title or None)


class AugmentationExplorer(w.VBox):
    """The explorer widget; build it with :func:`augmentation_explorer` (see the module docstring)."""

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
        self.op = w.Dropdown(options=list(ops), value=op, description="op",
                             layout=w.Layout(width="420px")).add_class("explorer-op")
        self.seed = w.IntSlider(value=seed, min=0, max=99, description="seed",
                                continuous_update=False).add_class("explorer-seed")
        self.draws = w.IntSlider(value=draws, min=1, max=12, description="draws", continuous_update=False)
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%")).add_class("explorer-image")
        self.status = w.HTML("")
        self._controls = {name: _controls(f, min(array.shape[:2]), limits or {}) for name, f in ops.items()}
        self._param_box = w.VBox()  # render() fills it with the current op's controls
        for control in [self.op, self.seed, self.draws, *(c for cs in self._controls.values() for c in cs.values())]:
            control.observe(self._changed, names="value")
        super().__init__([w.HBox([self.op, self.seed, self.draws]), self._param_box, self.status, self.image])
        self.add_class("augment-explorer")
        self.render()

    @property
    def params(self) -> dict:
        """The parameter controls of the current op, by parameter name."""
        return self._controls[self.op.value]

    def values(self) -> dict:
        """The current op's parameters as the op receives them (a range slider's value is a tuple)."""
        return {name: control.value for name, control in self.params.items()}

    def set(self, **values) -> None:
        """Set parameter controls of the current op by name (each change redraws)."""
        if unknown := set(values) - set(self.params):
            raise ValueError(f"{self.op.value!r} has no parameter {sorted(unknown)}; it has {sorted(self.params)}")
        for name, value in values.items():
            self.params[name].value = value

    def figure(self) -> plt.Figure:
        """The picture the explorer shows now, as a matplotlib Figure."""
        return render_figure(self.source, self.ops[self.op.value], self.values(), self.seed.value, self.draws.value,
                             title=self.op.value)

    def render(self) -> None:
        """Show the current op's controls and redraw (on every change); an op's error shows as its message."""
        self._param_box.children = list(self.params.values())
        try:
            fig = self.figure()
        except (ValueError, tf.errors.InvalidArgumentError) as error:
            message = getattr(error, "message", None) or str(error)
            self.status.value = f"<span style='color:#b00'>{message.splitlines()[0]}</span>"
            return
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=self.dpi)
        plt.close(fig)
        self.image.value, self.status.value = buffer.getvalue(), ""
        self.renders += 1

    def _changed(self, change) -> None:
        if change["owner"] in (self.op, self.seed, self.draws, *self.params.values()):  # not another op's hidden one
            self.render()

    def __repr__(self) -> str:  # short and stable: it is the widget's text/plain output in a notebook
        return f"AugmentationExplorer(op={self.op.value!r}, seed={self.seed.value}, draws={self.draws.value})"


def augmentation_explorer(image, ops: dict[str, Op], op: str | None = None, seed: int = 0, draws: int = 8,
                          limits: dict | None = None) -> AugmentationExplorer:
    """The explorer for ``image`` (H, W, C) and ``ops``, showing ``op`` first (default: the first); display it."""
    return AugmentationExplorer(image, ops, op=op, seed=seed, draws=draws, limits=limits)
