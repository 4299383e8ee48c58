"""Alembic revisions of the audit store, oldest first: 0001 (audits), 0002 (headlines, acceptance)."""
