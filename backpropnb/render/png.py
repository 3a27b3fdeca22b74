"""A figure as PNG bytes, for the explorers, which show an image rather than a live figure.

>>> png_size(encode_png(np.zeros((3, 5, 4), dtype=np.uint8)))
(5, 3)
"""

from __future__ import annotations

import io

import numpy as np

PNG_DPI = 90  # the explorers' PNGs are shown at their own size, one image pixel per screen pixel


def png_bytes(figure, dpi=PNG_DPI):
    """PNG bytes of a figure drawn once with the Agg renderer (no second pass to crop it).

    The figures of this module set their own margins, so the picture needs no
    ``bbox_inches="tight"``, which would draw the figure twice.

    >>> from backpropnb.render.figures import new_figure
    >>> png_bytes(new_figure((1, 1)))[:4]
    b'\\x89PNG'
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure.set_dpi(dpi)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return encode_png(np.asarray(canvas.buffer_rgba()))


def png_size(png):
    """(width, height) in pixels of PNG bytes, read from the header.

    >>> png_size(encode_png(np.zeros((3, 5, 4), dtype=np.uint8)))
    (5, 3)
    """
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def encode_png(rgba):
    """PNG bytes of an RGBA pixel array (fast zlib level: the picture is sent to the browser at once)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()
