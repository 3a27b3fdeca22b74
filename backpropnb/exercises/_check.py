"""Shared machinery for the exercise checkers: run a student's code, compare, explain.

A checker is a plain function decorated with :func:`checker`. Its body calls the
student's code through :func:`call` and compares results with :func:`expect_close`
(or raises :class:`CheckFailed` with its own hint). The decorator turns the outcome
into one printed line and a boolean:

- the student's cell still raises ``NotImplementedError`` -> prints
  "<title>: not implemented yet ..." and returns False (no traceback, so the
  student notebook still runs from top to bottom);
- a comparison fails -> prints "✗ <title>: <specific hint>" and returns False;
- any other exception in the student's code -> prints its type and message as
  a hint and returns False;
- everything passes -> prints "✓ <title>: ..." and returns True.

The ✓ line goes to stdout, the other two to **stderr**: Jupyter shows them in red,
and ``nbgrader autograde`` scores an autograder test cell that writes to stderr 0,
exactly as one that raises. So a test cell is just ``check_mul_backward(mul_backward);``,
the same in the solution and the student notebook, with no hidden test in it
(nbgrader's hidden tests make it log a spurious checksum warning for every cell).
Every checker takes ``quiet=False``; ``quiet=True`` prints nothing.

Writing a checker (this is the whole recipe)::

    from backpropnb.finite_differences import numeric_gradient
    from ._check import call, checker, expect_close, random_generator

    @checker("square_backward")
    def check_square_backward(square_backward):
        for x in [3.0, -1.5]:                             # fixed inputs first
            got = call(square_backward, x, 1.0)
            expect_close("dL/dx", got, 2 * x, at=f"x={x}")
        rng = random_generator()                          # then seeded random ones
        x = rng.normal()
        expect_close("dL/dx", call(square_backward, x, 1.0),
                     numeric_gradient(lambda v: v * v, x), at=f"x={x:.4g}")

>>> @checker("double")
... def check_double(double):
...     expect_close("2x", call(double, 3.0), 6.0, at="x=3")
>>> check_double(lambda x: 2 * x)
✓ double: all checks passed.
True
>>> check_double(lambda x: 3 * x)
✗ double: 2x is off at x=3: expected 6, got 9.
False
>>> def stub(x):
...     raise NotImplementedError("fill me in")
>>> check_double(stub)
double: not implemented yet (fill in the cell above, run it, then run this cell again).
False
"""

from __future__ import annotations

import functools
import sys

import numpy as np

from ..formatting import format_values
from ..i18n import get_language, text

__all__ = [
    "CheckFailed",
    "call",
    "checker",
    "expect_close",
    "expect_shape",
    "expect_tuple",
    "describe",
    "random_generator",
    "to_array",
]

SEED = 498  # fixed, so a checker's "random" inputs (and its printed hints) are reproducible


class CheckFailed(Exception):
    """A check did not pass; the message is the hint shown to the student."""


class _NotImplementedYet(Exception):
    """The student's code still raises NotImplementedError."""


def checker(title):
    """Decorate a checker body; the result prints one line and returns True/False.

    The wrapped function takes the same arguments plus ``quiet=False``.

    >>> @checker("always fine")
    ... def check_nothing():
    ...     pass
    >>> check_nothing(quiet=True)
    True
    """

    def decorate(body):
        summary = (body.__doc__ or "").strip().splitlines()[0:1]

        def expected():
            if not summary:
                return ""
            what = summary[0].removeprefix("Check ")
            if get_language() != "en" and "``:" in what:  # the English explanation after the signature stays out
                what = what.split("``:")[0] + "``"
            return text("checkers.expected", what=what)

        @functools.wraps(body)
        def run(*args, quiet=False, **kwargs):
            def say(text, failed=True):
                if not quiet:  # sys.stderr/stdout looked up now: Jupyter and pytest replace them
                    print(text, file=sys.stderr if failed else sys.stdout)

            try:
                body(*args, **kwargs)
            except (_NotImplementedYet, NotImplementedError):
                say(text("checkers.not_implemented", title=title))
                return False
            except CheckFailed as failure:
                say(f"✗ {title}: {failure}")
                return False
            except Exception as error:  # an answer of a kind no check foresaw: still one line, never a traceback
                problem = f"{type(error).__name__}: {error}"
                say(text("checkers.unexpected", title=title, error=problem, expected=expected()))
                return False
            say(text("checkers.passed", title=title), failed=False)
            return True

        return run

    return decorate


