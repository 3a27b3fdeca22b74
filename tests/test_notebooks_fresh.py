"""Stored notebook outputs are fresh: one top-to-bottom run made them, and running again changes nothing.

nbval checks the same outputs cell by cell; this test adds what nbval does not check (the stored
outputs come from a single in-order run, none is missing) and reports every stale cell of a notebook
at once, with a diff. Outputs are compared the way nbval compares them: per output key and MIME type,
images and widget model ids skipped, after the regexes of ``notebooks/sanitize.cfg``; cells tagged
``nbval-ignore-output`` or ``nbval-skip`` are not compared. Regenerate with
``.venv/bin/python notebooks/run_all.py``.
"""

from __future__ import annotations

import configparser
import copy
import difflib
import importlib.util
import json
import re
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
STORED = [  # both editions: the Korean notebooks store outputs too (drawings and checkers in Korean)
    path
    for folder in (NOTEBOOKS, NOTEBOOKS / "ko")
    for path in sorted(folder.glob("[0-9]*.ipynb")) + sorted((folder / "solutions").glob("[0-9]*.ipynb"))
]
IGNORED_TAGS = {"nbval-ignore-output", "nbval-skip"}
SKIPPED_KEYS = {
    "metadata",
    "traceback",
    "prompt_number",
    "output_type",
    "name",
    "execution_count",
    "application/vnd.jupyter.widget-view+json",
    "image/png",
    "image/jpeg",
}


def load_run_all():
    """notebooks/run_all.py, so the test executes notebooks exactly as the lead does."""
    spec = importlib.util.spec_from_file_location("run_all", NOTEBOOKS / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sanitizers(path=NOTEBOOKS / "sanitize.cfg"):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8")
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


SANITIZERS = sanitizers()


def sanitize(value):
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    for pattern, replacement in SANITIZERS:
        text = pattern.sub(replacement, text)
    return text


def compared(cell):
    """What nbval compares for a cell: {key or MIME type: [sanitized values]}; streams joined per name."""
    flat = defaultdict(list)
    streams = defaultdict(str)
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            streams[output["name"]] += output["text"]
            continue
        for key, value in output.items():
            if key == "data":
                for mime, content in value.items():
                    if mime not in SKIPPED_KEYS:
                        flat[mime].append(sanitize(content))
            elif key not in SKIPPED_KEYS:
                flat[key].append(sanitize(value))
    for name, text in streams.items():
        flat[f"stream:{name}"].append(sanitize(text))
    return dict(flat)


def checked_cells(notebook):
    return [
        (index, cell)
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and not IGNORED_TAGS & set(cell.metadata.get("tags", []))
    ]


def describe(output):
    return "\n".join(f"--- {key} ---\n{''.join(values)}" for key, values in sorted(output.items())).splitlines()


def test_the_sanitizers_cover_addresses_and_timings():
    assert sanitize("<object at 0x7f3a2b1c4d50>") == "<object at 0xADDRESS>"
    assert sanitize("took 12.5 ms per loop") == "took TIME per loop"
    assert sanitize("f = -12") == "f = -12"


@pytest.mark.parametrize("path", STORED, ids=[p.relative_to(NOTEBOOKS).as_posix() for p in STORED])
def test_stored_outputs_come_from_one_top_to_bottom_run(path):
    notebook = nbformat.read(path, as_version=4)
    counts = [cell.execution_count for cell in notebook.cells if cell.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts} show cells run out of order or not at all; "
        f"run .venv/bin/python notebooks/run_all.py {path.relative_to(NOTEBOOKS.parent)}"
    )


@pytest.mark.parametrize("path", STORED, ids=[p.relative_to(NOTEBOOKS).as_posix() for p in STORED])
def test_re_executing_changes_no_compared_output(path):
    stored = nbformat.read(path, as_version=4)
    fresh = load_run_all().execute(copy.deepcopy(stored), path.parent)
    stale = []
    for (index, old), (_, new) in zip(checked_cells(stored), checked_cells(fresh)):
        before, after = compared(old), compared(new)
        if before != after:
            diff = difflib.unified_diff(describe(before), describe(after), "stored", "fresh", lineterm="")
            stale.append(f"cell {index}:\n" + "\n".join(diff))
    assert not stale, (
        f"{path.name}: stored outputs are stale (regenerate with .venv/bin/python notebooks/run_all.py):\n"
        + "\n\n".join(stale)
    )
