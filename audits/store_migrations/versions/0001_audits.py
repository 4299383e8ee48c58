"""The audits table: one row per stored audit with its indexed fields and the compressed result JSON.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audits",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("model_name", sa.String(512), nullable=False),
        sa.Column("model_display_name", sa.String(512), nullable=False, server_default=""),
        sa.Column("model_sha256", sa.String(64), nullable=True),
        sa.Column("dataset_name", sa.String(512), nullable=False, server_default=""),
        sa.Column("dataset_sha256", sa.String(64), nullable=True),
        sa.Column("tag", sa.String(256), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("schema_version", sa.String(16), nullable=False),
        sa.Column("result", sa.LargeBinary(), nullable=False),
        sa.Column("result_bytes", sa.Integer(), nullable=False),
    )
    op.create_index("ix_audits_model_started", "audits", ["model_name", "started_at"])
    op.create_index("ix_audits_display_started", "audits", ["model_display_name", "started_at"])
    op.create_index("ix_audits_started", "audits", ["started_at"])
    op.create_index("ix_audits_tag", "audits", ["tag"])
    op.create_index("ix_audits_dataset_sha256", "audits", ["dataset_sha256"])


def downgrade() -> None:
    op.drop_table("audits")
