"""An interactive augmentation explorer (ipywidgets 8): pick an op, move its sliders, see the draws.

One call builds it; it displays as a widget in JupyterLab::

    >>> from helpers import data, widgets
    >>> explorer = widgets.augmentation_explorer(data.load_photo("chelsea"))   # doctest: +SKIP
    >>> explorer                                                                # doctest: +SKIP

What it shows: the original photo and ``draws`` random results of the chosen op (or of the composed
pipeline), as one PNG in an ``ipywidgets.Image`` (an ``<img>`` in the page). It redraws whenever a
control changes (sliders redraw when released).

For code and tests, every control is an attribute, and the displayed PNG is ``explorer.image.value``:

- ``explorer.op``: ``Dropdown`` (description ``"op"``) with the names of :data:`OPS`;
- ``explorer.seed``: ``IntSlider`` (description ``"seed"``), ``explorer.draws``: ``IntSlider`` (``"draws"``);
- ``explorer.params``: the parameter controls of the current op, by parameter name (their description);
- ``explorer.image``: the ``Image`` widget; ``explorer.status``: an ``HTML`` line (empty, or the error);
- ``explorer.renders``: how many times it has drawn; ``explorer.figure()``: the same picture as a
  matplotlib Figure, for a static copy in a notebook.

In the page, the explorer's root has the CSS class ``augment-explorer``, the picture ``explorer-image``,
the seed slider ``explorer-seed`` and the op menu ``explorer-op``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np

from helpers import augment, plotting


@dataclass(frozen=True)
class Param:
    """One parameter control: ``kind`` is "float", "int", "range" (a (min, max) pair) or "choice"."""

    name: str
    kind: str
    default: object
    low: float = 0.0
    high: float = 1.0
    step: float = 0.01
    options: tuple = ()


@dataclass(frozen=True)
class OpSpec:
    """An op of :mod:`helpers.augment` and the parameters the explorer offers for it."""

    function: Callable
    params: tuple[Param, ...] = field(default_factory=tuple)


FILL = Param("fill_mode", "choice", "reflect", options=augment.FILL_MODES)
PIPELINE = "pipeline: flip → resized crop → colour jitter"
OPS: dict[str, OpSpec] = {
    PIPELINE: OpSpec(augment.pipeline, (
        Param("area", "range", (0.1, 1.0), 0.01, 1.0), Param("ratio", "range", (0.5, 2.0), 0.25, 4.0, 0.05),
        Param("brightness", "float", 0.5), Param("contrast", "float", 0.5), Param("saturation", "float", 0.5),
        Param("hue", "float", 0.1, 0.0, 0.5))),
    "flip left-right": OpSpec(augment.random_flip_left_right, (Param("p", "float", 0.5),)),
    "flip up-down": OpSpec(augment.random_flip_up_down, (Param("p", "float", 0.5),)),
    "random crop": OpSpec(augment.random_crop, (Param("size", "int", 200, 16, 512, 1),)),
    "random resized crop": OpSpec(augment.random_resized_crop, (
        Param("area", "range", (0.1, 1.0), 0.01, 1.0), Param("ratio", "range", (0.5, 2.0), 0.25, 4.0, 0.05))),
    "brightness": OpSpec(augment.random_brightness, (Param("factor", "float", 0.5),)),
    "contrast": OpSpec(augment.random_contrast, (Param("factor", "float", 0.5),)),
    "saturation": OpSpec(augment.random_saturation, (Param("factor", "float", 0.5),)),
    "hue": OpSpec(augment.random_hue, (Param("delta", "float", 0.1, 0.0, 0.5),)),
    "colour jitter": OpSpec(augment.color_jitter, (
        Param("brightness", "float", 0.5), Param("contrast", "float", 0.5), Param("saturation", "float", 0.5),
        Param("hue", "float", 0.1, 0.0, 0.5))),
    "gaussian noise": OpSpec(augment.gaussian_noise, (Param("stddev", "float", 0.05, 0.0, 0.3),)),
    "blur": OpSpec(augment.random_blur, (Param("sigma", "range", (0.1, 2.0), 0.1, 5.0, 0.1),)),
    "random erasing": OpSpec(augment.random_erasing, (
        Param("p", "float", 1.0), Param("area", "range", (0.02, 0.33), 0.01, 1.0),
        Param("value", "choice", 0.0, options=(0.0, 0.5, 1.0, "noise")))),
    "rotation": OpSpec(augment.random_rotation, (Param("degrees", "float", 30.0, 0.0, 180.0, 1.0), FILL)),
    "translation": OpSpec(augment.random_translation, (Param("fraction", "float", 0.2, 0.0, 0.5), FILL)),
}


def _control(param: Param, image_size: int):
    """The ipywidget for one parameter (sliders redraw on release, not on every pixel of a drag)."""
    common = {"description": param.name, "continuous_update": False, "style": {"description_width": "80px"}}
    if param.kind == "float":
        return w.FloatSlider(value=param.default, min=param.low, max=param.high, step=param.step, **common)
    if param.kind == "int":  # a crop size: never larger than the image
        high = int(min(param.high, image_size))
        return w.IntSlider(value=min(int(param.default), high), min=int(param.low), max=high,
                           step=int(param.step), **common)
    if param.kind == "range":
        return w.FloatRangeSlider(value=param.default, min=param.low, max=param.high, step=param.step, **common)
    if param.kind == "choice":
        return w.Dropdown(options=list(param.options), value=param.default, description=param.name,
                          style=common["style"])
    raise ValueError(f"unknown parameter kind {param.kind!r}")


def render_figure(image, op_name: str, params: dict | None = None, seed: int = 0, draws: int = 8,
                  ncols: int = 3, scale: float = 2.0) -> plt.Figure:
    """The explorer's picture: the original, then ``draws`` results of ``OPS[op_name]`` with ``seed``."""
    if op_name not in OPS:
        raise ValueError(f"unknown op {op_name!r}; choose one of {list(OPS)}")
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    spec = OPS[op_name]
    params = {p.name: p.default for p in spec.params} | dict(params or {})
    array = np.asarray(image)
    batch = np.repeat(array[None], draws, axis=0)
    results = spec.function(batch, seed, **params).numpy()
    titles = ["original"] + [f"seed {seed} · draw {i + 1}" for i in range(draws)]
    return plotting.show_images([array, *results], titles=titles, ncols=ncols, scale=scale,
                                suptitle=op_name)


