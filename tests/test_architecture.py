"""The house's rules (docs/ARCHITECTURE.md), checked by reading the code's imports.

Each module's imports are read with `ast` (nothing is imported): the packages of the
project import one another in one direction only, the clinical core imports no
Django model, and no module imports inside a function to dodge a cycle.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("clinical", "base", "patients", "alerts", "accounts", "fhir", "symptom_tracker")

# Which packages each may import: the layers, lowest first. symptom_tracker is the
# project package (settings, URLs, Celery): it wires everything and nothing imports it.
MAY_IMPORT = {
    "clinical": set(),
    "base": set(),
    "patients": {"clinical", "base"},
    "alerts": {"clinical", "base", "patients"},
    "accounts": {"clinical", "base", "patients"},
    # FHIR R4 views of the record: reads patients and alerts; nothing imports it.
    "fhir": {"clinical", "base", "patients", "alerts", "accounts"},
    "symptom_tracker": {"clinical", "base", "patients", "alerts", "accounts", "fhir"},
}


def source_files() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _resolve(path: Path, node: ast.ImportFrom) -> list[str]:
    """The modules an ImportFrom brings in: `from .services import delivery` is the
    module alerts.services.delivery when it exists, else alerts.services."""
    if node.level:
        base = module_name(path).split(".")
        if not is_package(path):
            base.pop()
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join([*base, node.module] if node.module else base)
    else:
        prefix = node.module or ""
    found = []
    for alias in node.names:
        candidate = f"{prefix}.{alias.name}"
        as_file = ROOT / (candidate.replace(".", "/") + ".py")
        as_package = ROOT / candidate.replace(".", "/") / "__init__.py"
        found.append(candidate if as_file.exists() or as_package.exists() else prefix)
    return found


def imports(path: Path) -> list[tuple[str, int, bool]]:
    """(module imported, line, inside a function) for every import of a file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                found.extend((name, child.lineno, in_function) for name in _resolve(path, child))
            visit(child, nested)

    visit(tree, False)
    return found


def ours(module: str) -> str | None:
    top = module.split(".")[0]
    return top if top in PACKAGES else None


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle in `graph` (as the list of its nodes, the first repeated at the end),
    or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def walk(node):
        state[node] = "open"
        stack.append(node)
        for following in sorted(graph.get(node, ())):
            if state.get(following) == "open":
                return [*stack[stack.index(following) :], following]
            if following not in state and (cycle := walk(following)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := walk(node)):
            return cycle
    return None


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {package: set() for package in PACKAGES}
    for path in source_files():
        here = ours(module_name(path))
        for module, _line, _in_function in imports(path):
            there = ours(module)
            if there and there != here:
                graph[here].add(there)
    return graph


def module_graph() -> dict[str, set[str]]:
    """What each module imports when it is loaded (imports inside functions, such as
    AppConfig.ready's, run later and are left out)."""
    known = {module_name(path) for path in source_files()}
    graph = {}
    for path in source_files():
        name = module_name(path)
        graph[name] = {
            module
            for module, _line, in_function in imports(path)
            if not in_function and module in known and module != name
        }
    return graph


def test_the_packages_import_one_another_in_one_direction():
    graph = package_graph()
    assert find_cycle(graph) is None, f"a cycle between packages: {find_cycle(graph)}"
    wrong = {
        package: sorted(imported - MAY_IMPORT[package])
        for package, imported in graph.items()
        if imported - MAY_IMPORT[package]
    }
    assert wrong == {}, f"imports against the layers of docs/ARCHITECTURE.md: {wrong}"


def test_no_module_imports_another_that_imports_it_back():
    cycle = find_cycle(module_graph())
    assert cycle is None, f"modules importing in a circle: {' -> '.join(cycle)}"


def test_the_clinical_core_imports_no_model_and_no_app():
    for path in (ROOT / "clinical").rglob("*.py"):
        for module, line, _in_function in imports(path):
            assert not module.startswith("django.db"), f"{path}:{line} imports {module}"
            assert ours(module) in (None, "clinical"), f"{path}:{line} imports {module}"


def test_nothing_imports_inside_a_function_but_an_app_getting_ready():
    """An import inside a function hides a dependency (often a cycle). AppConfig.ready
    is where Django wants an app's tasks and signal receivers loaded, once models are."""
    hidden = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in source_files()
        for module, line, in_function in imports(path)
        if in_function and ours(module) and path.name != "apps.py"
    ]
    assert hidden == []


@pytest.mark.parametrize(
    "graph, cycle",
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": {"b"}}, ["b", "b"]),
    ],
)
def test_the_cycle_finder_finds_cycles(graph, cycle):
    assert find_cycle(graph) == cycle


def test_it_reads_relative_imports_as_the_modules_they_name():
    found = {module for module, _line, _nested in imports(ROOT / "alerts" / "tasks.py")}
    assert {"alerts.services.delivery", "alerts.models", "base.tasks"} <= found


@pytest.mark.django_db
def test_the_models_and_their_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
