"""The language contract: tables with the same keys, set_language, BACKPROPNB_LANG, Korean explorers."""

import os
import re
import string
import subprocess
import sys

import pytest

import backpropnb
from backpropnb import i18n
from backpropnb.i18n import en, ko


@pytest.fixture(autouse=True)
def _english_after():
    yield
    i18n.set_language("en")


def test_tables_have_the_same_keys_and_fields():
    assert set(en.STRINGS) == set(ko.STRINGS)
    fields = lambda s: sorted(f for _, f, _, _ in string.Formatter().parse(s) if f)  # noqa: E731
    for key in en.STRINGS:
        assert fields(en.STRINGS[key]) == fields(ko.STRINGS[key]), key


def test_keys_are_dotted_module_what():
    for key in en.STRINGS:
        assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", key), key


# Latin words a Korean text may keep: the gradients' names kept in English after the Korean (as the seeds
# do), op and function names, maths (grad, exp, max, min), units and dtypes, parameter names and code.
_ALLOWED_WORDS = """
upstream local downstream gradient up down
add mul max min copy sigmoid relu softmax matmul tanh exp log sum mean pow div sub neg
grad dx dy dz df dq dL dtype float32 float64 max_nodes
ms µs min B KB MB GB TB x_j y_i J_ij e_i
numpy np diag size Tensor bp backpropnb Function forward ctx save_for_backward gradcheck backward create_graph
True False None return data eps linalg eigvalsh minimum maximum saddle reg_rate sign smallest_layer
"""  # the last two lines: code a learner types
ALLOWED = frozenset(_ALLOWED_WORDS.split())


def english_words(value):
    """The Latin words of a text that are not maths or allowed terms (x, x0, dw0 are variables)."""
    words = re.findall(r"[A-Za-z][A-Za-z_0-9]*", re.sub(r"\{[^}]*\}", "", value))
    return [w for w in words if len(w) > 1 and w not in ALLOWED and not re.fullmatch(r"d?[A-Za-z]\d*", w)]


def test_korean_strings_are_korean():
    for key, value in ko.STRINGS.items():
        words = re.sub(r"\{[^}]*\}", "", value)
        if english_words(en.STRINGS[key]):  # prose in English is prose in Korean; "(n, n), n = x.size" stays
            assert re.search("[\uac00-\ud7a3]", words), key
        assert not english_words(value), (key, value, english_words(value))


def test_set_language_and_text():
    assert backpropnb.set_language is i18n.set_language and backpropnb.get_language is i18n.get_language
    backpropnb.set_language("ko")
    assert backpropnb.get_language() == "ko"
    assert i18n.text("stepper.step_of", step=2, total=5) == "5단계 중 2단계"
    backpropnb.set_language("en")
    assert i18n.text("stepper.step_of", step=2, total=5) == "step 2 of 5"


def test_unknown_language_lists_the_languages():
    with pytest.raises(ValueError, match=r"'fr'.*en, ko"):
        backpropnb.set_language("fr")
    assert backpropnb.get_language() == "en"


def test_unknown_key_names_it():
    with pytest.raises(KeyError, match="no.such"):
        i18n.text("no.such")


def test_backpropnb_lang_sets_the_language_at_import():
    env = dict(os.environ, BACKPROPNB_LANG="ko")
    code = "import backpropnb; print(backpropnb.get_language())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ko"
    env["BACKPROPNB_LANG"] = "xx"
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "en, ko" in bad.stderr


def _descriptions(widget):
    seen = [getattr(widget, "description", "") or ""]
    for child in getattr(widget, "children", ()):
        seen += _descriptions(child)
    return [s for s in seen if s]


def test_stepper_controls_speak_the_language():
    from backpropnb.widgets.stepper import BackwardStepper

    i18n.set_language("en")
    english = _descriptions(BackwardStepper())
    assert {"example", "step", "next step", "reset"} <= set(english)
    i18n.set_language("ko")
    korean = _descriptions(BackwardStepper())
    assert {"예제", "단계", "다음 단계", "처음으로"} <= set(korean)
    assert not [d for d in korean if re.search("[A-Za-z]{2,}", d)], korean