class AugmentationExplorer(w.VBox):
    """The explorer widget; build it with :func:`augmentation_explorer` (see the module docstring)."""

    def __init__(self, image, op: str = PIPELINE, seed: int = 0, draws: int = 8, dpi: int = 90):
        array = np.asarray(image)
        if array.ndim != 3 or array.shape[-1] not in (1, 3, 4):
            raise ValueError(f"the explorer needs one image (H, W, C) with 1, 3 or 4 channels, got {array.shape}")
        if op not in OPS:
            raise ValueError(f"unknown op {op!r}; choose one of {list(OPS)}")
        self.source, self.dpi, self.renders = array, dpi, 0
        self.op = w.Dropdown(options=list(OPS), value=op, description="op",
                             layout=w.Layout(width="420px"))
        self.seed = w.IntSlider(value=seed, min=0, max=99, description="seed", continuous_update=False)
        self.draws = w.IntSlider(value=draws, min=1, max=12, description="draws", continuous_update=False)
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.status = w.HTML("")
        self._controls = {name: {p.name: _control(p, min(array.shape[:2])) for p in spec.params}
                          for name, spec in OPS.items()}
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
        return render_figure(self.source, self.op.value, self.values(), self.seed.value, self.draws.value)

    def render(self) -> None:
        """Redraw the picture (called on every change); an invalid combination shows its message instead."""
        try:
            fig = self.figure()
        except ValueError as error:
            self.status.value = f"<span style='color:#b00'>{error}</span>"
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


def augmentation_explorer(image, op: str = PIPELINE, seed: int = 0, draws: int = 8) -> AugmentationExplorer:
    """Build the explorer for ``image`` (H, W, C): show it by making it a cell's last expression."""
    return AugmentationExplorer(image, op=op, seed=seed, draws=draws)
