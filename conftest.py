"""Make two test tools show what a learner sees.

- Doctests show stderr too, as a terminal does. Python's doctest compares only stdout; the
  exercise checkers print their failure lines to stderr (so that nbgrader scores a failed check
  cell 0, see backpropnb/exercises/_check.py). While a doctest runs, stderr writes go to whatever
  sys.stdout is at that moment (doctest's own capture), so a docstring can show a failure line.
- nbval executes cells like Jupyter does, with input history. nbval 0.11 runs every cell with
  ``store_history=False``; IPython then cannot see a cell's trailing ``;`` (it reads it from the
  history) and shows the value that ``check_mul_backward(mul_backward);`` returns, which no
  front end (JupyterLab, nbclient, nbgrader) shows.
"""

import sys

import pytest
from _pytest.doctest import DoctestItem


class _StderrToCurrentStdout:
    encoding = "utf-8"

    def write(self, text):
        return sys.stdout.write(text)

    def flush(self):
        sys.stdout.flush()


@pytest.hookimpl(hookwrapper=True, trylast=True)  # innermost: after pytest's capture has set sys.stderr
def pytest_runtest_call(item):
    if not isinstance(item, DoctestItem):
        yield
        return
    saved, sys.stderr = sys.stderr, _StderrToCurrentStdout()
    try:
        yield
    finally:
        sys.stderr = saved


def _execute_with_history(self, cell_input, allow_stdin=None):
    return self.kc.execute(cell_input, store_history=True, allow_stdin=allow_stdin, stop_on_error=False)


try:
    from nbval.kernel import RunningKernel
except ImportError:  # nbval is a test tool; without it there is nothing to adjust
    pass
else:
    RunningKernel.execute_cell_input = _execute_with_history
