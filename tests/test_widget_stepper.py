"""BackwardStepper, driven headless: the chain rule of each step, the lecture's numbers, no side effects."""

import re

import numpy as np
import pytest

import backpropnb
from backpropnb.render._dot import find_dot
from backpropnb.render.graph import draw
from backpropnb.render.svg import COLUMN_PX, MIN_SCALE, PX_PER_PT, svg_size
from backpropnb.widgets.stepper import CUSTOM, EXAMPLES, MAX_HEIGHT_PX, BackwardStepper, build_example

NEURON_GRADS = "gradients so far: w0 = -0.1966, x0 = 0.3932, w1 = -0.3932, x1 = -0.5898, w2 = 0.1966"


def test_the_q_step_of_f_shows_upstream_minus_4_local_1_downstream_minus_4():
    stepper = BackwardStepper()
    stepper.controls["step"].value = 2
    snapshot = stepper.snapshot()
    assert stepper.last_error is None
    assert stepper.lines == [
        "step 2 of 2: q = x + y",
        "  upstream    df/dq = -4",
        "  local       dq/dx = 1, dq/dy = 1",
        "  downstream  df/dx = 1 × -4 = -4, df/dy = 1 × -4 = -4   (downstream = local × upstream)",
        "gradients so far: x = -4, y = -4, z = 3",
        "backward pass complete: every gradient is in place (df/d· of all 3 inputs); reset starts again",
    ]
    dot = stepper.digraph.source
    assert "\n".join(stepper.lines) in snapshot and dot in snapshot
    assert dot.count("local 1 × up -4<BR/>= -4") == 2  # both edges into the + gate
    assert "up -4" in dot


def test_the_first_step_of_f_is_the_mul_gate_seeded_with_1():
    stepper = BackwardStepper()
    stepper.controls["step"].value = 1
    assert stepper.lines[0] == "step 1 of 2: f = q × z"
    assert stepper.lines[2] == "  local       df/dq = -4, df/dz = 3"
    assert stepper.lines[-1] == "gradients so far: x = …, y = …, z = 3"
    source = stepper.digraph.source
    assert "local -4 × up 1<BR/>= -4" in source and "local 3 × up 1<BR/>= 3" in source


def test_step_0_is_the_forward_pass_without_gradients():
    stepper = BackwardStepper()
    assert stepper.controls["step"].value == 0
    assert stepper.lines == [
        "step 0 of 2: forward pass done, f = -12; next: the backward pass starts at f with df/df = 1"
    ]
    dot = stepper.digraph.source
    assert "value -12" in dot and "value 3" in dot and "grad" not in dot


@pytest.mark.parametrize(("example", "n_steps"), [(EXAMPLES[0], 2), (EXAMPLES[1], 8), (EXAMPLES[2], 5)])
def test_steps_through_every_step_of_each_example(example, n_steps):
    stepper = BackwardStepper()
    stepper.controls["example"].value = example
    assert (stepper.controls["step"].max, stepper.play.max) == (n_steps, n_steps)
    seen = []
    for k in range(n_steps + 1):
        stepper.controls["step"].value = k
        assert stepper.last_error is None, (example, k, stepper.last_error)
        assert stepper.lines[0].startswith(f"step {k} of {n_steps}")
        seen.append(stepper.lines[0])
        if k:
            assert "penwidth=3" in stepper.digraph.source  # the node just processed is highlighted
    assert len(set(seen)) == n_steps + 1


@pytest.mark.parametrize("example", EXAMPLES[1:])
def test_the_sigmoid_neuron_reproduces_the_lecture_gradients(example):
    stepper = BackwardStepper()
    stepper.controls["example"].value = example
    stepper.controls["step"].value = stepper.controls["step"].max
    snapshot = stepper.snapshot()
    assert NEURON_GRADS in snapshot
    assert "value 0.7311" in snapshot
    assert "0.1966" in stepper.digraph.source


def test_the_fused_sigmoid_step_shows_its_local_gradient():
    stepper = BackwardStepper()
    stepper.controls["example"].value = EXAMPLES[2]
    stepper.controls["step"].value = 1
    assert stepper.lines[:3] == [
        "step 1 of 5: f = σ(z)",
        "  upstream    df/df = 1 (the seed: the output's gradient with respect to itself)",
        "  local       df/dz = 0.1966",
    ]


