"""A class, for real: every exercise goes through nbgrader from the teacher's source to the students' feedback.

In a temporary course directory with docs/nbgrader_config.py, the teacher runs, for each exercise
notebook of notebooks/solutions/ and of the Korean notebooks/ko/solutions/ (``ex01`` … ``ex06``,
``ex01ko`` … ``ex06ko``), ``generate_assignment`` and ``release_assignment``; four students
(the local file-system exchange, in a temporary root) ``fetch_assignment``, answer, ``submit``; the
teacher ``collect``s, ``autograde``s, ``generate_feedback``s and ``release_feedback``s; the students
``fetch_feedback``. docs/teaching.md shows the same commands.

The students:

- ada answers everything right: full marks;
- ben submits the release untouched: 0, and autograde logs no warning (no checksum message of
  jupyter/nbgrader#1961: the test cells hold no hidden tests);
- cy makes a typical mistake in every answer (one the checkers recognise): 0, and the feedback shows
  each check's hint;
- dee gets most things right, and: an infinite loop (ex01, interrupted by autograde's timeout, scored
  0, the next cells still graded) and an explorer widget of her own (ex01, not graded, no wait); an
  answer that raises when called and one whose cell raises (ex02); a deleted test cell and a test
  cell edited to print a success line (ex03); edited read-only instructions and set-up (ex04); one
  wrong answer (ex05).

nbgrader runs from its own venv (.venv-nbgrader, made by ``make test``: its pins need not match the
project's), with backpropnb installed there so that autograde's kernel can import the checkers.
Each command runs as ``nbgrader <argv>`` through tests/nbgrader_runner.py, which imports nbgrader
once and forks per command (a fresh ``nbgrader`` process costs ~4 s of CPU before doing anything).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-nbgrader"
PYTHON = VENV / "bin" / "python"
SOLUTIONS = sorted((ROOT / "notebooks/solutions").glob("[0-9]*.ipynb")) + sorted(
    (ROOT / "notebooks/ko/solutions").glob("[0-9]*.ipynb")
)
STUDENTS = ["ada", "ben", "cy", "dee"]


def students_of(assignment):
    """Who takes an assignment: everyone the English ones; the Korean ones all but dee, whose troubles
    (a timeout, edited and deleted cells) are nbgrader's mechanics, the same in either language."""
    return STUDENTS if not assignment.endswith("ko") else ["ada", "ben", "cy"]


TIMEOUT = 6  # autograde's per-cell timeout here: every real cell takes well under a second

pytestmark = [pytest.mark.nbgrader, pytest.mark.xdist_group("nbgrader")]


def assignment_of(path):
    """``ex01`` for notebooks/solutions/01_scalar_gates.ipynb, ``ex01ko`` for its Korean twin."""
    return "ex" + path.name[:2] + ("ko" if path.parent.parent.name == "ko" else "")


def base(assignment):
    """The English assignment a Korean one translates (same code, same cells): ``ex01ko`` -> ``ex01``."""
    return assignment.removesuffix("ko")


def committed_student_notebook(assignment):
    """The committed student notebook of an assignment: notebooks/[ko/]exercises/<name>."""
    solution = ASSIGNMENTS[assignment]
    return nbformat.read(solution.parent.parent / "exercises" / solution.name, as_version=4)


ASSIGNMENTS = {assignment_of(path): path for path in SOLUTIONS}


def meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_cells(notebook):
    return [cell for cell in notebook.cells if meta(cell).get("grade")]


def solution_notebook(assignment):
    return nbformat.read(ASSIGNMENTS[assignment], as_version=4)


def points(assignment):
    """{test cell id: points} of an assignment, from the solution notebook's metadata."""
    return {meta(c)["grade_id"]: float(meta(c)["points"]) for c in grade_cells(solution_notebook(assignment))}


