"""Headline figures for listing and trends without loading the JSON, and the accepted baseline of a model.

Adds ``audits.accepted`` / ``audits.accepted_at`` and the ``headlines`` table, and fills ``headlines`` from the
results already stored (an audit saved at revision 0001 lists with its figures afterwards).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_BATCH = 500


def upgrade() -> None:
    # The extractor of the running version reads the stored results: the figures match what save() writes now.
    from audits.store import decode_result, headline_rows

    with op.batch_alter_table("audits") as batch:
        batch.add_column(sa.Column("accepted", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("accepted_at", sa.DateTime(), nullable=True))
        batch.create_index("ix_audits_accepted", ["model_name", "accepted_at"])
    headlines = op.create_table(
        "headlines",
        sa.Column(
            "run_id", sa.String(64), sa.ForeignKey("audits.run_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("lower", sa.Float(), nullable=True),
        sa.Column("upper", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", "kind", "key"),
    )
    op.create_index("ix_headlines_kind_key", "headlines", ["kind", "key"])
    conn = op.get_bind()
    audits = sa.table("audits", sa.column("run_id", sa.String), sa.column("result", sa.LargeBinary))
    last = ""
    while True:
        rows = conn.execute(
            sa.select(audits.c.run_id, audits.c.result)
            .where(audits.c.run_id > last)
            .order_by(audits.c.run_id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        batch_rows = []
        for run_id, blob in rows:
            try:
                d = decode_result(blob, run_id=run_id)
            except ValueError:
                continue  # a corrupt row keeps failing on load, with its run id; it must not block the upgrade
            batch_rows += [{"run_id": run_id, **h} for h in headline_rows(d)]
        if batch_rows:
            conn.execute(headlines.insert(), batch_rows)
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_table("headlines")
    with op.batch_alter_table("audits") as batch:
        batch.drop_index("ix_audits_accepted")
        batch.drop_column("accepted_at")
        batch.drop_column("accepted")
