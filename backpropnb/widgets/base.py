"""The frame every explorer shares: controls, views, text lines, error area; synchronous re-rendering.

An explorer is an ``ipywidgets.VBox`` (so it displays itself) laid out the same
way every time: its controls on top, then its views (a graph, a plot), then its
explanation lines in one ``<pre>`` (``.text``, the lines kept in ``.lines``),
then its error area. Whenever a control changes it re-renders synchronously; a
callback error is caught and shown in the error area (and kept in
``.last_error``) instead of vanishing into the browser console.

A new explorer is a short subclass: build the controls and views, hand them to
``Explorer.__init__``, and write ``render()``, which updates the views from the
controls' values and returns the text lines. ``snapshot()`` (everything shown,
as one string) defaults to those lines.

>>> import ipywidgets
>>> class Double(Explorer):
...     def __init__(self):
...         super().__init__({"x": ipywidgets.IntSlider(value=2)})
...     def render(self):
...         return [f"2 × {self.controls['x'].value} = {2 * self.controls['x'].value}"]
>>> explorer = Double(); explorer.controls["x"].value = 21
>>> explorer.snapshot(), explorer.text.value == pre_html(["2 × 21 = 42"])
('2 × 21 = 42', True)
"""

from __future__ import annotations

import contextlib
import html
import io
import numbers
import traceback

import ipywidgets as widgets

from backpropnb.formatting import format_number as fmt  # noqa: F401 - an older name; new code writes format_number
from backpropnb.widgets import _static

# One style for every text block. It sets its own line height: ipywidgets 7 (Colab, classic
# Notebook) gives an HTML widget's content a 28 px line height, which double-spaces a <pre>.
TEXT_STYLE = "font-size:12px; line-height:1.35; margin:0.25em 0"
ERROR_STYLE = f"{TEXT_STYLE}; color:#b00020"


def pre_html(lines, style=TEXT_STYLE):
    """Text lines as one escaped ``<pre>`` block, the way every explorer shows its text.

    >>> pre_html(["a < b", "ok"], style="color:red")
    "<pre style='color:red'>a &lt; b\\nok</pre>"
    """
    return f"<pre style='{style}'>{html.escape(chr(10).join(lines))}</pre>"


class Explorer(widgets.VBox):
    """Base class of the explorers: owns the layout, the re-rendering and the error area.

    ``controls`` maps each control's name to its widget (kept in ``.controls``);
    ``views`` are the widgets shown between the controls and the text; ``header``
    replaces the default top row (every control in one ``HBox``) when an
    explorer arranges its controls differently. Subclasses set up what
    ``render()`` needs *before* calling ``super().__init__``, which renders once.
    """

    def __init__(self, controls, *, views=(), header=None):
        self.controls = dict(controls)
        self.lines = []
        self.last_error = None
        self._paused = 0
        self.text = widgets.HTML()
        self.error_area = widgets.HTML(layout=widgets.Layout(display="none"))
        header = widgets.HBox(list(self.controls.values())) if header is None else header
        super().__init__(children=[header, *views, self.text, self.error_area])
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()

    def _on_change(self, change):
        if self._paused:
            return  # inside paused(): one refresh at the end instead of one per control
        self.refresh()

    @contextlib.contextmanager
    def paused(self):
        """Change several controls at once, then re-render once (not once per control).

        >>> import ipywidgets
        >>> class Count(Explorer):
        ...     renders = 0
        ...     def render(self):
        ...         self.renders += 1
        ...         return []
        >>> e = Count({"a": ipywidgets.IntSlider(), "b": ipywidgets.IntSlider()})
        >>> with e.paused():
        ...     e.controls["a"].value, e.controls["b"].value = 3, 4
        >>> e.renders  # one when built, one after the pause
        2
        """
        self._paused += 1
        try:
            yield
        finally:
            self._paused -= 1
        if not self._paused:
            self.refresh()

    def refresh(self):
        """Re-render from the current control values, showing any error in the widget."""
        try:
            lines = list(self.render())
        except Exception as error:  # shown to the learner, never swallowed
            self.last_error = error
            self.error_area.value = pre_html(traceback.format_exception(error), ERROR_STYLE)
            self.error_area.layout.display = None
        else:
            self.last_error = None
            self.lines = lines
            self.text.value = pre_html(lines)
            self.error_area.value = ""
            self.error_area.layout.display = "none"

    def _repr_mimebundle_(self, **kwargs):
        """The live widget, plus a static picture of its state for viewers without widgets (see ``_static``)."""
        return _static.mimebundle(self, **kwargs)

    if _static.IPYWIDGETS_7:  # ipywidgets 7 displays a widget through _ipython_display_, which IPython prefers

        def _ipython_display_(self, **kwargs):
            _static.ipython_display(self, **kwargs)

    def render(self):  # pragma: no cover - abstract
        """Update the views from the controls' values and return the text lines."""
        raise NotImplementedError

    def snapshot(self):
        """Everything the explorer shows, as text: by default its text lines."""
        return "\n".join(self.lines)


def check_choice(explorer, name, value, choices):
    """Refuse a value that is not one of ``choices``, naming them (before a control would clamp or fail).

    >>> check_choice("GateExplorer", "gate", "div", ("add", "mul"))
    Traceback (most recent call last):
    ...
    ValueError: GateExplorer: gate='div' is not one of the choices; pick one of ['add', 'mul']
    """
    if value not in choices:
        raise ValueError(f"{explorer}: {name}={value!r} is not one of the choices; pick one of {list(choices)}")


def check_range(explorer, name, value, low, high):
    """Refuse a number outside the slider's range [low, high] (a slider would silently clamp it).

    >>> check_range("JacobianExplorer", "n", 100, 2, 64)
    Traceback (most recent call last):
    ...
    ValueError: JacobianExplorer: n=100 is outside the range of its slider; pick a number from 2 to 64
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not low <= value <= high:
        raise ValueError(
            f"{explorer}: {name}={value!r} is outside the range of its slider; pick a number from {low} to {high}"
        )


def figure_png(figure):
    """PNG bytes of a matplotlib figure (for an ``ipywidgets.Image``); the figure is closed."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()