def grade_cell_after(answer_id):
    """The test cell that checks an answer cell: the next grade cell after it in the solution."""
    for path in SOLUTIONS:
        cells = nbformat.read(path, as_version=4).cells
        ids = [meta(c).get("grade_id") for c in cells]
        if answer_id in ids:
            return next(meta(c)["grade_id"] for c in cells[ids.index(answer_id) :] if meta(c).get("grade"))
    raise KeyError(answer_id)


# --- the answers --------------------------------------------------------------------------------


def right_answers(assignment):
    """{answer cell id: source}: the solution notebook's answers with the delimiter lines dropped."""
    return {
        meta(cell)["grade_id"]: "\n".join(line for line in cell.source.split("\n") if "SOLUTION" not in line)
        for cell in solution_notebook(assignment).cells
        if meta(cell).get("solution")
    }


def with_bodies(answer_id, *bodies):
    """The solution's answer cell ``answer_id`` with its solution regions replaced by ``bodies``."""
    for assignment in ASSIGNMENTS:
        for cell in solution_notebook(assignment).cells:
            if meta(cell).get("grade_id") == answer_id:
                source, remaining = cell.source, list(bodies)
                while "### BEGIN SOLUTION" in source:
                    start = source.index("### BEGIN SOLUTION")
                    end = source.index("### END SOLUTION") + len("### END SOLUTION")
                    indent = source[:start].split("\n")[-1]
                    body = remaining.pop(0).strip("\n").replace("\n", "\n" + indent)
                    source = source[:start] + body + source[end:]
                assert not remaining
                return source
    raise KeyError(answer_id)


# One typical mistake per answer, each one a checker recognises (tests/test_exercises*.py).
MISTAKES = {
    "add_backward": with_bodies("add_backward", "return 1.0, 1.0"),
    "mul_backward": with_bodies("mul_backward", "return x * upstream, y * upstream"),
    "max_backward": with_bodies("max_backward", "return upstream, upstream"),
    "copy_backward": with_bodies("copy_backward", "return upstream1 * upstream2"),
    "sigmoid_backward": with_bodies("sigmoid_backward", "return upstream * (1 - x) * x"),
    "neuron_flat": with_bodies(
        "neuron_flat",
        "dot = w[0] * x[0] + w[1] * x[1] + w[2]\n"
        "f = 1.0 / (1.0 + math.exp(-dot))\n"
        "d_dot = (1 - f) * f\n"
        "return f, [x[0] * d_dot, x[1] * d_dot, d_dot], [x[0] * d_dot, x[1] * d_dot]",
    ),
    "sigmoid_function": with_bodies(
        "sigmoid_function",
        "ctx.save_for_backward(t)\nreturn 1 / (1 + np.exp(-t))",
        "(t,) = ctx.saved\ns = 1 / (1 + np.exp(-t))\nreturn grad_output * (1 - s) * s",
    ),
    "multiply_function": with_bodies(
        "multiply_function",
        "ctx.save_for_backward(a, b)\nreturn a * b",
        "a, b = ctx.saved\nreturn grad_output * a, grad_output * b",
    ),
    "norm_wx_backward": with_bodies(
        "norm_wx_backward", "q = W @ x\nreturn q.reshape(-1, 1) @ x.reshape(1, -1), (W.T @ q).reshape(x.shape)"
    ),
    "square_map_jacobian": with_bodies("square_map_jacobian", "return np.array([[2 * x, 2 * y], [-2 * y, 2 * x]])"),
    "relu_jacobian": with_bodies("relu_jacobian", "return (x > 0).astype(float)"),
    "relu_backward": with_bodies("relu_backward", "return upstream"),
    "matmul_backward": with_bodies("matmul_backward", "return X.T @ upstream, upstream @ W.T"),
    "linear_backward": with_bodies("linear_backward", "return np.outer(upstream, x), W @ x"),
    "hvp_double_backprop": with_bodies("hvp_double_backprop", "return bp.grad(f)(x)"),
    "hvp_finite_difference": with_bodies(
        "hvp_finite_difference", "return (bp.grad(f)(x + eps * v) - bp.grad(f)(x - eps * v)) / eps"
    ),
    "classify_critical_point": with_bodies(
        "classify_critical_point",
        'd = np.diag(H)\nreturn "minimum" if np.all(d > 0) else "maximum" if np.all(d < 0) else "saddle"',
    ),
    "laplacian": with_bodies("laplacian", "return bp.hessian(f)(x).sum()"),
    "gradient_norm_penalty": with_bodies("gradient_norm_penalty", "return 2 * bp.grad(loss)(w)"),
    "weight_gradient": with_bodies("weight_gradient", "return np.mean(upstream * local)"),
    "layer_gradient": with_bodies("layer_gradient", "return upstream.T @ A"),
    "l2_gradient": with_bodies("l2_gradient", "return data_gradient + 2 * reg_rate * W"),
    "smallest_layer": with_bodies("smallest_layer", "return 6"),
}

