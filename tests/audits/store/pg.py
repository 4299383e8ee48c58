"""A throwaway PostgreSQL cluster for the store tests and the store benchmark.

``initdb`` into a temporary folder, ``pg_ctl start`` on 127.0.0.1 at a free port (socket in the same folder),
fsync off; stopped and removed on exit. initdb refuses to run as root, so as root the cluster is owned and run
by the ``postgres`` system user through ``runuser``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

PG_USER = "postgres"


class PostgresUnavailable(RuntimeError):
    """The binaries, or the user to run them as, are missing."""


def pg_bindir() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, else Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Yields the base URL (``postgresql+psycopg://postgres@127.0.0.1:PORT``) of a fresh server."""
    bindir = pg_bindir()
    if bindir is None:
        raise PostgresUnavailable("PostgreSQL binaries (initdb, pg_ctl) not found")
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam(PG_USER)
        except KeyError:
            raise PostgresUnavailable(
                "running as root and there is no 'postgres' user to run the server as"
            ) from None
        as_user = ["runuser", "-u", PG_USER, "--"]
    data = Path(tempfile.mkdtemp(prefix="rai-audit-pg-"))
    if as_user:
        os.chown(data, pw.pw_uid, pw.pw_gid)
    port = _free_port()
    pg_ctl = [*as_user, str(bindir / "pg_ctl"), "-D", str(data / "db")]
    try:
        subprocess.run(
            [*as_user, str(bindir / "initdb"), "-D", str(data / "db"), "-U", "postgres", "-A", "trust",
             "-E", "UTF8", "--locale=C", "--no-sync"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        subprocess.run(
            [*pg_ctl, "-l", str(data / "server.log"), "-w", "-t", "60", "-o",
             f"-F -c fsync=off -c listen_addresses=127.0.0.1 -p {port} -k {data}", "start"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
    except subprocess.CalledProcessError as exc:
        log = (data / "server.log").read_text() if (data / "server.log").exists() else ""
        shutil.rmtree(data, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {exc.stderr or exc.stdout}\n{log}") from exc
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def new_pg_database(base: str) -> str:
    """A fresh, empty database on the server at ``base``; returns its URL."""
    import psycopg

    name = f"t_{secrets.token_hex(6)}"
    dsn = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"
