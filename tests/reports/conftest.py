"""Shared fixtures of the report tests: hand-built results (fast) and one real German-credit audit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from audits import AuditConfig, AuditResult, Policy, run_audit
from tests.reports import synthetic

ROOT = Path(__file__).resolve().parents[2]
GERMAN = ROOT / "sample_data" / "german_credit"


@pytest.fixture(scope="session")
def full_result() -> AuditResult:
    """Every section filled by hand: 200 region groups (Unicode and a very long name), emissions, SHAP."""
    return synthetic.full_result(n_groups=200)


@pytest.fixture(scope="session")
def small_result() -> AuditResult:
    """The same sections with 8 region groups (quick to render)."""
    return synthetic.full_result(n_groups=8)


@pytest.fixture(scope="session")
def german_result() -> AuditResult:
    """A real audit of the bundled German-credit model (300 rows), whatever sections are implemented."""
    cfg = AuditConfig.from_yaml(GERMAN / "audit.yaml")
    cfg = cfg.replace(policy=Policy(n_bootstrap=200), explain_sample_size=200)
    return run_audit(GERMAN / "german_credit_test.csv", model=GERMAN / "german_logreg.skops", config=cfg)


def pdf_text(data: bytes) -> list[str]:
    """Text of every page of a PDF, read back with pypdf."""
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]