WIDGET_CELL = "from backpropnb.widgets import GateExplorer\n\nGateExplorer()"
FAKE_SUCCESS = 'print("✓ norm_wx_backward: all checks passed.")'


def answer(notebook, replacements):
    """Put a student's answers into a fetched notebook: {grade_id: new source}."""
    for cell in notebook.cells:
        grade_id = meta(cell).get("grade_id")
        if grade_id in replacements:
            cell.source = replacements[grade_id]
    return notebook


def dee(assignment, notebook):
    """Dee's submission: mostly right, with one kind of trouble per notebook."""
    answer(notebook, right_answers(assignment))
    ids = [meta(c).get("grade_id") for c in notebook.cells]
    assignment = base(assignment)
    if assignment == "ex01":
        answer(notebook, {"mul_backward": with_bodies("mul_backward", "while True:\n    pass")})
        notebook.cells.insert(ids.index("intro") + 1, nbformat.v4.new_code_cell(WIDGET_CELL))
    elif assignment == "ex02":
        answer(notebook, {"neuron_flat": with_bodies("neuron_flat", "return 1 / 0")})
        answer(
            notebook,
            {"sigmoid_function": "import a_module_that_does_not_exist\n\n" + right_answers("ex02")["sigmoid_function"]},
        )
    elif assignment == "ex03":
        answer(notebook, {"norm_wx_backward": MISTAKES["norm_wx_backward"], "test_norm_wx_backward": FAKE_SUCCESS})
        del notebook.cells[ids.index("test_square_map_jacobian")]
    elif assignment == "ex04":
        answer(notebook, {"intro": "# my notes\n\nI rewrote the instructions.", "setup": "import numpy as np"})
    elif assignment == "ex05":
        answer(notebook, {"classify_critical_point": MISTAKES["classify_critical_point"]})
    elif assignment == "ex06":
        answer(notebook, {"layer_gradient": MISTAKES["layer_gradient"]})
    return notebook


def submission(student, assignment, notebook):
    if student == "ada":
        return answer(notebook, right_answers(assignment))
    if student == "ben":
        return notebook
    if student == "cy":
        return answer(notebook, {key: MISTAKES[key] for key in right_answers(assignment)})
    return dee(assignment, notebook)


def expected_scores(student, assignment):
    """{test cell id: score} that autograde must give."""
    full = points(assignment)
    if student == "ada":
        return full
    if student in ("ben", "cy"):
        return dict.fromkeys(full, 0.0)
    zero = {
        "ex01": ["test_mul_backward"],
        "ex02": ["test_neuron_flat", "test_sigmoid_function"],
        "ex03": ["test_norm_wx_backward"],
        "ex04": [],
        "ex05": [grade_cell_after("classify_critical_point")],
        "ex06": [grade_cell_after("layer_gradient")],
    }[base(assignment)]
    return {cell: 0.0 if cell in zero else score for cell, score in full.items()}


# --- running nbgrader ---------------------------------------------------------------------------


