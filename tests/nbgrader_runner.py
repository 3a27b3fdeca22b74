"""Run ``nbgrader`` commands fast: import nbgrader once, then fork one child per command.

tests/test_nbgrader_roundtrip.py runs some sixty nbgrader commands (teacher and students). Each
``nbgrader`` process spends about 4 s of CPU importing jupyter_server, nbconvert and sqlalchemy
before it does anything, which alone would take minutes on CI's two cores. This script is started
once with the nbgrader venv's Python; it imports nbgrader, then reads one JSON request per line on
stdin, ``{"argv": ["autograde", "ex01"], "cwd": "/course"}``, and for each forks a child that runs
exactly what the ``nbgrader`` console script runs (``nbgrader.apps.nbgraderapp.main`` with that
argv, in that directory, with fresh application singletons), its stdout and stderr going to one
log. It answers with one JSON line, ``{"returncode": 0, "output": "...log..."}``.

Run by hand: ``echo '{"argv": ["--version"], "cwd": "."}' | .venv-nbgrader/bin/python tests/nbgrader_runner.py``
"""

import json
import os
import signal
import sys
import tempfile
import time

TIMEOUT = 600  # seconds for one command; a hung command is killed and reported


def run_child(argv, cwd, log_path):
    """In the forked child: run ``nbgrader *argv`` in ``cwd``, output to ``log_path``; never returns."""
    code = 1
    try:
        os.chdir(cwd)
        log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        sys.argv = ["nbgrader", *argv]
        from nbgrader.apps.nbgraderapp import main

        try:
            main()
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    except BaseException as error:  # report anything, never fall back into the parent's loop
        print(f"nbgrader_runner: {type(error).__name__}: {error}", file=sys.stderr)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def run(argv, cwd):
    with tempfile.NamedTemporaryFile(suffix=".log", delete=False) as handle:
        log_path = handle.name
    pid = os.fork()
    if pid == 0:
        run_child(argv, cwd, log_path)
    deadline = time.monotonic() + TIMEOUT
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            returncode = os.waitstatus_to_exitcode(status)
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            returncode = -signal.SIGKILL
            break
        time.sleep(0.02)
    with open(log_path, encoding="utf-8", errors="replace") as log:
        output = log.read()
    os.unlink(log_path)
    return {"returncode": returncode, "output": output}


def main():
    import nbgrader.apps.nbgraderapp  # noqa: F401  (the import every child then shares)

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        print(json.dumps(run(request["argv"], request["cwd"])), flush=True)


if __name__ == "__main__":
    main()
