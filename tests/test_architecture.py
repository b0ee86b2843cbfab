"""Layering contracts: the four rooms, and the core never pulls in Qt or OpenCV."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).parents[1]


@pytest.mark.parametrize("module", ["gatescan.gate.verify.verifier",
                                    "gatescan.protocol.manifest", "gatescan.protocol.token"])
def test_core_modules_import_without_qt_or_opencv(module: str) -> None:
    """Import in a fresh interpreter and check what got loaded (catches indirect imports)."""
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'PySide6', 'cv2'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == ""


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    assert lint.exists(), "import-linter is a dev dependency: packaging/setup.sh installs it"
    out = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


GATE_ONLY = ("PySide6", "cv2", "numpy", "zxingcpp", "pyzbar", "httpx", "gpiozero", "serial")
SERVER_ONLY = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "psycopg", "jinja2", "argon2",
               "segno")


@pytest.mark.parametrize(("modules", "forbidden"), [
    # what `gatescan-server serve` loads: the app, every route, the CLI
    (["gatescan.server.cli", "gatescan.server.api.app"], GATE_ONLY),
    # what the gate loads: its CLI, the window, sync, the ledger
    (["gatescan.gate.cli", "gatescan.gate.ui.app", "gatescan.gate.sync.engine",
      "gatescan.gate.ui.run"], SERVER_ONLY),
])
def test_each_side_runs_without_the_other_sides_dependencies(modules: list[str],
                                                             forbidden: tuple[str, ...]) -> None:
    """At run time, not only statically: building the app loads none of the other extra."""
    code = f"import sys, tempfile, pathlib, {', '.join(modules)}\n"
    if "gatescan.server.api.app" in modules:
        code += ("from gatescan.server.settings import load_settings\n"
                 "gatescan.server.api.app.create_app("
                 "load_settings(pathlib.Path(tempfile.mkdtemp())))\n")
    code += (f"bad = sorted({{m.split('.')[0] for m in sys.modules}} & {set(forbidden)!r})\n"
             "print(','.join(bad))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == ""


def _module_cycles(graph: grimp.ImportGraph, under: str) -> list[list[str]]:
    """Import cycles (strongly connected groups of 2+ modules) among the modules in `under`."""
    modules = sorted(m for m in graph.modules if m == under or m.startswith(under + "."))
    inside = set(modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & inside) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in edges[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in modules:
        if module not in index:
            visit(module)
    return cycles


@pytest.fixture(scope="module")
def import_graph() -> grimp.ImportGraph:
    """Every import in gatescan, function-level and TYPE_CHECKING ones included."""
    return grimp.build_graph("gatescan")


@pytest.mark.parametrize("room", ["gatescan.gate", "gatescan.server", "gatescan.protocol",
                                  "gatescan.demo"])
def test_no_import_cycles_between_modules(import_graph: grimp.ImportGraph, room: str) -> None:
    """Defect: the sync engine imported enroll (for the UI's services) and enroll the engine."""
    assert _module_cycles(import_graph, room) == []


def test_the_gates_packages_do_not_import_each_other_in_a_circle(
        import_graph: grimp.ImportGraph) -> None:
    """verify, ledger, camera, sync, actuators, ui: each sibling set is acyclic, recursively."""
    for package in sorted(m for m in import_graph.modules
                          if m.startswith("gatescan.gate") and import_graph.find_children(m)):
        assert import_graph.nominate_cycle_breakers(package) == set(), package


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert _module_cycles(graph, "pkg") == [["pkg.a", "pkg.b"]]
