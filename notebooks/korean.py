"""Keep the Korean notebooks' code in step with the English ones, and check their structure.

Each Korean notebook (notebooks/ko/NN_x.ipynb, notebooks/ko/solutions/NN_x.ipynb) is its English
twin with Korean markdown and one extra code cell, tagged ``language``, right after the first code
cell. ``sync`` copies every other code cell's source (and metadata) from the English twin by
position; ``check`` lists what breaks the contract.

Usage: python notebooks/korean.py check|sync [KOREAN_NOTEBOOK ...]
"""

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
LANGUAGE_SOURCE = 'import backpropnb\nbackpropnb.set_language("ko")  # 탐색기·채점기·그림의 글을 한국어로'


def twin_of(korean):
    """The English notebook a Korean one translates: notebooks/ko/[solutions/]NN_x.ipynb -> notebooks/[solutions/]NN_x.ipynb."""
    korean = Path(korean).resolve()
    rel = korean.relative_to(HERE / "ko")
    return HERE / rel


def is_language_cell(cell):
    return cell.cell_type == "code" and "language" in cell.metadata.get("tags", [])


def without_language_cell(nb):
    return [c for c in nb.cells if not is_language_cell(c)]


def check(korean):
    """Problems of one Korean notebook against its English twin (an empty list when it keeps the contract)."""
    ko = nbformat.read(korean, as_version=4)
    en = nbformat.read(twin_of(korean), as_version=4)
    problems = []
    language = [i for i, c in enumerate(ko.cells) if is_language_cell(c)]
    first_code = next((i for i, c in enumerate(ko.cells) if c.cell_type == "code"), None)
    if len(language) != 1:
        problems.append(f"{korean}: {len(language)} cells tagged 'language'; there must be exactly one")
    elif first_code is None or language[0] != first_code + 1:
        problems.append(f"{korean}: the language cell is cell {language[0]}; it goes right after the first code cell")
    elif ko.cells[language[0]].source.strip() != LANGUAGE_SOURCE:
        problems.append(f"{korean}: the language cell's source differs from the contract's two lines")
    cells = without_language_cell(ko)
    if len(cells) != len(en.cells):
        problems.append(f"{korean}: {len(cells)} cells besides the language cell, English has {len(en.cells)}")
    for i, (k, e) in enumerate(zip(cells, en.cells)):
        if k.cell_type != e.cell_type:
            problems.append(f"{korean}: cell {i} is {k.cell_type}, English has {e.cell_type}")
        elif k.cell_type == "code" and k.source != e.source:
            problems.append(f"{korean}: code cell {i} differs from English; run: python notebooks/korean.py sync")
        if k.metadata.get("nbgrader") != e.metadata.get("nbgrader"):
            problems.append(f"{korean}: cell {i}'s nbgrader metadata differs from English")
    return problems


def sync(korean):
    """Copy the code cells' source and metadata from the English twin into ``korean`` by position (language cell kept)."""
    ko = nbformat.read(korean, as_version=4)
    en = nbformat.read(twin_of(korean), as_version=4)
    cells = without_language_cell(ko)
    if len(cells) != len(en.cells):
        raise SystemExit(f"{korean}: {len(cells)} cells besides the language cell, English has {len(en.cells)}")
    changed = 0
    for k, e in zip(cells, en.cells):
        if k.cell_type != e.cell_type:
            raise SystemExit(f"{korean}: cell types differ from English ({k.cell_type} vs {e.cell_type})")
        if k.cell_type == "code" and (k.source != e.source or k.metadata != e.metadata):
            k.source, k.metadata = e.source, e.metadata
            changed += 1
    if changed:
        nbformat.write(ko, korean)
    return changed


def korean_notebooks():
    """Every Korean tutorial and solution notebook (exercises are made from the solutions)."""
    return sorted((HERE / "ko").glob("[0-9]*.ipynb")) + sorted((HERE / "ko" / "solutions").glob("[0-9]*.ipynb"))


def main(argv):
    if not argv or argv[0] not in {"check", "sync"}:
        raise SystemExit(__doc__)
    files = [Path(a) for a in argv[1:]] or korean_notebooks()
    if argv[0] == "sync":
        for f in files:
            print(f"{f}: {sync(f)} code cells copied from English")
        return 0
    problems = [p for f in files for p in check(f)]
    print("\n".join(problems) or f"{len(files)} Korean notebooks keep the contract")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