class Nbgrader:
    """``nbgrader <argv>`` in a directory, through tests/nbgrader_runner.py in the nbgrader venv."""

    def __init__(self, env):
        self.process = subprocess.Popen(
            [str(PYTHON), str(ROOT / "tests/nbgrader_runner.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert json.loads(self.process.stdout.readline()) == {"ready": True}
        self.log = []

    def __call__(self, cwd, *argv):
        self.process.stdin.write(json.dumps({"argv": list(argv), "cwd": str(cwd)}) + "\n")
        self.process.stdin.flush()
        start = time.perf_counter()
        result = json.loads(self.process.stdout.readline())
        self.log.append((argv, round(time.perf_counter() - start, 2)))
        assert result["returncode"] == 0, f"nbgrader {' '.join(argv)} (in {cwd}) failed:\n{result['output'][-4000:]}"
        return result["output"]

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=60)


def environment(tmp):
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "JUPYTER_PATH")}
    env["PATH"] = f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"  # the kernelspec's "python" is the venv's
    env["JUPYTER_DATA_DIR"] = str(tmp / "jupyter-data")  # no user kernelspec may stand in for the venv's
    env["JUPYTER_CONFIG_DIR"] = str(tmp / "jupyter-config")
    env["JUPYTER_RUNTIME_DIR"] = str(tmp / "jupyter-runtime")
    return env


def nbgrader_venv_or_skip():
    if PYTHON.exists():
        return
    message = f"{VENV.name} is missing: `make test` makes it (or `make {VENV.name}/.installed`)"
    if os.environ.get("CI"):
        pytest.fail(message + "; under CI the nbgrader round trip must run")
    pytest.skip(message)


class Classroom:
    """Everything the round trip left behind, for the tests below to look at."""

    def __init__(self, root):
        self.root = root
        self.course = root / "course"
        self.exchange = root / "exchange"
        self.homes = {student: root / "home" / student for student in STUDENTS}
        self.outputs = {}  # (command, assignment) -> log of that command

    def run(self, nbgrader):
        self.course.mkdir()
        self.exchange.mkdir()
        self.exchange.chmod(0o777)  # as docs/teaching.md says: every user writes there
        config = (ROOT / "docs/nbgrader_config.py").read_text(encoding="utf-8")
        config += (
            "\n# --- the test's course: a temporary exchange, a short timeout, one OS user for every student\n"
            f"c.Exchange.root = {str(self.exchange)!r}\n"
            f"c.Execute.timeout = {TIMEOUT}\n"
            "c.ExchangeCollect.check_owner = False\n"
        )
        (self.course / "nbgrader_config.py").write_text(config, encoding="utf-8")
        for home in self.homes.values():
            home.mkdir(parents=True)
            (home / "nbgrader_config.py").write_text(
                "c = get_config()\n"
                'c.CourseDirectory.course_id = "backprop"\n'
                f"c.Exchange.root = {str(self.exchange)!r}\n"
                f"c.Exchange.cache = {str(home / '.nbgrader-cache')!r}\n",
                encoding="utf-8",
            )
        for assignment, solution in ASSIGNMENTS.items():
            (self.course / "source" / assignment).mkdir(parents=True)
            shutil.copy(solution, self.course / "source" / assignment / solution.name)
            self.outputs["generate_assignment", assignment] = nbgrader(self.course, "generate_assignment", assignment)
            self.outputs["release_assignment", assignment] = nbgrader(self.course, "release_assignment", assignment)
            for student in students_of(assignment):
                home = self.homes[student]
                nbgrader(home, "fetch_assignment", assignment, f"--student={student}")
                path = home / assignment / solution.name
                nbformat.write(submission(student, assignment, nbformat.read(path, as_version=4)), path)
                nbgrader(home, "submit", assignment, f"--student={student}")
            for command in ("collect", "autograde", "generate_feedback", "release_feedback"):
                self.outputs[command, assignment] = nbgrader(self.course, command, assignment)
            for student in students_of(assignment):
                nbgrader(self.homes[student], "fetch_feedback", assignment, f"--student={student}")

    def scores(self):
        """{(student, assignment): {test cell id: score}} from the gradebook."""
        script = (
            "import json, sys\n"
            "from nbgrader.api import Gradebook\n"
            "scores = {}\n"
            "with Gradebook('sqlite:///' + sys.argv[1]) as gb:\n"
            "    for a in gb.assignments:\n"
            "        for s in gb.assignment_submissions(a.name):\n"
            "            for nb in s.notebooks:\n"
            "                scores[s.student.id + ' ' + a.name] = {g.name: g.score for g in nb.grades}\n"
            "print(json.dumps(scores))\n"
        )
        result = subprocess.run(
            [str(PYTHON), "-c", script, str(self.course / "gradebook.db")], capture_output=True, text=True, check=True
        )
        return {tuple(key.split()): value for key, value in json.loads(result.stdout).items()}

    def released(self, assignment):
        return nbformat.read(self.course / "release" / assignment / ASSIGNMENTS[assignment].name, as_version=4)

    def autograded(self, student, assignment):
        path = self.course / "autograded" / student / assignment / ASSIGNMENTS[assignment].name
        return nbformat.read(path, as_version=4)

    def fetched_feedback(self, student, assignment):
        """The feedback HTML the student fetched (exactly one)."""
        found = sorted((self.homes[student] / assignment / "feedback").glob("*/*.html"))
        assert len(found) == 1, f"{student} fetched {found} for {assignment}"
        return found[0].read_text(encoding="utf-8")


