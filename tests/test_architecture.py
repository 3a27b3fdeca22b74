"""ARCHITECTURE.md stays true: the paths it names exist, and it describes every layer the layer test knows."""

import re
from pathlib import Path

from test_layers import LAYERS

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "ARCHITECTURE.md").read_text()
QUOTED = re.findall(r"`([^`]+)`", TEXT)


def exists(name):
    """A path from the repository's root, from the package, or a file name found in the package."""
    return (ROOT / name).exists() or (ROOT / "backpropnb" / name).exists() or any(ROOT.glob(f"backpropnb/**/{name}"))


def test_every_path_it_names_exists():
    paths = [q for q in QUOTED if " " not in q and "NN" not in q and "<" not in q and re.search(r"/|\.(py|md)$", q)]
    assert len(paths) > 20  # it names its modules, so this test reads them
    missing = [p for p in paths if not exists(p)]
    assert not missing, f"ARCHITECTURE.md names paths that do not exist: {missing}"


def test_every_layer_of_the_layer_test_is_described():
    missing = [name for name in LAYERS if f"backpropnb/{name}" not in TEXT]
    assert not missing, f"ARCHITECTURE.md does not place these modules in a layer: {missing}"


def test_every_make_target_it_names_exists():
    targets = {q.split()[1] for q in QUOTED if q.startswith("make ")}
    makefile = (ROOT / "Makefile").read_text()
    assert targets >= {"test", "test-unit", "test-notebooks", "exercises"}
    missing = [t for t in targets if not re.search(rf"^{re.escape(t)}:", makefile, re.MULTILINE)]
    assert not missing, f"ARCHITECTURE.md names make targets the Makefile lacks: {missing}"


def test_the_seam_it_names_is_the_engines():
    from backpropnb import engine

    for name in ("attach_methods", "on_plain_arrays", "in_forward_mode", "scalar_node", "scalar_constant", "stored"):
        assert f"`{name}`" in TEXT or f"`engine.{name}`" in TEXT, name
        assert callable(getattr(engine, name)), name