def test_the_primitive_sigmoid_uses_the_lecture_gates():
    stepper = BackwardStepper()
    stepper.controls["example"].value = EXAMPLES[1]
    heads = []
    for k in range(1, 9):
        stepper.controls["step"].value = k
        heads.append(stepper.lines[0].split(": ", 1)[1])
    assert heads == [
        "f = 1 / a",
        "a = 1 + e",
        "e = exp(n)",
        "n = −z",
        "z = q + w2",
        "q = p0 + p1",
        "p1 = w1 × x1",
        "p0 = w0 × x0",
    ]
    stepper.controls["step"].value = 1
    assert "the constant 1 gets no gradient" in stepper.lines[3]
    assert "1/x" in stepper.digraph.source and "exp" in stepper.digraph.source


def test_next_reset_and_play_move_the_step():
    stepper = BackwardStepper()
    stepper.next_button.click()
    assert stepper.controls["step"].value == 1 and stepper.lines[0].startswith("step 1 of 2")
    assert not stepper.next_button.disabled and not any("complete" in line for line in stepper.lines)
    stepper.next_button.click()
    assert stepper.next_button.disabled  # the last step: nothing left to do, and the button says so
    assert stepper.lines[-1].startswith("backward pass complete: every gradient is in place")
    stepper.next()  # stays at the last step
    assert stepper.controls["step"].value == 2
    stepper.reset_button.click()
    assert stepper.controls["step"].value == 0 and stepper.lines[0].startswith("step 0 of 2")
    assert not stepper.next_button.disabled
    stepper.play.value = 2  # what the Play widget does in the browser
    assert stepper.controls["step"].value == 2 and stepper.lines[0] == "step 2 of 2: q = x + y"
    stepper.controls["step"].value = 1
    assert stepper.play.value == 1


def test_changing_the_example_goes_back_to_step_0_and_renders_once():
    stepper = BackwardStepper()
    stepper.controls["example"].value = EXAMPLES[1]
    stepper.controls["step"].value = 8
    renders = []
    original = stepper.render
    stepper.render = lambda: renders.append(1) or original()
    stepper.controls["example"].value = EXAMPLES[0]
    assert len(renders) == 1 and stepper.last_error is None
    assert stepper.controls["step"].value == 0 and stepper.controls["step"].max == 2


def test_every_control_at_its_extremes():
    stepper = BackwardStepper(build_example(EXAMPLES[0]) * 2)
    for example in stepper.controls["example"].options:
        stepper.controls["example"].value = example
        step = stepper.controls["step"]
        for value in (step.max, step.min, step.max):
            step.value = value
            assert stepper.last_error is None, (example, value, stepper.last_error)


def test_your_graph_is_offered_selected_and_left_untouched():
    w, x = backpropnb.tensor(3.0, name="w"), backpropnb.tensor(-2.0, name="x")
    loss = (w * x).tanh() ** 2
    loss.name = "loss"
    stepper = BackwardStepper(loss)
    assert stepper.controls["example"].options == (*EXAMPLES, CUSTOM)
    assert stepper.controls["example"].value == CUSTOM
    for _ in range(3):  # redrawing again and again must not accumulate gradients
        for k in range(stepper.controls["step"].max + 1):
            stepper.controls["step"].value = k
    assert w.grad is None and x.grad is None and loss.grad is None
    assert stepper.lines[0] == "step 3 of 3: [×] = w × x"
    t = np.tanh(-6.0)
    expected = 2 * t * (1 - t**2)  # dloss/d(w·x)
    assert stepper.lines[-2] == f"gradients so far: w = {expected * -2:.4g}, x = {expected * 3:.4g}"


def test_stored_gradients_of_your_graph_stay_as_they_were():
    x = backpropnb.tensor(2.0, name="x")
    y = x * x + x
    y.backward()
    stepper = BackwardStepper(y)
    for k in range(stepper.controls["step"].max + 1):
        stepper.controls["step"].value = k
    assert float(x.grad) == 5.0 and float(y.grad) == 1.0
    assert stepper.lines[-2] == "gradients so far: x = 5"


