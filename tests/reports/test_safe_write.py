"""Report files written safely: fresh private folder, atomic moves, no symlink followed, stale files moved
aside, one run id in every file, a failed run leaving nothing half-written."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from audits.errors import AuditInputError
from audits.results import AuditResult
from reports import export
from reports.cli import main
from reports.safe_write import RUN_FAILED, mark_failed, new_run_id, publish


def _staging_dirs(out: Path) -> list[Path]:
    return [p for p in out.iterdir() if p.name.startswith(".rai-audit-")]


def test_run_id_is_time_sortable_and_unique():
    ids = {new_run_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{32}", i) for i in ids)


def test_every_file_of_a_run_carries_the_same_run_id(small_result, tmp_path):
    written = export.write_report(
        small_result, tmp_path, "json,md,html,pdf", run_id="20260101T000000Z-abcdef12"
    )
    run = "20260101T000000Z-abcdef12"
    assert json.loads(written["json"].read_text(encoding="utf-8"))["provenance"]["run_id"] == run
    assert f"run {run}" in written["md"].read_text(encoding="utf-8").splitlines()[-1]
    assert re.search(
        rf"<footer[^>]*><p>[^<]*run {run}</p></footer>", written["html"].read_text(encoding="utf-8")
    )
    assert run in PdfReader(io.BytesIO(written["pdf"].read_bytes())).metadata.title
    # The run id is an addition to provenance: the result reads back unchanged.
    stamped = dataclasses.replace(
        small_result, provenance=dataclasses.replace(small_result.provenance, run_id=run)
    )
    assert AuditResult.load_json(written["json"]) == stamped


def test_model_card_files_carry_the_run_id(small_result, tmp_path):
    written = export.write_model_card(small_result, tmp_path, run_id="20260101T000000Z-00000001")
    assert json.loads(written["json"].read_text(encoding="utf-8"))["run_id"] == "20260101T000000Z-00000001"
    md = written["md"].read_text(encoding="utf-8")
    assert md.startswith("---\n") and "run 20260101T000000Z-00000001" in md


def test_files_of_an_earlier_run_not_rewritten_are_moved_aside(small_result, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    export.write_report(small_result, tmp_path, "json,md,html", run_id="20260101T000000Z-00000001")
    export.write_report(small_result, tmp_path, "json", run_id="20260101T000000Z-00000002")
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["audit_report.json", "notes.txt"]
    previous = tmp_path / "previous-20260101T000000Z-00000002"
    assert sorted(p.name for p in previous.iterdir()) == ["audit_report.html", "audit_report.md"]
    assert "run 20260101T000000Z-00000001" in (previous / "audit_report.md").read_text(encoding="utf-8")
    assert (tmp_path / "notes.txt").read_text() == "mine"  # files the product does not write are left alone
    assert not _staging_dirs(tmp_path)


def test_a_run_that_rewrites_everything_moves_nothing(small_result, tmp_path):
    export.write_report(small_result, tmp_path, "json,md")
    export.write_report(small_result, tmp_path, "json,md")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("previous-")]


def test_symlink_planted_at_the_final_name_is_replaced_not_followed(small_result, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "audit_report.md").symlink_to(victim)
    (out / "audit_report.json").symlink_to(tmp_path / "dangling-target.json")
    export.write_report(small_result, out, "json,md")
    assert victim.read_text() == "precious"
    assert not (tmp_path / "dangling-target.json").exists()
    for name in ("audit_report.md", "audit_report.json"):
        assert not (out / name).is_symlink() and (out / name).is_file()


@pytest.mark.parametrize("name", [".audit_report.md.tmp", ".audit_report.json.tmp", "audit_report.md.tmp"])
def test_symlink_planted_at_a_temporary_name_is_not_written_through(small_result, tmp_path, name):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / name).symlink_to(victim)
    export.write_report(small_result, out, "json,md")
    assert victim.read_text() == "precious"
    assert (out / name).is_symlink()  # a name the product does not own is left as it was


def test_stale_symlink_is_moved_aside_as_a_link(small_result, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "audit_report.html").symlink_to(victim)
    export.write_report(small_result, out, "json", run_id="20260101T000000Z-0000000a")
    moved = out / "previous-20260101T000000Z-0000000a" / "audit_report.html"
    assert moved.is_symlink() and victim.read_text() == "precious"


def test_publish_writes_files_exclusively_inside_a_private_folder(tmp_path, monkeypatch):
    seen = []
    real_open = os.open

    def spy(path, flags, *args, **kwargs):
        seen.append((Path(path), flags))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    publish(tmp_path, {"a.txt": b"x"}, run_id="20260101T000000Z-00000003")
    (path, flags), *_ = [s for s in seen if s[0].name == "a.txt"]
    assert path.parent.parent == tmp_path and path.parent.name.startswith(".rai-audit-")
    assert flags & os.O_EXCL and flags & os.O_CREAT and flags & os.O_NOFOLLOW
    assert (tmp_path / "a.txt").read_bytes() == b"x" and not _staging_dirs(tmp_path)


def test_a_render_failure_writes_nothing_and_keeps_the_earlier_files(small_result, tmp_path, monkeypatch):
    export.write_report(small_result, tmp_path, "json,md")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def boom(doc):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr("reports.html.document_to_html", boom)
    with pytest.raises(RuntimeError):
        export.write_report(small_result, tmp_path, "json,md,html")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert not _staging_dirs(tmp_path)


def test_mark_failed_moves_earlier_files_aside_and_names_the_error(tmp_path):
    (tmp_path / "audit_report.json").write_text("{}")
    note = mark_failed(
        tmp_path, run_id="20260101T000000Z-00000004", error="data.csv: boom", owned=["audit_report.json"]
    )
    assert note == tmp_path / RUN_FAILED
    text = note.read_text(encoding="utf-8")
    assert "20260101T000000Z-00000004" in text and "data.csv: boom" in text
    assert (tmp_path / "previous-20260101T000000Z-00000004" / "audit_report.json").exists()
    assert not (tmp_path / "audit_report.json").exists()
    assert mark_failed(tmp_path / "missing", run_id="x", error="e") is None
    assert not (tmp_path / "missing").exists()


def test_a_successful_run_moves_an_earlier_failure_note_aside(small_result, tmp_path):
    (tmp_path / RUN_FAILED).write_text("old failure")
    export.write_report(small_result, tmp_path, "json", run_id="20260101T000000Z-00000005")
    assert not (tmp_path / RUN_FAILED).exists()
    assert (tmp_path / "previous-20260101T000000Z-00000005" / RUN_FAILED).read_text() == "old failure"


@pytest.mark.parametrize("basename", ["../escape", "sub/dir", "/tmp/abs"])
def test_a_basename_that_is_a_path_is_refused(small_result, tmp_path, basename):
    with pytest.raises(AuditInputError, match="not a plain file name"):
        export.write_report(small_result, tmp_path / "out", "json", basename=basename)
    assert not (tmp_path / "escape.json").exists()


def test_failed_cli_run_marks_the_out_folder(german_paths, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "audit_report.json").write_text('{"old": true}')
    (out / "model_card.md").write_text("old card")
    code = main(
        [
            "run", "--data", str(german_paths["data"]), "--model", str(german_paths["model"]),
            "--target", "credit_risk", "--protected", "no_such_column", "--out", str(out), "--quiet",
        ]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == [RUN_FAILED]
    assert "no_such_column" in (out / RUN_FAILED).read_text(encoding="utf-8")
    (previous,) = [p for p in out.iterdir() if p.name.startswith("previous-")]
    assert sorted(p.name for p in previous.iterdir()) == ["audit_report.json", "model_card.md"]


def test_report_refuses_to_overwrite_its_own_input(small_result, tmp_path, capsys):
    saved = small_result.save_json(tmp_path / "audit_report.json")
    original = saved.read_bytes()
    for fmt in ("json", "md"):  # md would move the json aside: refused as well
        code = main(["report", str(saved), "--out", str(tmp_path), "--format", fmt])
        err = capsys.readouterr().err
        assert code == 2 and "its own input" in err and "Traceback" not in err
        assert saved.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit_report.json"]


def test_report_refuses_its_input_reached_through_another_spelling(small_result, tmp_path, capsys):
    saved = small_result.save_json(tmp_path / "audit_report.json")
    (tmp_path / "link").symlink_to(tmp_path, target_is_directory=True)
    code = main(
        ["report", str(tmp_path / "link" / "audit_report.json"), "--out", str(tmp_path), "--format", "md"]
    )
    assert code == 2 and "its own input" in capsys.readouterr().err
    assert AuditResult.load_json(saved) == small_result


def test_report_into_another_folder_writes_a_new_run(small_result, tmp_path, capsys):
    saved = small_result.save_json(tmp_path / "result.json")
    assert main(["report", str(saved), "--out", str(tmp_path / "r"), "--format", "json,md"]) == 0
    out = capsys.readouterr().out
    run_id = re.search(r"run id: (\S+)", out).group(1)
    assert json.loads((tmp_path / "r" / "audit_report.json").read_text())["provenance"]["run_id"] == run_id
    assert run_id in (tmp_path / "r" / "audit_report.md").read_text(encoding="utf-8")


def test_cli_says_which_earlier_files_it_moved_aside(small_result, tmp_path, capsys):
    saved = small_result.save_json(tmp_path / "result.json")
    out = tmp_path / "r"
    assert main(["report", str(saved), "--out", str(out), "--format", "json,md"]) == 0
    capsys.readouterr()
    assert main(["report", str(saved), "--out", str(out), "--format", "json"]) == 0
    printed = capsys.readouterr().out
    run_id = re.search(r"run id: (\S+)", printed).group(1)
    assert f"(audit_report.md) into {out / ('previous-' + run_id)}" in printed
