"""Import layers (docs/architecture.md): dashboard -> reports -> audits, never back; nothing imports dashboard.

Read from the source with ast, so a lazy import inside a function is caught too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "audits": {"reports", "dashboard", "streamlit"},
    "reports": {"dashboard", "streamlit"},
}


def imported_top_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_rules(package):
    offenders = {
        str(p.relative_to(ROOT)): sorted(imported_top_modules(p) & FORBIDDEN[package])
        for p in _files(package)
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"{package} must not import {sorted(FORBIDDEN[package])}: {offenders}"


def test_nothing_imports_dashboard():
    others = [p for pkg in ("audits", "reports", "benchmarks", "sample_data") for p in _files(pkg)]
    offenders = [str(p.relative_to(ROOT)) for p in others if "dashboard" in imported_top_modules(p)]
    assert not offenders


def test_the_checker_sees_imports(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def f():\n    import streamlit as st\nfrom reports.pdf import render_pdf\n")
    assert {"streamlit", "reports"} <= imported_top_modules(f)


# --- import cycles ----------------------------------------------------------------------------------------------
# Every import of the product's own modules, at module level or inside a function, is an edge; an import under
# ``if TYPE_CHECKING:`` is not (it never runs). Importing ``a.b.c`` also runs the packages ``a.b`` and ``a``
# first, so those are edges too, except the packages that contain the importer (already initialised by then).
PACKAGES = ("audits", "reports", "dashboard")
# Known cycles, each edge named with the issue that removes it; keep this empty.
ALLOWED_EDGES: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside ``if TYPE_CHECKING:`` blocks."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return out


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The product modules ``path`` imports (see the rules above), including lazy imports in functions."""
    module = module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skip = _type_checking_nodes(tree)
    targets: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            targets |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node, path.name == "__init__.py")
            subs = {f"{base}.{a.name}" for a in node.names} & known
            targets |= subs or {base}
            if subs and len(subs) < len(node.names):
                targets.add(base)
    out: set[str] = set()
    own_packages = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 2)}
    for t in targets:
        parts = t.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            if name in known and name not in own_packages:
                out.add(name)
    out.discard(module)
    return out


def import_graph() -> dict[str, set[str]]:
    files = [p for pkg in PACKAGES for p in _files(pkg)]
    known = {module_name(p) for p in files}
    return {module_name(p): imported_modules(p, known) for p in files}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (as a closed path), or None."""
    from graphlib import CycleError, TopologicalSorter

    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        # graphlib lists each node before the nodes that depend on it: reversed, each module imports the next
        return list(reversed(exc.args[1]))
    return None


def test_no_import_cycles():
    graph = import_graph()
    for a, b in ALLOWED_EDGES:  # an edge already removed needs no allowance (then delete its line)
        graph[a] = graph.get(a, set()) - {b}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_check_sees_lazy_and_package_imports(tmp_path, monkeypatch):
    pkg = tmp_path / "audits"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from audits.sub.b import g\n")
    (pkg / "sub" / "__init__.py").write_text("from audits.c import h\n")
    (pkg / "sub" / "b.py").write_text("")
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from audits.a import f\nimport audits.a\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    known = {module_name(p) for p in _files("audits")}
    assert imported_modules(pkg / "a.py", known) == {"audits.sub.b", "audits.sub"}
    assert imported_modules(pkg / "c.py", known) == {"audits.a"}
    graph = {module_name(p): imported_modules(p, known) for p in _files("audits")}
    # a -> sub (package run first) -> c -> a, though every step but the last is lazy or a package
    assert set(find_cycle(graph) or []) == {"audits.a", "audits.sub", "audits.c"}


# --- section names, declared once ------------------------------------------------------------------------------
def test_sections_come_from_the_section_modules_and_match_the_config():
    from audits import config, runner

    assert [(m.NAME, m.TITLE) for m, _ in runner.SECTION_MODULES] == [(n, t) for n, t, _ in runner.SECTIONS]
    assert tuple(n for n, _, _ in runner.SECTIONS) == config.SECTION_NAMES
    assert len({n for n, _, _ in runner.SECTIONS}) == len(runner.SECTIONS)


@pytest.mark.parametrize("leaf", ["audits/group_labels.py", "audits/method.py", "audits/samples.py"])
def test_shared_helpers_are_leaves(leaf):
    graph = import_graph()
    assert graph[module_name(ROOT / leaf)] <= {"audits.errors"}, "a shared helper must not import the engine"


# --- result schema: readers go through the sections' typed views (audits/section_view.py) ------------------
# Readers of a SectionResult: the report renderers and CLI, the dashboard result pages, compare and store.
READER_FILES = (
    *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "reports").glob("*.py")),
    "dashboard/charts.py",
    "dashboard/components.py",
    "dashboard/services.py",
    *(
        f"dashboard/app_pages/{p}.py"
        for p in (
            "overview",
            "fairness",
            "data_quality",
            "explanations",
            "emissions",
            "history",
            "model_card",
        )
    ),
    "audits/compare.py",
    "audits/store.py",
)
SCHEMA_ATTRIBUTES = {"metrics", "tables"}


def direct_schema_reads(source: str) -> list[str]:
    """``x.metrics[...]``, ``x.tables[...]``, ``x.metrics.get(...)`` and ``x.tables.get(...)`` in ``source``:
    a reader picking a key out of a section result without its view."""
    out = []
    for node in ast.walk(ast.parse(source)):
        target = None
        if isinstance(node, ast.Subscript):
            target = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
            target = node.func.value
        if isinstance(target, ast.Attribute) and target.attr in SCHEMA_ATTRIBUTES:
            out.append(f"line {node.lineno}: {ast.unparse(node)[:80]}")
    return out


def test_the_schema_scan_sees_direct_reads():
    source = (
        "a = s.metrics['x']\nb = s.tables.get('groups:sex')\nc = view.table('x')\nd = s.metrics.items()\n"
    )
    assert [r.split(":")[0] for r in direct_schema_reads(source)] == ["line 1", "line 2"]


@pytest.mark.parametrize("path", READER_FILES)
def test_readers_use_the_section_views(path):
    offenders = direct_schema_reads((ROOT / path).read_text(encoding="utf-8"))
    assert not offenders, f"{path} reads section keys directly; use the section's view: {offenders}"
