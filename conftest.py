"""Doctests show what a terminal shows: stderr too.

Python's doctest compares only stdout; the exercise checkers print their failure lines to stderr
(so that nbgrader scores a failed check cell 0, see backpropnb/exercises/_check.py). Here, while a
doctest runs, stderr writes go to whatever sys.stdout is at that moment (doctest's own capture),
so a docstring can show a failure line as a learner sees it.
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
