"""Alembic migrations of the store: from an empty database, from the previous revision (with data), and the
results of an older result schema read through the upgraders."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import command

from audits.results import SCHEMA_VERSION
from audits.store import VERSION_TABLE, AuditStore, encode_result
from tests.audits.store.results import make_result


def _tables(store: AuditStore) -> set[str]:
    return set(sa.inspect(store._engine).get_table_names())


def test_an_empty_database_is_migrated_to_the_newest_revision_on_open(store_url):
    store = AuditStore(store_url)
    assert store.revision() == "0002"
    assert {"audits", "headlines", VERSION_TABLE} <= _tables(store)


def test_open_without_migrate_leaves_an_empty_database_empty_and_store_migrate_upgrades_it(store_url):
    store = AuditStore(store_url, migrate=False)
    assert store.revision() is None
    assert "audits" not in _tables(store)
    assert store.migrate() == "0002"


def _at_revision_0001_with_one_audit(store_url: str) -> tuple[AuditStore, str]:
    store = AuditStore(store_url, migrate=False)
    store.migrate("0001")
    assert store.revision() == "0001"
    result = make_result(model_name="m").to_dict()
    blob, size = encode_result(result)
    with store._begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO audits (run_id, started_at, created_at, model_name, model_display_name, dataset_name, "
                "status, schema_version, result, result_bytes) VALUES ('old1', :t, :t, 'm', 'm', 'd', 'pass', "
                ":v, :blob, :size)"
            ),
            {"t": datetime(2026, 1, 1), "v": SCHEMA_VERSION, "blob": blob, "size": size},
        )
    return store, "old1"


def test_upgrade_from_the_previous_revision_keeps_the_audits_and_fills_their_headline(store_url):
    store, run_id = _at_revision_0001_with_one_audit(store_url)
    assert "headlines" not in _tables(store)
    assert store.migrate() == "0002"
    [listed] = store.list()
    assert listed.run_id == run_id and not listed.accepted
    assert listed.headline_value("metric", "accuracy") == 0.80
    assert store.load(run_id) == make_result(model_name="m")


def test_downgrade_to_the_previous_revision_and_up_again(store_url):
    store = AuditStore(store_url)
    store.save(make_result())
    with store._begin() as conn:
        cfg = store._alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert store.revision() == "0001"
    assert store.migrate() == "0002"
    assert store.list()[0].headline_value("metric", "accuracy") == 0.80


def test_a_result_of_the_previous_result_schema_is_read_through_the_upgraders(store):
    old = make_result().to_dict() | {"schema_version": "1.0"}
    run_id = store.save(old)
    loaded = store.load(run_id)
    assert loaded.schema_version == SCHEMA_VERSION
    assert store.get(run_id).schema_version == "1.0"