def call(function, *args, expected="", **kwargs):
    """Call the student's ``function``; turn its exceptions into hints instead of tracebacks.

    NotImplementedError (also when raised deeper, e.g. inside the engine's
    backward pass) means "not implemented yet"; any other exception becomes a
    :class:`CheckFailed` naming it, followed by ``expected`` (what the answer should be).

    >>> call(lambda x: x + 1, 1)
    2
    """
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        raise _NotImplementedYet() from None
    except CheckFailed:
        raise
    except Exception as error:
        if _caused_by_not_implemented(error):
            raise _NotImplementedYet() from None
        name = getattr(function, "__name__", text("checkers.your_function"))
        expected = text("checkers.call_expected", what=expected) if expected else ""
        raise CheckFailed(text("checkers.raised", name=name, error=_explain(error), expected=expected)) from None


def _explain(error):
    """The error as the student should read it: its type, its message, and a hint for a typical mistake."""
    message = f"{type(error).__name__}: {error}"
    if isinstance(error, AttributeError) and "'backward'" in str(error) and "numpy" in str(error):
        return message + text("checkers.hint.numpy_backward")
    if isinstance(error, ValueError) and ("matmul" in str(error) or "not aligned" in str(error)):
        # numpy's gufunc message is unreadable for a learner; say what it means
        return "ValueError: " + text("checkers.hint.matmul_shapes")
    return message


def _caused_by_not_implemented(error):
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, NotImplementedError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def to_array(value, label=None, expected=None):
    """A float numpy array from a number, array, Tensor or a list of them; None stays None.

    Anything else (a string, a dict, a ragged list …) is a :class:`CheckFailed`
    naming what it is, so no answer ever reaches numpy as something it cannot read.

    >>> to_array(2).dtype, to_array([1, 2]).shape
    (dtype('float64'), (2,))
    >>> to_array("0.5", "dL/dx")
    Traceback (most recent call last):
    ...
    backpropnb.exercises._check.CheckFailed: your dL/dx is of type str ('0.5'), not numbers: return a number or a numpy array.
    """
    if value is None:
        return None
    label = text("checkers.answer") if label is None else label
    expected = text("checkers.a_number_or_array") if expected is None else expected
    if hasattr(value, "data") and not isinstance(value, np.ndarray):
        value = value.data
    if isinstance(value, (list, tuple)):
        value = [to_array(v, label, expected) for v in value]
    problem = None
    if isinstance(value, (str, bytes, dict, set)) or callable(value):
        problem = ""
    else:
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as error:
            problem = f" ({error})"
    if problem is not None:
        raise CheckFailed(
            text(
                "checkers.not_numbers",
                label=label,
                type=type(value).__name__,
                value=describe(value),
                problem=problem,
                expected=expected,
            )
        )
    return array


def describe(value, limit=40):
    """A short one-line description of a student's answer, for a hint.

    >>> describe(np.zeros((2, 3))), describe("abc")
    ('an array of shape (2, 3)', "'abc'")
    """
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return text("checkers.array_of_shape", shape=value.shape)
    written = " ".join(repr(value).split())
    return written if len(written) <= limit else written[: limit - 1] + "…"


