"""A static picture of an explorer, shown where widgets cannot run.

An explorer's display data holds the live widget (the widget-view MIME type,
which JupyterLab, Notebook 7, classic Notebook, VS Code and Colab render) and,
next to it, ``text/html``: the explorer's current state as plain HTML, that
is its graph (an SVG image), its plots (PNG images), its text and the values of
its controls. Pictures are ``<img>`` elements with data URIs, since HTML
sanitizers drop inline ``<svg>``. Viewers that cannot run widgets (GitHub, nbviewer, ``jupyter
nbconvert --to html``, a preview without a kernel) pick that picture instead
of a one-line ``VBox(...)`` repr; so do JupyterLab, Notebook 7 and classic
Notebook for a saved notebook that is not trusted yet, until it is run.
Nothing here changes the explorer.
"""

from __future__ import annotations

import base64
import html
import re

import ipywidgets as widgets

from backpropnb.i18n import text

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
IPYWIDGETS_7 = int(widgets.__version__.split(".")[0]) < 8
NOTE = "A picture of this explorer as it was saved. Run the notebook to move its controls."  # static.note in en.py


def mimebundle(explorer, **kwargs):
    """The explorer's display data: the live widget view, its short repr, and the static picture.

    >>> from backpropnb.widgets import GateExplorer
    >>> data = mimebundle(GateExplorer())
    >>> sorted(data), "data:image/svg+xml;base64," in data["text/html"]
    (['application/vnd.jupyter.widget-view+json', 'text/html', 'text/plain'], True)
    """
    if IPYWIDGETS_7:
        data = {"text/plain": _short(repr(explorer))}
        if explorer._view_name is not None:
            data[WIDGET_VIEW] = {"version_major": 2, "version_minor": 0, "model_id": explorer._model_id}
    else:
        data = widgets.DOMWidget._repr_mimebundle_(explorer, **kwargs)
    if data is not None and WIDGET_VIEW in data:
        data["text/html"] = static_html(explorer)
    return data


def ipython_display(explorer, **kwargs):
    """What ipywidgets 7 does on display (it uses ``_ipython_display_``), with the static picture added."""
    from IPython.display import display

    display(mimebundle(explorer), raw=True)
    if explorer._view_name is not None:
        explorer._handle_displayed(**kwargs)


class Shown:
    """A widget on display with its static picture; ``update()`` takes the picture again (see ``show``)."""

    def __init__(self, widget, handle):
        self.widget, self.handle = widget, handle

    def update(self):
        """Replace the stored picture with one of the widget's state now (the live view stays as it is)."""
        if self.handle is not None:  # None outside Jupyter, where nothing is on display
            self.handle.update(mimebundle(self.widget), raw=True)


def show(widget):
    """Display any widget with a static picture of its state, for viewers without widgets (GitHub, nbviewer).

    A plain ``display(VBox(...))`` leaves only a one-line repr in a saved
    notebook. ``show`` adds the picture; call ``.update()`` on what it returns
    once the widget has its final state (a training curve at the end of the
    loop), so the saved notebook shows that state.

    >>> shown = show(widgets.HTML("<b>loss 0.1</b>"))  # outside Jupyter, display prints the data  # doctest: +ELLIPSIS
    {'text/plain': "HTML(value='<b>loss 0.1</b>')", ...}
    >>> "<b>loss 0.1</b>" in mimebundle(shown.widget)["text/html"]
    True
    """
    from IPython.display import display

    handle = display(mimebundle(widget), raw=True, display_id=True)
    if IPYWIDGETS_7 and widget._view_name is not None:
        widget._handle_displayed()
    return Shown(widget, handle)


def _short(text, limit=110):
    return text if len(text) <= limit else text[:limit] + "…"


def static_html(explorer):
    """The explorer's current state as HTML: controls as text, then its views (graph, plots, text).

    >>> box = widgets.VBox([widgets.FloatSlider(value=2.5, description="x"), widgets.HTML("<b>hi</b>")])
    >>> page = static_html(box)
    >>> "x: 2.5" in page and "<b>hi</b>" in page
    True
    """
    body = _render(explorer)
    note = f"<div style='color:#666; font-size:12px; margin-bottom:4px'>{html.escape(text('static.note'))}</div>"
    return f"<div class='backpropnb-static'>{note}{body}</div>"


def _render(widget):
    if getattr(widget.layout, "display", None) == "none" or getattr(widget.layout, "visibility", None) == "hidden":
        return ""
    if isinstance(widget, widgets.Box):
        parts = "".join(_render(child) for child in widget.children)
        if isinstance(widget, widgets.HBox):
            return f"<div style='display:flex; flex-wrap:wrap; gap:4px 24px; align-items:flex-start'>{parts}</div>"
        return f"<div>{parts}</div>"
    if isinstance(widget, widgets.HTML):
        return f"<div>{SVG.sub(_svg_image, widget.value)}</div>"
    if isinstance(widget, widgets.Image):
        return _image(widget)
    if isinstance(widget, (widgets.Button, widgets.Play)):
        return ""  # an action, not a state
    if hasattr(widget, "value"):
        return _control(widget)
    return ""


SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def _svg_image(match):
    """An inline SVG as an <img>: HTML sanitizers (JupyterLab's for an untrusted notebook, GitHub's)
    strip <svg> elements and leave their text behind, but keep images."""
    data = base64.b64encode(match.group(0).encode("utf-8")).decode("ascii")
    return f"<img src='data:image/svg+xml;base64,{data}'>"


def _image(widget):
    if not widget.value:
        return ""
    image_format = widget.format if widget.format in ("png", "jpeg", "gif") else "png"
    data = base64.b64encode(bytes(widget.value)).decode("ascii")
    width = widget.layout.width
    style = f" style='width:{html.escape(width, quote=True)}; max-width:100%'" if width else ""
    return f"<img src='data:image/{image_format};base64,{data}'{style}>"


def _control(widget):
    value = widget.value
    if isinstance(widget, (widgets.FloatSlider, widgets.FloatText)) and isinstance(value, float):
        value = f"{value:.4g}"
    elif isinstance(widget, widgets.Dropdown):
        value = widget.label if widget.label is not None else value
    label = widget.description or type(widget).__name__
    return f"<div style='font-family:monospace; font-size:12px'>{html.escape(f'{label}: {value}')}</div>"
