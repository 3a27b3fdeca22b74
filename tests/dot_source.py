"""Reading the DOT source of a drawing in tests: the edge labels without the box that keeps them off the lines."""

import re

EDGE_BOX = re.compile(r"<TABLE[^>]*><TR><TD[^>]*>(?:&#160;)?|(?:&#160;)?</TD></TR></TABLE>")


def unboxed(source):
    """The DOT source with each edge label's box (a borderless one-cell table) taken away, its text kept."""
    return EDGE_BOX.sub("", source)
