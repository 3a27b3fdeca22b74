"""The package's layers point one way: widgets -> render -> trace/functional -> ops -> engine.

Read from the source with ``ast``, so a cycle or an arrow back up fails here
before it confuses a reader.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "backpropnb"
# each module may import (inside the package) only from layers below its own
LAYERS = {
    "i18n": -1,  # the words shown (string tables): the standard library only, every layer may use it
    "_memory": 0,  # a process setting (glibc's malloc): the standard library only
    "formatting": 0,  # numbers as text: numpy only
    "finite_differences": 0,  # the engine-free reference: numpy only
    "engine": 0,
    "ops": 1,
    "function": 2,
    "functional": 2,
    "trace": 2,
    "lecture": 2,
    "playground": 2,
    "render": 3,
    "exercises": 3,
    "widgets": 4,
}
ROOT = 5  # backpropnb/__init__.py gathers every layer: nothing below may import it
DISPLAY = {"graphviz", "matplotlib", "IPython", "ipywidgets"}


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path):
    """The absolute module names imported by the file at ``path`` (relative imports resolved)."""
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            # what is imported is each name (a submodule, or a name the package re-exports: see layer_of)
            found |= {f"{target}.{alias.name}" for alias in node.names}
    return found


def layer_of(name):
    """The layer of an imported name: its module's, the root's for ``backpropnb`` itself, None outside the package.

    A name the root re-exports (``from .. import tensor``) is in the layer of the module that defines it;
    a name in the package that no layer owns fails, so that nothing is skipped unseen.
    """
    parts = name.split(".")
    if parts[0] != "backpropnb":
        return None
    if len(parts) == 1:
        return ROOT
    if parts[1] in LAYERS:
        return LAYERS[parts[1]]
    if parts[1] == "__init__":
        return ROOT
    import backpropnb

    defined_in = getattr(getattr(backpropnb, parts[1], None), "__module__", None)
    assert defined_in and defined_in.startswith("backpropnb.") and defined_in.split(".")[1] in LAYERS, (
        f"{name}: no layer owns it; add its module to LAYERS"
    )
    return LAYERS[defined_in.split(".")[1]]


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down_only(name):
    own = layer_of(name)
    assert own is not None, name
    for target in imports_of(MODULES[name]):
        other = layer_of(target)
        same = len(target.split(".")) > 1 and len(name.split(".")) > 1 and target.split(".")[1] == name.split(".")[1]
        if other is not None and not same:
            assert other < own, f"{name} (layer {own}) imports {target} (layer {other}): arrows point down only"


def test_the_layer_test_sees_the_root_and_re_exported_names():
    """Not blind: ``import backpropnb`` is the root (above every layer), a re-exported name its own module's."""
    assert layer_of("backpropnb") == ROOT and layer_of("backpropnb.tensor") == LAYERS["engine"]
    assert layer_of("backpropnb.grad") == LAYERS["functional"] and layer_of("backpropnb._memory") == 0
    assert layer_of("backpropnb.draw") == LAYERS["render"]  # loaded on first use by the root's __getattr__


@pytest.mark.parametrize("name", [n for n in sorted(MODULES) if (layer_of(n) or 0) < 3])
def test_engine_layers_import_no_display_code(name):
    roots = {target.split(".")[0] for target in imports_of(MODULES[name])}
    assert not roots & DISPLAY, f"{name} imports display code {roots & DISPLAY}"


def test_no_import_cycle():
    graph = {name: {t for t in imports_of(path) if t in MODULES and t != name} for name, path in MODULES.items()}
    # a package's __init__ importing its own submodules is not a cycle of concern; drop those edges
    graph = {
        n: {t for t in ts if not (MODULES[n].name == "__init__.py" and t.startswith(n + "."))}
        for n, ts in graph.items()
    }
    state = {}

    def visit(node, path):
        state[node] = "open"
        for target in graph[node]:
            assert state.get(target) != "open", f"import cycle: {' -> '.join([*path, node, target])}"
            if target not in state:
                visit(target, [*path, node])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def tensor_private_slots():
    """A Tensor's private attributes (``_data``, ``_grad`` …): the engine's alone; ops read ``stored_data``."""
    from backpropnb.engine import Tensor

    return {name for name in Tensor.__slots__ if name.startswith("_") and not name.startswith("__")}


def engine_privates_used_by(path):
    """The engine's private names (``engine._x``, ``from .engine import _x``, ``t._data``) the module reads."""
    used, slots = set(), tensor_private_slots()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr in slots:
            used.add(f"Tensor.{node.attr}")
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "engine":
            used |= {node.attr} if node.attr.startswith("_") else set()
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] == "engine":
            used |= {alias.name for alias in node.names if alias.name.startswith("_")}
    return used


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n != "backpropnb.engine"))
def test_the_engine_is_reached_through_its_public_names_only(name):
    """ops (and every layer above) builds on the engine's public seam: on_plain_arrays, scalar_node, …"""
    assert not engine_privates_used_by(MODULES[name]), f"{name} reads engine privates; add a public name to the seam"


def test_the_seam_check_sees_a_private_read(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text("from . import engine\nfrom .engine import _stored\nengine._plain_arrays\n")
    assert engine_privates_used_by(source) == {"_stored", "_plain_arrays"}


def test_the_seam_check_sees_a_read_of_a_tensors_private_slot(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text("def numbers(x):\n    return x._data, x._grad, x.stored_data\n")
    assert engine_privates_used_by(source) == {"Tensor._data", "Tensor._grad"}
