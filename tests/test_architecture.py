"""Import layers (DESIGN.md): dashboard -> reports -> audits, never back; nothing imports dashboard.

Read from the source with ast, so a lazy import inside a function is caught too.
"""

from __future__ import annotations

import ast
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
