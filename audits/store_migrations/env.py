"""Alembic environment of the audit store.

Migrations run on the connection :meth:`audits.store.AuditStore.migrate` opened (inside its transaction and
lock), passed as ``config.attributes["connection"]``; a ``sqlalchemy.url`` main option is the fallback for
running Alembic by hand.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from audits.store import VERSION_TABLE

config = context.config


def _run(connection) -> None:
    context.configure(connection=connection, version_table=VERSION_TABLE, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("Run the audit store's migrations with `rai-audit store migrate --store URL`.")
    with create_engine(url).begin() as conn:
        _run(conn)
