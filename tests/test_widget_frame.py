"""The frame every explorer shares: one layout, one text block, one error area, one way to refuse arguments."""

import ipywidgets as widgets
import pytest

from backpropnb.widgets import BackwardStepper, GateExplorer, HVPExplorer, JacobianExplorer
from backpropnb.widgets.base import Explorer, pre_html

EXPLORERS = [GateExplorer, BackwardStepper, JacobianExplorer, HVPExplorer]


@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda cls: cls.__name__)
def test_every_explorer_has_the_same_frame(cls):
    explorer = cls()
    assert explorer.last_error is None
    # controls on top, then the views, then the text, then the error area, in that order
    assert explorer.children[-2:] == (explorer.text, explorer.error_area)
    assert explorer.error_area.layout.display == "none"
    # the text is the explanation lines, in one <pre> of one style
    assert explorer.lines and explorer.text.value == pre_html(explorer.lines)
    assert all(line in explorer.snapshot() for line in explorer.lines if "timings" not in line)
    for name, control in explorer.controls.items():
        assert isinstance(control, widgets.ValueWidget), name


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: GateExplorer(gate="div"), r"GateExplorer: gate='div' is not one of the choices; pick one of \['add'"),
        (lambda: JacobianExplorer(op="tanh"), r"JacobianExplorer: op='tanh' .* pick one of \['relu'"),
        (lambda: JacobianExplorer(n=100), r"JacobianExplorer: n=100 is outside .* from 2 to 64"),
        (lambda: JacobianExplorer(n=1), r"JacobianExplorer: n=1 is outside"),
        (lambda: HVPExplorer(function="cubic"), r"HVPExplorer: function='cubic' .* pick one of \['bowl'"),
        (lambda: HVPExplorer(point=(5.0, 0.0)), r"HVPExplorer: x=5.0 is outside .* from -2.5 to 2.5"),
        (lambda: HVPExplorer(v=(0.0, -3.0)), r"HVPExplorer: vy=-3.0 is outside"),
        (lambda: HVPExplorer(point=(1.0, 2.0, 3.0)), r"HVPExplorer: point must be two numbers"),
    ],
)
def test_an_argument_out_of_range_gets_the_explorers_own_value_error(build, message):
    # Issue 9: GateExplorer(gate="div") raised traitlets' TraitError; a slider silently clamped n=100 to 64.
    with pytest.raises(ValueError, match=message):
        build()


def test_a_minimal_explorer_is_a_short_subclass():
    class Square(Explorer):
        def __init__(self):
            super().__init__({"x": widgets.IntSlider(value=3, min=-5, max=5)})

        def render(self):
            x = self.controls["x"].value
            if x < 0:
                raise ValueError("x must not be negative here")
            return [f"{x}² = {x * x}"]

    explorer = Square()
    assert explorer.snapshot() == "3² = 9"
    explorer.controls["x"].value = -2
    assert "x must not be negative here" in explorer.error_area.value
    assert explorer.error_area.layout.display is None
    assert explorer.snapshot() == "3² = 9"  # the last good lines stay
    explorer.controls["x"].value = 4
    assert (explorer.snapshot(), explorer.last_error, explorer.error_area.value) == ("4² = 16", None, "")