def test_a_vector_output_is_replayed_from_its_stored_gradient():
    x = backpropnb.tensor([1.0, -2.0], name="x")
    y = x * 3
    with pytest.raises(ValueError, match="call y.backward"):
        BackwardStepper(y)
    y.backward(np.array([1.0, 10.0]))
    stepper = BackwardStepper(y)
    stepper.controls["step"].value = 1
    assert stepper.last_error is None
    assert "dL/dx = [3, 30]" in stepper.lines[3] and "shape (2,)" in stepper.lines[2]
    assert x.grad.tolist() == [3.0, 30.0]


def test_a_leaf_has_no_steps():
    stepper = BackwardStepper(backpropnb.tensor(1.0, name="x"))
    assert stepper.controls["step"].max == 0 and stepper.last_error is None
    assert stepper.lines == ["step 0 of 0: forward pass done, x = 1; nothing to backpropagate"]


def test_not_a_tensor_is_refused_with_the_reason():
    with pytest.raises(TypeError, match="must be a backpropnb Tensor"):
        BackwardStepper(3.0)


def test_a_long_chain_steps_without_error_and_highlights_the_fold():
    z = backpropnb.tensor(1.0, name="z")
    w = z
    for _ in range(300):
        w = w * 1.001
    w.name = "w"
    stepper = BackwardStepper(w)
    assert stepper.controls["step"].max == 300
    for k in (1, 2, 3, 150, 299, 300):
        stepper.controls["step"].value = k
        assert stepper.last_error is None, (k, stepper.last_error)
        assert stepper.lines[0].startswith(f"step {k} of 300: ")
    stepper.controls["step"].value = 150
    source = stepper.digraph.source
    fold = next(line for line in source.splitlines() if line.startswith("\tf0 ["))
    # stepper step 150 is replay step 149; replay steps 3..297 are the folded gates, so it is gate 147
    assert "#e8590c" in fold and "now: gate 147 of 295" in fold
    assert "gates folded" in fold and "295 × [×1.001]" in fold
    stepper.controls["step"].value = 300
    assert stepper.lines[-2] == f"gradients so far: z = {1.001**300:.4g}"
    assert z.grad is None


def test_the_example_dropdown_is_as_wide_as_its_longest_option():
    stepper = BackwardStepper()
    assert stepper.controls["example"].layout.width == "max-content"


def test_a_scalar_loss_of_arrays_shows_its_local_gradients_as_arrays():
    x = backpropnb.tensor([1.0, -2.0], name="x")
    loss = (x * x).sum()
    loss.name = "loss"
    stepper = BackwardStepper(loss)
    stepper.controls["step"].value = 1
    assert stepper.last_error is None, stepper.last_error
    assert stepper.lines[2] == "  local       dloss/d[×] = [1, 1]"
    assert stepper.lines[3].startswith("  downstream  dloss/d[×] = [1, 1] × 1 = [1, 1]")


NO_DOT = find_dot().kind == "none"


@pytest.mark.skipif(NO_DOT, reason="no Graphviz dot (neither the system's nor the pip wheel's)")
@pytest.mark.parametrize("example", EXAMPLES)
def test_every_step_fits_a_laptop_screen_folded_into_columns_when_tall(example):
    # issue 12: the primitive-gates neuron was 894 px tall, its current node below a 1280×800 window
    stepper = BackwardStepper()
    stepper.controls["example"].value = example
    rankdir, scale, columns = stepper.how
    assert scale >= MIN_SCALE  # text stays 11 px or more
    sizes = []
    for k in range(stepper.controls["step"].max + 1):
        stepper.controls["step"].value = k
        width, height = svg_size(stepper.digraph.natural_svg())
        sizes.append((width * PX_PER_PT * scale, height * PX_PER_PT * scale))
        assert stepper.graph.value.startswith("<svg")
        assert stepper.digraph.source.count("constraint=false") == (0 if columns == 1 else columns - 1), k
    assert max(h for _, h in sizes) <= MAX_HEIGHT_PX + 0.5, sizes
    assert max(w for w, _ in sizes) <= COLUMN_PX + 0.5, sizes
    unfolded = draw(stepper.y, step=len(stepper.replay) - 1, replay=stepper.replay, rankdir=rankdir)
    if columns > 1:  # folded only because the single column was too tall at the smallest scale
        assert svg_size(unfolded.natural_svg())[1] * PX_PER_PT * MIN_SCALE > MAX_HEIGHT_PX
    else:
        assert example != EXAMPLES[1]  # the primitive-gates neuron is too tall for one column


