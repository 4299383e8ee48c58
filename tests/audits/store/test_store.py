"""AuditStore on SQLite and PostgreSQL: save, list, load, delete, accept, baselines, prune, export/import and bad
input (unknown run id, corrupt row, newer schemas, unreachable URL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from audits.errors import AuditInputError
from audits.results import AuditResult
from audits.store import VERSION_TABLE, AuditStore, audits, safe_url
from tests.audits.store.results import make_result


def test_save_then_load_returns_an_equal_result(store):
    result = make_result()
    run_id = store.save(result, tag="v1")
    assert len(run_id) == 32 and int(run_id, 16) >= 0
    assert store.load(run_id) == result


def test_saved_fields_and_headline_are_listed_without_the_json(store):
    run_id = store.save(make_result(model_name="Loan model"), tag="v1")
    [listed] = store.list()
    assert listed.run_id == run_id
    assert listed.model_name == "Loan model" and listed.tag == "v1" and listed.status == "pass"
    assert listed.dataset_sha256 == "aa" * 32 and listed.model_sha256 == "bb" * 32
    assert listed.started_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert listed.headline_value("metric", "accuracy") == pytest.approx(0.80)
    assert listed.headline_value("disparity", "sex:demographic_parity:ratio:between_groups") == pytest.approx(
        0.9
    )


def test_the_result_is_stored_compressed(store):
    run_id = store.save(make_result())
    with store._begin() as conn:
        blob, size = conn.execute(sa.select(audits.c.result, audits.c.result_bytes)).one()
    assert size == len(json.dumps(make_result().to_dict(), separators=(",", ":")).encode())
    assert len(blob) < size / 2
    assert store.get(run_id).result_bytes == size


def test_model_name_defaults_to_the_model_file_stem(store):
    store.save(make_result(model_file="models/german_logreg.skops"))
    assert store.list()[0].model_name == "german_logreg"


def test_list_filters_by_model_tag_and_since_newest_first(store):
    a = store.save(make_result(model_name="m1", started_at="2026-01-01T00:00:00+00:00"), tag="v1")
    b = store.save(make_result(model_name="m1", started_at="2026-02-01T00:00:00+00:00"), tag="v2")
    c = store.save(make_result(model_name="m2", started_at="2026-03-01T00:00:00+00:00"), tag="v1")
    assert [x.run_id for x in store.list()] == [c, b, a]
    assert [x.run_id for x in store.list(model="m1")] == [b, a]
    assert [x.run_id for x in store.list(tag="v1")] == [c, a]
    assert [x.run_id for x in store.list(since="2026-01-15")] == [c, b]
    assert [x.run_id for x in store.list(limit=1)] == [c]


def test_delete_removes_the_audit_and_its_headline(store):
    run_id = store.save(make_result())
    store.delete(run_id)
    assert store.list() == []
    with store._begin() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM headlines")).scalar_one() == 0
    with pytest.raises(AuditInputError, match=run_id):
        store.delete(run_id)


def test_unknown_run_id_is_named(store):
    with pytest.raises(AuditInputError, match="nope.*no audit with this run id"):
        store.load("nope")


def test_accept_and_baselines(store):
    old = store.save(make_result(model_name="m", started_at="2026-01-01T00:00:00+00:00"), tag="v1")
    new = store.save(make_result(model_name="m", started_at="2026-02-01T00:00:00+00:00"), tag="v2")
    assert store.baseline("m", "accepted") is None
    assert store.accept(old).accepted
    assert store.baseline("m", "accepted").run_id == old
    assert store.baseline("m", "last").run_id == new
    assert store.baseline("m", "last", exclude=new).run_id == old
    assert store.baseline("m", "v1").run_id == old  # a tag
    assert store.baseline("m", new).run_id == new  # a run id
    assert store.baseline("other", "last") is None
    with pytest.raises(AuditInputError, match="'v9'"):
        store.baseline("m", "v9")
    with pytest.raises(AuditInputError, match="zzz"):
        store.accept("zzz")


def test_prune_by_count_keeps_the_latest_of_each_model_and_accepted_audits(store):
    ids = [
        store.save(make_result(model_name="m", started_at=f"2026-01-{d:02d}T00:00:00+00:00"))
        for d in (1, 2, 3, 4)
    ]
    other = store.save(make_result(model_name="n"))
    store.accept(ids[0])
    assert store.prune(keep_last=2) == 1  # ids[1]; ids[0] is accepted
    assert {a.run_id for a in store.list()} == {ids[0], ids[2], ids[3], other}


def test_prune_by_age(store):
    now = datetime.now(UTC)
    old = store.save(make_result(started_at=(now - timedelta(days=40)).isoformat()))
    recent = store.save(make_result(started_at=(now - timedelta(days=1)).isoformat()))
    assert store.prune(older_than=timedelta(days=30)) == 1
    assert [a.run_id for a in store.list()] == [recent]
    assert old not in {a.run_id for a in store.list()}
    with pytest.raises(AuditInputError, match="older-than"):
        store.prune()


def test_export_then_import_into_another_store_round_trips(store, tmp_path):
    a = store.save(make_result(model_name="m"), tag="v1")
    store.accept(a)
    b = store.save(make_result(model_name="m", started_at="2026-02-01T00:00:00+00:00"))
    path = tmp_path / "audits.jsonl"
    assert store.export_jsonl(path) == 2
    other = AuditStore(f"sqlite:///{tmp_path / 'other.db'}")
    report = other.import_jsonl(path)
    assert (report.imported, report.skipped) == (2, 0)
    assert other.load(a) == store.load(a) and other.load(b) == store.load(b)
    assert other.get(a).accepted and other.get(a).tag == "v1"
    assert other.import_jsonl(path).skipped == 2  # importing twice adds nothing
    assert other.count() == 2


def test_import_refuses_a_bad_line_naming_it_and_writes_nothing(store, tmp_path):
    good = json.dumps({"run_id": "r1", "result": make_result().to_dict()})
    path = tmp_path / "bad.jsonl"
    path.write_text(good + "\n{not json\n")
    with pytest.raises(AuditInputError, match=r"bad.jsonl, line 2"):
        store.import_jsonl(path)
    assert store.count() == 0


def test_a_corrupt_row_names_its_run_id(store):
    run_id = store.save(make_result())
    with store._begin() as conn:
        conn.execute(audits.update().values(result=b"\x00garbage"))
    with pytest.raises(AuditInputError, match=f"run {run_id}: the stored result cannot be read"):
        store.load(run_id)


def test_a_result_of_a_newer_schema_is_refused(store):
    run_id = store.save(make_result())
    with store._begin() as conn:
        conn.execute(audits.update().values(schema_version="9.0"))
    with pytest.raises(AuditInputError, match="'9.0', newer than this version"):
        store.load(run_id)
    d = make_result().to_dict() | {"schema_version": "2.5"}
    with pytest.raises(AuditInputError, match="newer"):
        store.save(d)


def test_a_database_of_a_newer_schema_is_refused(store_url):
    store = AuditStore(store_url)
    with store._begin() as conn:
        conn.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = 'f00dcafe'"))
    with pytest.raises(AuditInputError, match="revision 'f00dcafe'.*newer RAI Audit"):
        AuditStore(store_url)


def test_an_unreachable_postgres_url_is_named_without_its_password():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql+psycopg://auditor:s3cret-pw@127.0.0.1:{port}/audits"
    with pytest.raises(AuditInputError) as err:
        AuditStore(url)
    message = str(err.value)
    assert f"postgresql+psycopg://auditor:***@127.0.0.1:{port}/audits" in message
    assert "s3cret-pw" not in message


def test_an_unwritable_sqlite_path_is_an_input_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(AuditInputError, match="cannot create the folder"):
        AuditStore(f"sqlite:///{blocker / 'sub' / 'audits.db'}")


def test_bad_urls_are_input_errors():
    with pytest.raises(AuditInputError, match="unsupported database 'mysql'"):
        AuditStore("mysql://u:p@localhost/x")
    with pytest.raises(AuditInputError, match="not a database URL"):
        AuditStore("::nonsense::")


def test_default_url_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RAI_AUDIT_STORE", f"sqlite:///{tmp_path / 'env.db'}")
    store = AuditStore()
    assert store.url.endswith("env.db") and (tmp_path / "env.db").exists()


def test_default_url_expands_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("RAI_AUDIT_STORE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    AuditStore()
    assert (tmp_path / ".rai-audit" / "audits.db").exists()


def test_safe_url_masks_the_password():
    assert safe_url("postgresql+psycopg://u:pw@h/db") == "postgresql+psycopg://u:***@h/db"


def test_load_returns_an_audit_result(store):
    assert isinstance(store.load(store.save(make_result())), AuditResult)
