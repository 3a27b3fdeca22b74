"""A matplotlib font with Hangul when the language is Korean.

Matplotlib's default DejaVu Sans has no Hangul, so Korean words in a plot would be
empty boxes. With ``set_language("ko")`` the plots use the first installed font
that covers Hangul (Noto Sans CJK from Debian's fonts-noto-cjk, Noto Sans KR,
NanumGothic, ...); without one they keep DejaVu Sans and matplotlib warns of the
missing glyphs (``make chromium`` installs fonts-noto-cjk).
"""

from __future__ import annotations

from backpropnb.i18n import get_language

HANGUL_FAMILIES = (
    "Noto Sans CJK KR",
    "Noto Sans CJK JP",
    "Noto Sans KR",
    "NanumGothic",
    "Malgun Gothic",
    "Apple SD Gothic Neo",
)


def hangul_family():
    """The first installed font family that has Hangul, or None.

    >>> hangul_family() is None or isinstance(hangul_family(), str)
    True
    """
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((family for family in HANGUL_FAMILIES if family in installed), None)


def font_families():
    """The ``font.family`` list for a new figure in the current language.

    >>> font_families()[-1]
    'DejaVu Sans'
    """
    family = hangul_family() if get_language() == "ko" else None
    return [family, "DejaVu Sans"] if family else ["DejaVu Sans"]


def use_language_font():
    """In Korean, make matplotlib's text use a Hangul font first (DejaVu Sans after it); in English change nothing.

    >>> use_language_font() in (True, False)
    True
    """
    families = font_families()
    if len(families) == 1:
        return False
    import matplotlib

    matplotlib.rcParams["font.family"] = families
    return True