@pytest.mark.parametrize("name", ["GateExplorer", "JacobianExplorer", "HVPExplorer"])
def test_explorer_selectors_speak_the_language(name):
    import backpropnb.widgets as w

    i18n.set_language("en")
    english = _descriptions(getattr(w, name)())
    i18n.set_language("ko")
    korean = _descriptions(getattr(w, name)())
    assert len(korean) == len(english) and korean != english
    assert any(re.search("[\uac00-\ud7a3]", d) for d in korean), korean


def test_korean_plots_use_a_hangul_font():
    import matplotlib
    from matplotlib import font_manager

    from backpropnb.render import fonts

    i18n.set_language("ko")
    family = fonts.hangul_family()
    if family is None:
        pytest.skip("no font with Hangul installed (make chromium installs fonts-noto-cjk)")
    before = list(matplotlib.rcParams["font.family"])
    try:
        assert fonts.use_language_font()
        path = font_manager.findfont(font_manager.FontProperties(family=matplotlib.rcParams["font.family"]))
        from matplotlib.ft2font import FT2Font

        assert FT2Font(path).get_char_index(ord("역")) != 0, path
    finally:
        matplotlib.rcParams["font.family"] = before


# Words an explorer shows in either language because they are the API's own values (what a learner types:
# bp.widgets.NetworkPlayground(dataset="spiral", activation="linear")), neuron names and maths.
API_VALUES = frozenset(["circle", "xor", "gauss", "spiral", "moons", "sine", "linear", "out", "sin", "v_x", "v_y"])


def _visible_texts(widget):
    """Every text of a widget tree a learner can read: descriptions, tooltips, options, HTML and labels."""
    import html

    import ipywidgets

    found = []
    for attribute in ("description", "tooltip", "placeholder"):
        value = getattr(widget, attribute, None)
        if isinstance(value, str) and value:
            found.append(value)
    found += list(getattr(widget, "_options_labels", ()) or ())
    if isinstance(widget, (ipywidgets.HTML, ipywidgets.HTMLMath, ipywidgets.Label)):
        value = re.sub(r"<(style|title)\b.*?</\1>|<!--.*?-->", " ", widget.value, flags=re.S)
        found.append(html.unescape(re.sub(r"<[^>]+>", " ", value)))
    for child in getattr(widget, "children", ()) or ():
        found += _visible_texts(child)
    return [text for text in found if text.strip()]


def _explorer_states():
    """Each explorer as built, and the playground also trained and switched to its backward view."""
    import backpropnb.widgets as w

    for name in ("GateExplorer", "BackwardStepper", "JacobianExplorer", "HVPExplorer", "NetworkPlayground"):
        yield name, getattr(w, name)()
    playground = w.NetworkPlayground(dataset="spiral", hidden=(3,), regularization="L2", reg_rate=0.01)
    playground.step(3)
    playground.controls["mode"].value = "backward"
    yield "NetworkPlayground trained, backward", playground


def test_no_english_text_in_any_korean_explorer():
    """In Korean every visible word comes from the Korean table: an English literal in a widget shows up here."""
    i18n.set_language("ko")
    try:
        for name, explorer in _explorer_states():
            texts = _visible_texts(explorer)
            assert len(texts) >= 5, name
            assert any(re.search("[\uac00-\ud7a3]", text) for text in texts), name
            for text in texts:
                left = [word for word in english_words(text) if word not in API_VALUES]
                assert not left, (name, left, text[:120])
    finally:
        i18n.set_language("en")


def test_the_english_check_is_not_blind():
    """The same walk over an English explorer finds English words (so the Korean test can fail)."""
    i18n.set_language("en")
    texts = [text for _, explorer in _explorer_states() for text in _visible_texts(explorer)]
    assert sum(bool(english_words(text)) for text in texts) >= 10
