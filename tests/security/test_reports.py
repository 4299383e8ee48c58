"""Report files are written safely (no stale file reads as current, no symlink followed, no input rewritten)
and the HTML report escapes every data-derived string."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reports import export
from tests.reports import synthetic
from tests.security.conftest import GERMAN_MODEL, assert_cli_refused, run_cli, write


@pytest.fixture(scope="module")
def result():
    return synthetic.full_result(n_groups=4)


def test_a_report_an_earlier_run_left_is_moved_aside(result, tmp_path: Path) -> None:
    export.write_report(result, tmp_path, ["json", "md"])
    export.write_report(result, tmp_path, ["json"])
    assert (tmp_path / "audit_report.json").exists()
    assert not (tmp_path / "audit_report.md").exists()


def test_a_failed_cli_run_does_not_leave_the_previous_report_unmarked(result, tmp_path: Path) -> None:
    export.write_report(result, tmp_path, ["json", "md"])
    proc = run_cli(
        "run", "--data", tmp_path / "missing.csv", "--model", GERMAN_MODEL, "--target", "credit_risk",
        "--protected", "sex", "--out", tmp_path, "--format", "json,md",
    )  # fmt: skip
    assert_cli_refused(proc, "missing.csv")
    stale = (tmp_path / "audit_report.json").exists() or (tmp_path / "audit_report.md").exists()
    assert not stale or any(p.name.startswith("RUN_FAILED") for p in tmp_path.iterdir())


def test_every_file_of_one_run_carries_the_same_run_id(result, tmp_path: Path) -> None:
    written = export.write_report(result, tmp_path, ["json", "md", "html"])
    run_id = json.loads(written["json"].read_text())["provenance"]["run_id"]
    assert run_id
    assert run_id in written["md"].read_text() and run_id in written["html"].read_text()
    second = export.write_report(result, tmp_path, ["json"])
    assert json.loads(second["json"].read_text())["provenance"]["run_id"] != run_id


@pytest.mark.parametrize("planted", [".audit_report.json.tmp", "audit_report.json", ".audit_report.md.tmp"])
def test_a_planted_symlink_is_not_followed(planted: str, result, tmp_path: Path) -> None:
    victim = write(tmp_path / "victim.txt", "do not overwrite")
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(victim, out / planted)
    export.write_report(result, out, ["json", "md"])
    assert victim.read_text() == "do not overwrite"
    assert not (out / "audit_report.json").is_symlink()
    assert json.loads((out / "audit_report.json").read_text())["sections"]


def test_report_refuses_to_overwrite_its_own_input(result, tmp_path: Path) -> None:
    source = export.write_report(result, tmp_path, ["json"])["json"]
    before = source.read_bytes()
    proc = run_cli("report", source, "--out", tmp_path, "--format", "json,md")
    assert_cli_refused(proc, "audit_report.json")
    assert source.read_bytes() == before


def test_report_refuses_its_input_reached_through_another_spelling(result, tmp_path: Path) -> None:
    source = export.write_report(result, tmp_path / "a", ["json"])["json"]
    before = source.read_bytes()
    os.symlink(tmp_path / "a", tmp_path / "b")
    proc = run_cli(
        "report", tmp_path / "b" / "audit_report.json", "--out", tmp_path / "a" / ".", "--format", "json"
    )
    assert_cli_refused(proc)
    assert source.read_bytes() == before


# --- HTML escaping ---------------------------------------------------------------------------------------------------
def test_the_html_report_escapes_group_values_and_names(injected_result, tmp_path: Path) -> None:
    html = export.write_report(injected_result, tmp_path, ["html"])["html"].read_text()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert '<img src="http://attacker' not in html
    # the hostile values are still shown, as text
    assert "&lt;img" in html