def expect_tuple(result, names, function):
    """The student's ``len(names)`` results as a tuple, or a hint naming what to return.

    >>> expect_tuple((1.0, 2.0), ["dL/dx", "dL/dy"], "add_backward")
    (1.0, 2.0)
    >>> expect_tuple(3.0, ["dL/dx", "dL/dy"], "add_backward")
    Traceback (most recent call last):
    ...
    backpropnb.exercises._check.CheckFailed: add_backward should return two values (dL/dx, dL/dy), e.g. `return dx, dy`; you returned a value of type float (3.0).
    """
    if isinstance(result, (tuple, list)) and len(result) == len(names):
        return tuple(result)
    what = text("checkers.value_of_type", type=type(result).__name__)
    if isinstance(result, (tuple, list)):
        what = text("checkers.sequence_of", type=type(result).__name__, count=len(result))
    plain = ", ".join(name.replace("dL/", "") for name in names)
    count = (
        text({2: "checkers.count.two", 3: "checkers.count.three"}[len(names)])
        if len(names) in (2, 3)
        else str(len(names))
    )
    raise CheckFailed(
        text(
            "checkers.return_values",
            function=function,
            count=count,
            names=", ".join(names),
            plain=plain,
            what=what,
            value=describe(result),
        )
    )


def expect_shape(label, got, shape, *, of=None):
    """Fail with "your <label> has shape (3,) but <of> has shape (3, 1)" unless shapes agree.

    >>> expect_shape("dL/dx", np.zeros(3), (3, 1), of="x")
    Traceback (most recent call last):
    ...
    backpropnb.exercises._check.CheckFailed: your dL/dx has shape (3,) but x has shape (3, 1); a gradient always has the shape of its variable.
    """
    if got is None:
        raise CheckFailed(text("checkers.none", label=label))
    shape = tuple(shape)
    wanted = text("checkers.array_of_shape", shape=shape) if shape else text("checkers.a_number")
    got_shape = np.shape(to_array(got, label, wanted))
    if got_shape != shape:
        of = text("checkers.the_input") if of is None else of
        raise CheckFailed(text("checkers.shape", label=label, got=got_shape, of=of, shape=shape))


def expect_close(label, got, expected, *, at="", of=None, hint="", mistakes=(), rtol=1e-6, atol=1e-8):
    """Fail with a specific hint unless ``got`` matches ``expected`` (shape first, then values).

    ``at`` says where (e.g. "x=2, y=3"), ``of`` names the variable whose shape the
    result must have (default: the part of the label after "/d", so "dL/dx" -> x),
    ``hint`` is appended on a value mismatch (e.g. "did you swap the inputs?").
    ``mistakes`` is a sequence of ``(wrong_value, hint)`` pairs: when ``got``
    equals one of the typical wrong answers, that hint is shown instead.

    >>> expect_close("dL/dy", 15.0, 10.0, at="x=2, y=3", hint="did you swap the inputs?")
    Traceback (most recent call last):
    ...
    backpropnb.exercises._check.CheckFailed: dL/dy is off at x=2, y=3: expected 10, got 15 (did you swap the inputs?).
    >>> expect_close("dL/dx", 3.0, 15.0, mistakes=[(3.0, "multiply by the upstream gradient")])
    Traceback (most recent call last):
    ...
    backpropnb.exercises._check.CheckFailed: dL/dx is off: expected 15, got 3 (multiply by the upstream gradient).
    """
    expected = to_array(expected)
    try:
        expect_shape(label, got, expected.shape, of=of or _variable_of(label))
    except CheckFailed as failure:
        if not hint:
            raise
        raise CheckFailed(f"{str(failure).rstrip('.')} ({hint}).") from None
    got = to_array(got, label)
    if np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=False):
        return
    for wrong, mistake in mistakes:
        wrong = to_array(wrong)
        if wrong.shape == got.shape and np.allclose(got, wrong, rtol=rtol, atol=atol):
            hint = mistake
            break
    where = text("checkers.at", at=at) if at else ""
    extra = f" ({hint})" if hint else ""
    wanted, answer = format_values(expected), format_values(got)
    raise CheckFailed(text("checkers.off", label=label, where=where, expected=wanted, got=answer, extra=extra))


def _variable_of(label):
    # "dL/dx" -> "x": the variable whose shape a gradient must have
    return label.split("/d", 1)[1] if "/d" in label else text("checkers.the_expected", label=label)


def random_generator(offset=0):
    """A numpy Generator with the checkers' fixed seed (``offset`` gives independent streams).

    >>> float(random_generator().normal()) == float(random_generator().normal())
    True
    """
    return np.random.default_rng(SEED + offset)
