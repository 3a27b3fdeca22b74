"""What every explorer shares: named controls, synchronous re-rendering, errors shown.

An explorer is an ``ipywidgets.VBox`` (so it displays itself) that owns its
controls in ``.controls`` and re-renders synchronously whenever one of them
changes. A callback error is caught and shown in the explorer's error area
(and kept in ``.last_error``) instead of vanishing into the browser console.
"""

from __future__ import annotations

import contextlib
import io
import traceback

import ipywidgets as widgets

from backpropnb.widgets import _static

# Text blocks set their own line height: ipywidgets 7 (Colab, classic Notebook) gives an HTML
# widget's content a 28 px line height, which double-spaces a <pre> that inherits it.
PRE_STYLE = "line-height:1.35; margin:0.25em 0"


class Explorer(widgets.VBox):
    """Base class: subclasses build their views, then call ``_wire(controls)``.

    Subclasses implement ``render()`` (recompute and update the views from the
    controls' values) and ``snapshot()`` (everything shown, as one string).
    """

    def _wire(self, controls):
        self.controls = dict(controls)
        self.last_error = None
        self.error_area = widgets.HTML(layout=widgets.Layout(display="none"))
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()

    def _on_change(self, change):
        if getattr(self, "_paused", 0):
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
        >>> e = Count(); e._wire({"a": ipywidgets.IntSlider(), "b": ipywidgets.IntSlider()})
        >>> with e.paused():
        ...     e.controls["a"].value, e.controls["b"].value = 3, 4
        >>> e.renders  # one when wired, one after the pause
        2
        """
        self._paused = getattr(self, "_paused", 0) + 1
        try:
            yield
        finally:
            self._paused -= 1
        if not self._paused:
            self.refresh()

    def refresh(self):
        """Re-render from the current control values, showing any error in the widget."""
        try:
            self.render()
        except Exception as error:  # shown to the learner, never swallowed
            self.last_error = error
            text = "".join(traceback.format_exception(error))
            self.error_area.value = f"<pre style='{PRE_STYLE}; color:#b00020'>{_escape(text)}</pre>"
            self.error_area.layout.display = None
        else:
            self.last_error = None
            self.error_area.value = ""
            self.error_area.layout.display = "none"

    def _repr_mimebundle_(self, **kwargs):
        """The live widget, plus a static picture of its state for viewers without widgets (see ``_static``)."""
        return _static.mimebundle(self, **kwargs)

    if _static.IPYWIDGETS_7:  # ipywidgets 7 displays a widget through _ipython_display_, which IPython prefers

        def _ipython_display_(self, **kwargs):
            _static.ipython_display(self, **kwargs)

    def render(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def snapshot(self):  # pragma: no cover - abstract
        raise NotImplementedError


def _escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def figure_png(figure):
    """PNG bytes of a matplotlib figure (for an ``ipywidgets.Image``); the figure is closed."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def fmt(value):
    """A number with 4 significant digits, as every explorer shows them."""
    return f"{float(value) + 0.0:.4g}"  # + 0.0 turns -0.0 into 0.0
