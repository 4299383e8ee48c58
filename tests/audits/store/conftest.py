"""Store fixtures: every store test runs on SQLite and on a throwaway PostgreSQL cluster (:mod:`.pg`).

Without the PostgreSQL binaries the PostgreSQL cases are skipped, except under CI (``CI=true``), where they
fail: CI installs Debian's postgresql (scripts/install_system_deps.sh).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.audits.store.pg import PostgresUnavailable, new_pg_database, throwaway_postgres


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Base URL (without database) of a throwaway PostgreSQL server, for the whole session."""
    try:
        server = throwaway_postgres()
        url = server.__enter__()
    except PostgresUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{exc} (CI=true: the PostgreSQL store tests must run; install Debian's postgresql)")
        pytest.skip(str(exc))
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store's URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audits.db'}"
    return new_pg_database(request.getfixturevalue("pg_server"))


@pytest.fixture()
def store(store_url: str) -> Iterator:
    from audits.store import AuditStore

    s = AuditStore(store_url)
    yield s
    s.close()