def test_every_graph_says_complete_at_its_last_step_only_and_disables_next():
    for example in EXAMPLES:
        stepper = BackwardStepper()
        stepper.controls["example"].value = example
        last = stepper.controls["step"].max
        for k in range(last + 1):
            stepper.controls["step"].value = k
            complete = [line for line in stepper.lines if line.startswith("backward pass complete")]
            expected = (1, True) if k == last else (0, False)
            assert (len(complete), stepper.next_button.disabled) == expected, (example, k)
        assert complete[0] in stepper.snapshot()


def test_a_graph_with_nothing_to_backpropagate_has_next_disabled_from_the_start():
    stepper = BackwardStepper(backpropnb.tensor(2.0, requires_grad=False) * 3)
    assert stepper.controls["step"].max == 0 and stepper.next_button.disabled


def node_boxes(svg):
    """Each drawn node's bounding box (x0, y0, x1, y1) in points, from dot's SVG."""
    boxes = {}
    for name, shape in re.findall(
        r'<g id="node\d+" class="node">\s*<title>(\w+)</title>\s*<(?:path|polygon|ellipse)([^>]*)>', svg
    ):
        if "cx=" in shape:
            cx, cy, rx, ry = (float(re.search(rf'{a}="([-\d.]+)"', shape).group(1)) for a in ("cx", "cy", "rx", "ry"))
            boxes[name] = (cx - rx, cy - ry, cx + rx, cy + ry)
            continue
        numbers = [
            float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", re.search(r'(?:d|points)="([^"]+)"', shape).group(1))
        ]
        xs, ys = numbers[0::2], numbers[1::2]
        boxes[name] = (min(xs), min(ys), max(xs), max(ys))
    return boxes


@pytest.mark.skipif(NO_DOT, reason="no Graphviz dot (neither the system's nor the pip wheel's)")
@pytest.mark.parametrize("example", EXAMPLES)
def test_every_node_stays_put_from_step_to_step(example):
    """Issue 24: one layout for every step of a graph, so that the picture does not shift as the steps go."""
    stepper = BackwardStepper()
    stepper.controls["example"].value = example
    layouts = []
    for k in range(stepper.controls["step"].max + 1):
        stepper.controls["step"].value = k
        layouts.append(node_boxes(stepper.digraph.natural_svg()))
    assert len(layouts[0]) >= 5
    for k, boxes in enumerate(layouts):
        assert boxes == layouts[0], (example, k)


@pytest.mark.skipif(NO_DOT, reason="no Graphviz dot (neither the system's nor the pip wheel's)")
def test_the_folded_neuron_reads_its_columns_in_the_order_of_the_backward_pass():
    """Issue 24: output's column on the left, then the next steps', the inputs' last (as the notes draw it)."""
    stepper = BackwardStepper()
    stepper.controls["example"].value = EXAMPLES[1]
    assert stepper.how[2] == 3
    stepper.controls["step"].value = stepper.controls["step"].max
    source, boxes = stepper.digraph.source, node_boxes(stepper.digraph.natural_svg())
    names = dict(re.findall(r"^\t(v\d+) \[.*?label=<<B>(\w+)</B>", source, re.M))
    x = {names[node]: (box[0] + box[2]) / 2 for node, box in boxes.items() if node in names}
    # backward order: f, a (the output's column), then e, n, z, then q and the products, the inputs last
    output_column = max(x["f"], x["a"])
    middle_column = [x[name] for name in ("e", "n", "z")]
    inputs = [x[name] for name in ("w0", "x0", "w1", "x1")]
    assert output_column < min(middle_column) and max(middle_column) < min(inputs), x
