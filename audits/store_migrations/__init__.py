"""Alembic migrations of the audit store (:mod:`audits.store`); run by ``AuditStore.migrate``."""