# The whole class runs once per test run: the module's tests share one xdist group (one worker), and the
# fixture lives for the session, so other tests run in between on that worker do not tear it down. (With
# pytest 9.2 the group was silently ignored, pytest-xdist#1386, and each worker ran the class: pytest < 9.2.)
@pytest.fixture(scope="session")
def classroom(tmp_path_factory):
    nbgrader_venv_or_skip()
    root = tmp_path_factory.mktemp("classroom")
    room = Classroom(root)
    nbgrader = Nbgrader(environment(root))
    try:
        room.run(nbgrader)
    finally:
        nbgrader.close()
        (root / "commands.json").write_text(json.dumps(nbgrader.log, indent=0), encoding="utf-8")
    room.scores_by_cell = room.scores()
    return room


# --- what the round trip must show ---------------------------------------------------------------


def test_the_round_trip_covers_every_exercise_and_student(classroom):
    english = ["ex01", "ex02", "ex03", "ex04", "ex05", "ex06"]
    assert sorted(ASSIGNMENTS) == sorted(english + [a + "ko" for a in english])
    assert sorted(classroom.scores_by_cell) == sorted((s, a) for a in ASSIGNMENTS for s in students_of(a))


@pytest.mark.parametrize(("student", "assignment"), [(s, a) for a in sorted(ASSIGNMENTS) for s in students_of(a)])
def test_each_test_cell_gets_exactly_its_score(classroom, student, assignment):
    assert classroom.scores_by_cell[student, assignment] == expected_scores(student, assignment)


def test_the_totals_are_the_lecture_exercises_points(classroom):
    totals = {a: sum(points(a).values()) for a in ASSIGNMENTS}
    assert totals["ex01"] == totals["ex01ko"] == 6.0  # 1 + 1 + 1 + 1 + 2
    assert totals["ex06"] == totals["ex06ko"] == 8.0  # 2 + 3 + 2 + 1
    ada = {a: sum(classroom.scores_by_cell["ada", a].values()) for a in ASSIGNMENTS}
    dee = sum(classroom.scores_by_cell["dee", "ex01"].values())
    assert ada == totals
    assert dee == 5.0  # the mul gate looped forever: 5 of 6


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_the_released_notebook_has_the_committed_student_notebooks_cells(classroom, assignment):
    released = classroom.released(assignment)
    committed = committed_student_notebook(assignment)
    assert [(c.cell_type, c.source) for c in released.cells] == [(c.cell_type, c.source) for c in committed.cells]
    assert all(c.outputs == [] for c in released.cells if c.cell_type == "code")


