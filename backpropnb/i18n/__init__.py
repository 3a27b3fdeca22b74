"""The words backpropnb shows, in the learner's language.

Every visible text of the explorers, checkers and drawings is looked up here by a
dotted key (``<module>.<what>``); numbers and math are never translated. This
package imports nothing from backpropnb, so every layer may use it.

>>> from backpropnb import i18n
>>> i18n.set_language("ko"); i18n.text("stepper.next")
'다음 단계'
>>> i18n.set_language("en"); i18n.text("stepper.next")
'next step'
"""

import os

from . import en, ko

_TABLES = {"en": en.STRINGS, "ko": ko.STRINGS}
LANGUAGES = tuple(_TABLES)
_current = "en"


def set_language(code):
    """Show the explorers', checkers' and drawings' words in language ``code``.

    >>> set_language("ko"); get_language()
    'ko'
    >>> set_language("en")
    """
    global _current
    if code not in _TABLES:
        raise ValueError(
            f"set_language: no strings for language {code!r}; the languages there are: {', '.join(LANGUAGES)}"
        )
    _current = code


def get_language():
    """The code of the language in use (``"en"`` unless changed).

    >>> get_language() in LANGUAGES
    True
    """
    return _current


def text(key, **fields):
    """The string for ``key`` in the current language, with ``fields`` filled in (str.format).

    A key missing in the current language falls back to English; a key unknown
    to English is a KeyError naming it.

    >>> text("stepper.step_of", step=2, total=5)
    'step 2 of 5'
    """
    table = _TABLES[_current]
    template = table.get(key)
    if template is None:
        template = en.STRINGS.get(key)
    if template is None:
        raise KeyError(f"text: no string for key {key!r} in backpropnb/i18n/en.py; add it there and in ko.py")
    return template.format(**fields) if fields else template


_env = os.environ.get("BACKPROPNB_LANG")
if _env:
    set_language(_env)
del _env
