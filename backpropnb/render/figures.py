"""What every matplotlib figure of the package shares: how it is made, and its smallest text.

Every ``plot_*`` function returns a ``matplotlib.figure.Figure`` and never shows
it: Jupyter displays a Figure left last in a cell, exactly once. (pyplot makes
each figure, so that Jupyter's inline backend is loaded and knows how to show
it, and it is closed at once, so pyplot does not show it a second time at the
end of the cell and no global figure list grows.)

Every figure also carries the numbers it draws in ``figure.backpropnb_data``, a
plain dict documented on each function, so that tests and the explorers'
``snapshot()`` can read what the picture shows without looking at pixels. The
numbers are computed by the layers below (functional, lecture, formatting);
a figure only draws them.

>>> new_figure((2, 2)).get_size_inches().tolist()
[2.0, 2.0]
"""

from __future__ import annotations

FONT_SIZE = 9  # points; the smallest text in any figure (legends, annotations, cell numbers included)


def new_figure(figsize, layout=None):
    """A figure of ``figsize`` inches, made by pyplot and closed at once (shown only when returned)."""
    import matplotlib.pyplot as plt

    from .fonts import use_language_font

    use_language_font()  # Korean words need a font with Hangul (text reads rcParams when it is made)
    figure = plt.figure(figsize=figsize, layout=layout)
    plt.close(figure)  # shown only when returned, never again by pyplot
    return figure