def solution_lines(assignment):
    """The code lines of the answers that only the solution has (not also quoted in the instructions)."""
    committed = committed_student_notebook(assignment)
    everything_students_get = re.sub(r"`", "", "\n".join(cell.source for cell in committed.cells))
    lines = set()
    for cell in solution_notebook(assignment).cells:
        if meta(cell).get("solution"):
            lines |= {line.strip() for line in cell.source.split("\n")}
    return {line for line in lines if line and "SOLUTION" not in line and line not in everything_students_get}


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_no_solution_or_hidden_test_reaches_a_student(classroom, assignment):
    ben_feedback = visible_text(classroom.fetched_feedback("ben", assignment))
    released = "\n".join(cell.source for cell in classroom.released(assignment).cells)
    secrets = solution_lines(assignment)
    assert len(secrets) >= 2
    for text, where in [(released, "the released notebook"), (ben_feedback, "ben's feedback")]:
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "quiet=True"):
            assert marker not in text, f"{marker!r} in {where} of {assignment}"
        leaked = [line for line in secrets if line in text]
        assert not leaked, f"solution lines in {where} of {assignment}: {leaked}"
    for student in students_of(assignment):
        feedback = classroom.fetched_feedback(student, assignment)
        assert "BEGIN HIDDEN TESTS" not in feedback and "quiet=True" not in feedback
    ada_feedback = visible_text(classroom.fetched_feedback("ada", assignment))
    assert secrets & set(ada_feedback.splitlines()) or any(line in ada_feedback for line in secrets), (
        "ada's own right answers should show in her feedback: the search above would have found a leak"
    )


