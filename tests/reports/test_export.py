"""write_report / write_model_card: files per format, format parsing, and reading results back."""

from __future__ import annotations

import dataclasses
import json

import pytest

from audits.errors import AuditInputError
from audits.results import AuditResult
from reports.export import parse_formats, write_model_card, write_report


def test_write_report_in_every_format(small_result, tmp_path):
    written = write_report(small_result, tmp_path / "out", "json,md,html,pdf")
    assert set(written) == {"json", "md", "html", "pdf"}
    assert written["pdf"].read_bytes().startswith(b"%PDF")
    assert written["md"].read_text(encoding="utf-8").startswith("# Loan approval — logistic regression")
    loaded = AuditResult.load_json(written["json"])
    assert loaded.provenance.run_id  # a result without an id is given one when it is written
    assert dataclasses.replace(loaded, provenance=small_result.provenance) == small_result
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_rerender_a_saved_result(small_result, tmp_path):
    path = small_result.save_json(tmp_path / "result.json")
    again = AuditResult.load_json(path)
    written = write_report(again, tmp_path, ["md"], basename="again")
    assert written["md"].name == "again.md"


def test_write_model_card(small_result, tmp_path):
    written = write_model_card(small_result, tmp_path, card_info={"license": "mit"})
    assert set(written) == {"md", "json", "pdf"}
    assert "license: mit" in written["md"].read_text(encoding="utf-8")
    assert json.loads(written["json"].read_text(encoding="utf-8"))["info"]["license"] == "mit"


def test_unknown_formats_are_refused():
    with pytest.raises(AuditInputError, match="unknown format 'docx'"):
        parse_formats("md,docx")
    assert parse_formats("Markdown, .PDF,md") == ["md", "pdf"]
    with pytest.raises(AuditInputError, match="no format given"):
        parse_formats(" , ")
    with pytest.raises(AuditInputError, match="unknown format 'html'"):
        parse_formats("html", allowed=("md", "json", "pdf"))


def test_bad_card_info_fails_before_writing(small_result, tmp_path):
    with pytest.raises(AuditInputError, match="unknown key"):
        write_report(small_result, tmp_path / "none", ["md"], card_info={"owner": "x"})
    assert not (tmp_path / "none").exists()


def test_result_of_another_schema_version_is_a_clear_error(small_result, tmp_path):
    d = small_result.to_dict()
    d["schema_version"] = "0.9"
    path = tmp_path / "old.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(AuditInputError, match=r"schema version '0.9'.*Re-run the audit"):
        AuditResult.load_json(path)