def visible_text(page):
    """The text of an HTML page as a reader sees it (syntax highlighting splits code into many tags)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def warnings(output):
    return [line for line in output.splitlines() if "WARNING" in line]


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_autograde_warns_only_about_cells_a_student_changed(classroom, assignment):
    expected = {
        "ex03": [
            "Attribute 'checksum' for cell test_norm_wx_backward has changed!",
            "Missing grade cell test_square_map_jacobian encountered, adding to notebook",
        ],
        "ex04": [
            "Attribute 'checksum' for cell intro has changed!",
            "Attribute 'checksum' for cell setup has changed!",
        ],
    }.get(assignment, [])
    found = warnings(classroom.outputs["autograde", assignment])
    assert len(found) == len(expected), "\n".join(found)
    for line, text in zip(found, expected):
        assert text in line
    for command in ("generate_assignment", "release_assignment", "collect", "generate_feedback", "release_feedback"):
        assert warnings(classroom.outputs[command, assignment]) == [], command


def check_output(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_typical_mistakes_score_zero_and_their_feedback_shows_the_checkers_hints(classroom):
    for assignment in ASSIGNMENTS:
        autograded = classroom.autograded("cy", assignment)
        feedback = visible_text(classroom.fetched_feedback("cy", assignment))
        for cell in grade_cells(autograded):
            printed = check_output(cell)
            assert printed.startswith("✗ "), f"{meta(cell)['grade_id']}: {printed!r}"
            assert [o.name for o in cell.outputs if o.output_type == "stream"] == ["stderr"]
            assert printed.strip() in feedback


def test_an_untouched_release_says_not_implemented_yet_in_every_check(classroom):
    for assignment in ASSIGNMENTS:
        said = "아직 구현하지" if assignment.endswith("ko") else "not implemented yet"
        for cell in grade_cells(classroom.autograded("ben", assignment)):
            assert said in check_output(cell)
            assert not [o for o in cell.outputs if o.output_type == "error"]


def test_an_infinite_loop_is_interrupted_scored_zero_and_grading_goes_on(classroom):
    cells = {meta(c).get("grade_id"): c for c in classroom.autograded("dee", "ex01").cells}
    errors = [o for o in cells["test_mul_backward"].outputs if o.output_type == "error"]
    # autograde interrupts the kernel at the timeout (the kernel reports KeyboardInterrupt) and says why
    assert "CellTimeoutError" in [e.ename for e in errors]
    assert {e.ename for e in errors} <= {"KeyboardInterrupt", "CellTimeoutError"}
    for later in ("test_max_backward", "test_copy_backward", "test_sigmoid_backward"):
        assert check_output(cells[later]).startswith("✓ "), later


def test_a_students_widget_cell_is_not_graded_and_does_not_stall(classroom):
    autograded = classroom.autograded("dee", "ex01")
    widget = next(c for c in autograded.cells if c.source == WIDGET_CELL)
    assert "nbgrader" not in widget.metadata
    assert not [o for o in widget.outputs if o.output_type == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in widget.outputs)
    assert sorted(classroom.scores_by_cell["dee", "ex01"]) == sorted(points("ex01"))


def test_answers_that_raise_score_zero_with_a_readable_reason(classroom):
    cells = {meta(c).get("grade_id"): c for c in classroom.autograded("dee", "ex02").cells}
    assert "raised ZeroDivisionError" in check_output(cells["test_neuron_flat"])
    errors = [o for o in cells["test_sigmoid_function"].outputs if o.output_type == "error"]
    assert [e.ename for e in errors] == ["NameError"]  # the class was never defined
    assert check_output(cells["test_multiply_function"]).startswith("✓ ")


def test_edited_or_deleted_locked_cells_are_put_back_before_grading(classroom):
    ex03 = {meta(c).get("grade_id"): c for c in classroom.autograded("dee", "ex03").cells}
    assert ex03["test_norm_wx_backward"].source == "check_norm_wx_backward(norm_wx_backward);"
    assert check_output(ex03["test_norm_wx_backward"]).startswith("✗ norm_wx_backward")
    assert "check_square_map_jacobian(square_map_jacobian);" in ex03["test_square_map_jacobian"].source
    ex04 = {meta(c).get("grade_id"): c for c in classroom.autograded("dee", "ex04").cells}
    solution = {meta(c).get("grade_id"): c for c in solution_notebook("ex04").cells}
    assert ex04["intro"].source == solution["intro"].source
    assert ex04["setup"].source == solution["setup"].source


@pytest.mark.parametrize("student", STUDENTS)
def test_each_student_fetches_feedback_with_their_total(classroom, student):
    for assignment in [a for a in ASSIGNMENTS if student in students_of(a)]:
        feedback = classroom.fetched_feedback(student, assignment)
        total = sum(expected_scores(student, assignment).values())
        maximum = sum(points(assignment).values())
        # nbgrader's feedback template shows "Score: 5.0 / 6.0" at the top
        assert re.search(rf"Score:\s*{total:g}(\.0)?\s*/\s*{maximum:g}(\.0)?", feedback), (student, assignment)


def test_every_test_cell_is_the_same_in_solution_and_release(classroom):
    """What keeps nbgrader's checksums stable: a test cell has no hidden part."""
    for assignment in ASSIGNMENTS:
        solution = [c.source for c in grade_cells(solution_notebook(assignment))]
        released = [c.source for c in grade_cells(classroom.released(assignment))]
        assert solution == released
        assert all(re.fullmatch(r"check_\w+\(\w+\);", source) for source in solution), solution


def test_the_korean_exercises_hints_are_korean_in_autograde_and_feedback(classroom):
    """The Korean release's language cell runs under autograde: every check speaks Korean, the English ones do not."""
    hangul = re.compile("[\uac00-\ud7a3]")
    for assignment in ASSIGNMENTS:
        for student in ("ada", "cy"):
            for cell in grade_cells(classroom.autograded(student, assignment)):
                printed = check_output(cell)
                assert bool(hangul.search(printed)) == assignment.endswith("ko"), (student, assignment, printed)
