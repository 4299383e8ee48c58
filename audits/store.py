"""Audit history: every audit kept in a database, listed, loaded, accepted as a baseline, exported.

``AuditStore(url)`` opens an SQLite file (default ``~/.rai-audit/audits.db``, or the ``RAI_AUDIT_STORE``
environment variable) or a PostgreSQL database (``postgresql+psycopg://user:pass@host/db``) and brings its schema
up to date with the Alembic migrations in :mod:`audits.store_migrations`.

Each audit is one row of ``audits``: a random 128-bit run id, its indexed fields (start time, model name, display
name and SHA-256, dataset name and SHA-256, tag, status, acceptance, schema version) and the result JSON
compressed with zlib. ``headlines`` holds the headline figures (performance metrics and headline disparities,
each with its interval) so that listings and trends need no JSON. Results of older schema versions are read
through the chained upgraders of :mod:`audits.schema_upgrade`; a result of a newer schema is refused.

Writes are transactions. On SQLite the file is in WAL mode with a busy timeout and every transaction begins
``IMMEDIATE`` (it takes the write lock at its start, so two processes never deadlock upgrading a read lock);
on PostgreSQL the migrations hold an advisory lock, so two processes opening a new database at once do not
both create the tables.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

from audits.errors import AuditInputError
from audits.results import SCHEMA_VERSION, AuditResult

STORE_ENV = "RAI_AUDIT_STORE"
DEFAULT_URL = "sqlite:///~/.rai-audit/audits.db"
VERSION_TABLE = "rai_audit_store_version"
MIGRATIONS = Path(__file__).resolve().parent / "store_migrations"
BUSY_TIMEOUT_S = 60
COMPRESSION_LEVEL = 1  # zlib: 5-6x smaller at a tenth of the time of level 6 (which saves only ~20% more)
_PG_LOCK_KEY = 0x5241_4941  # "RAIA": the advisory lock that serialises migrations

metadata = sa.MetaData()
audits = sa.Table(
    "audits",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("started_at", sa.DateTime()),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("model_name", sa.String(512), nullable=False),
    sa.Column("model_display_name", sa.String(512), nullable=False),
    sa.Column("model_sha256", sa.String(64)),
    sa.Column("dataset_name", sa.String(512), nullable=False),
    sa.Column("dataset_sha256", sa.String(64)),
    sa.Column("tag", sa.String(256)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("schema_version", sa.String(16), nullable=False),
    sa.Column("result", sa.LargeBinary(), nullable=False),
    sa.Column("result_bytes", sa.Integer(), nullable=False),
    sa.Column("accepted", sa.Boolean(), nullable=False),
    sa.Column("accepted_at", sa.DateTime()),
)
headlines = sa.Table(
    "headlines",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("audits.run_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("key", sa.String(512), primary_key=True),
    sa.Column("value", sa.Float()),
    sa.Column("lower", sa.Float()),
    sa.Column("upper", sa.Float()),
)

NOT_FOUND = (
    "{run_id}: no audit with this run id in the store {url}. List the stored audits with "
    "`rai-audit history --store URL`."
)
NEWER_RESULT = (
    "{what}: the result has schema version {found!r}, newer than this version of RAI Audit reads ({expected!r}). "
    "Upgrade RAI Audit (pip install -U rai-audit) to read it."
)
NEWER_DATABASE = (
    "{url}: the audit store is at schema revision {found!r}, which this version of RAI Audit does not know "
    "(it knows up to {head!r}); it was written by a newer RAI Audit. Upgrade RAI Audit (pip install -U rai-audit) "
    "or use another --store."
)
CORRUPT = (
    "run {run_id}: the stored result cannot be read ({detail}). The row is corrupt; delete it with "
    "`rai-audit store prune` / AuditStore.delete, or restore it from an export."
)


def _version_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in str(version).split("."))
    except ValueError:
        return (10**9,)  # unparseable: treat as unknown, hence newer


def _refuse_newer(version: str, what: str) -> None:
    if _version_tuple(version) > _version_tuple(SCHEMA_VERSION):
        raise AuditInputError(NEWER_RESULT.format(what=what, found=version, expected=SCHEMA_VERSION))


def encode_result(d: Mapping[str, Any]) -> tuple[bytes, int]:
    """The compressed JSON of a result dict, and its uncompressed size."""
    raw = json.dumps(d, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    return zlib.compress(raw, COMPRESSION_LEVEL), len(raw)


def decode_result(blob: bytes, *, run_id: str) -> dict[str, Any]:
    """The result dict of a stored row; a row that does not decode is an AuditInputError naming its run id."""
    try:
        d = json.loads(zlib.decompress(blob).decode("utf-8"))
    except (zlib.error, UnicodeDecodeError, json.JSONDecodeError, TypeError) as exc:
        raise AuditInputError(CORRUPT.format(run_id=run_id, detail=f"{type(exc).__name__}: {exc}")) from exc
    if not isinstance(d, dict) or "sections" not in d or "provenance" not in d:
        raise AuditInputError(CORRUPT.format(run_id=run_id, detail="not an RAI Audit result"))
    return d


def _upgrade(d: dict[str, Any], *, source: str) -> dict[str, Any]:
    """Bring a stored result of an older schema version to the current one (the chained upgraders)."""
    if d.get("schema_version") == SCHEMA_VERSION:
        return d
    from audits.schema_upgrade import upgrade

    return upgrade(d, target=SCHEMA_VERSION, source=source)


def headline_rows(d: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of ``headlines`` for a result dict: performance metrics and headline disparities."""
    from audits.compare import read_items

    return [
        {
            "kind": item.kind,
            "key": item.key[:512],
            "value": item.value,
            "lower": item.lower,
            "upper": item.upper,
        }
        for item in read_items(d, headline_only=True).values()
        if item.headline
    ]


def _parse_time(text: Any) -> datetime | None:
    """A naive UTC datetime (how both databases store it) from an ISO string."""
    if not text:
        return None
    try:
        t = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t


def _aware(t: datetime | None) -> datetime | None:
    return t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def index_fields(d: Mapping[str, Any]) -> dict[str, Any]:
    """The indexed columns of a result dict.

    ``model_name`` is what groups audits of one model across versions: the config's ``model_name`` when set,
    else the model file's stem (``german_logreg``), else ``predictions:<column>`` for a predictions-only audit.
    """
    prov = d.get("provenance") or {}
    config = prov.get("config") or {}
    model = prov.get("model") or {}
    data = prov.get("data") or {}
    file_name = str(model.get("name") or "")
    stem = Path(file_name).stem if file_name else ""
    if not stem and config.get("prediction_column"):
        stem = f"predictions:{config['prediction_column']}"
    name = str(config.get("model_name") or stem or "unnamed model")
    display = str(config.get("model_name") or model.get("description") or stem or name)
    return {
        "started_at": _parse_time(prov.get("started_at")),
        "model_name": name[:512],
        "model_display_name": display[:512],
        "model_sha256": model.get("sha256"),
        "dataset_name": str(config.get("dataset_name") or data.get("name") or "")[:512],
        "dataset_sha256": data.get("sha256"),
        "status": str(d.get("status") or ""),
        "schema_version": str(d.get("schema_version") or ""),
    }


@dataclass(frozen=True)
class Headline:
    kind: str
    key: str
    value: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class StoredAudit:
    """One stored audit as listed (the result itself is read with :meth:`AuditStore.load`)."""

    run_id: str
    started_at: datetime | None
    created_at: datetime
    model_name: str
    model_display_name: str
    model_sha256: str | None
    dataset_name: str
    dataset_sha256: str | None
    tag: str | None
    status: str
    accepted: bool
    accepted_at: datetime | None
    schema_version: str
    result_bytes: int
    headline: tuple[Headline, ...] = ()

    def headline_value(self, kind: str, key: str) -> float | None:
        return next((h.value for h in self.headline if h.kind == kind and h.key == key), None)


@dataclass(frozen=True)
class ImportReport:
    imported: int
    skipped: int  # run ids already in the store


_LIST_COLUMNS = [c for c in audits.c if c.name != "result"]


def _stored(row: Any, heads: tuple[Headline, ...] = ()) -> StoredAudit:
    m = row._mapping
    return StoredAudit(
        run_id=m["run_id"],
        started_at=_aware(m["started_at"]),
        created_at=_aware(m["created_at"]),
        model_name=m["model_name"],
        model_display_name=m["model_display_name"],
        model_sha256=m["model_sha256"],
        dataset_name=m["dataset_name"],
        dataset_sha256=m["dataset_sha256"],
        tag=m["tag"],
        status=m["status"],
        accepted=bool(m["accepted"]),
        accepted_at=_aware(m["accepted_at"]),
        schema_version=m["schema_version"],
        result_bytes=m["result_bytes"],
        headline=heads,
    )


def default_url() -> str:
    return os.environ.get(STORE_ENV, "").strip() or DEFAULT_URL


def safe_url(url: str | URL) -> str:
    """The URL as it may be shown: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (sa_exc.ArgumentError, ValueError):
        return "<unparseable store URL>"


def _resolve(url: str | None) -> URL:
    text = (url or default_url()).strip()
    try:
        u = make_url(text)
    except (sa_exc.ArgumentError, ValueError) as exc:
        raise AuditInputError(
            f"--store {safe_url(text)!s}: not a database URL ({exc}). Use sqlite:///PATH or "
            "postgresql+psycopg://USER:PASSWORD@HOST/DB."
        ) from None
    if u.get_backend_name() not in ("sqlite", "postgresql"):
        raise AuditInputError(
            f"--store {safe_url(u)}: unsupported database {u.get_backend_name()!r}. Use sqlite:///PATH or "
            "postgresql+psycopg://USER:PASSWORD@HOST/DB."
        )
    if u.get_backend_name() == "postgresql" and u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")  # the driver we depend on, not psycopg2
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        u = u.set(database=str(Path(u.database).expanduser()))
    return u


@functools.cache
def _scripts() -> tuple[str, frozenset[str]]:
    """The newest revision and every revision this version knows (read once: parsing them costs ~0.1 s)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(cfg)
    return scripts.get_current_head(), frozenset(s.revision for s in scripts.walk_revisions())


def _sqlite_engine(u: URL) -> Engine:
    path = Path(u.database) if u.database and u.database != ":memory:" else None
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise AuditInputError(
                f"{safe_url(u)}: cannot create the folder {path.parent} ({exc.strerror or exc}). Choose "
                "another --store path."
            ) from exc
    engine = sa.create_engine(u, connect_args={"timeout": BUSY_TIMEOUT_S})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would BEGIN (deferred) lazily; we issue BEGIN ourselves.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class AuditStore:
    """A database of audits. See the module docstring.

    Parameters
    ----------
    url : SQLAlchemy URL; default ``RAI_AUDIT_STORE`` or ``sqlite:///~/.rai-audit/audits.db``.
    migrate : bring the schema to the newest revision on open (default). ``False`` only checks that the
        database is not of a newer schema.
    """

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
        self._url = _resolve(url)
        self.url = safe_url(self._url)
        self.dialect = self._url.get_backend_name()
        if self.dialect == "sqlite":
            self._engine = _sqlite_engine(self._url)
        else:
            self._engine = sa.create_engine(
                self._url, connect_args={"connect_timeout": 10}, pool_pre_ping=True
            )
        self._password = self._url.password
        if migrate:
            self.migrate()
        else:
            self.revision()

    # --- plumbing -----------------------------------------------------------------------------------------
    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> AuditStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _unreachable(self, exc: Exception) -> AuditInputError:
        detail = " ".join(str(getattr(exc, "orig", exc) or exc).split())
        if self._password:
            detail = detail.replace(str(self._password), "***")
        return AuditInputError(
            f"cannot use the audit store {self.url}: {detail}. Check the URL, that the database server is "
            f"running and reachable, and the credentials (--store or {STORE_ENV})."
        )

    @contextlib.contextmanager
    def _begin(self) -> Iterator[Connection]:
        """A transaction; a database that cannot be reached or written is an AuditInputError naming the URL."""
        try:
            with self._engine.begin() as conn:
                yield conn
        except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
            raise self._unreachable(exc) from None

    def _alembic_config(self) -> Any:
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        return cfg

    def _head(self) -> str:
        return _scripts()[0]

    def _current(self, conn: Connection) -> str | None:
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()

    def _check_known(self, current: str | None) -> None:
        if current is not None and current not in _scripts()[1]:
            raise AuditInputError(NEWER_DATABASE.format(url=self.url, found=current, head=self._head()))

    def revision(self) -> str | None:
        """The schema revision of the database (None: empty)."""
        with self._begin() as conn:
            current = self._current(conn)
        self._check_known(current)
        return current

    def migrate(self, revision: str = "head") -> str | None:
        """Upgrade the schema to ``revision`` (default the newest) and return the revision reached."""
        from alembic import command

        target = self._head() if revision == "head" else revision
        with self._begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
            current = self._current(conn)  # read under the lock: another process may just have migrated
            self._check_known(current)
            if current != target:
                cfg = self._alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, target)
                current = self._current(conn)
        return current

    # --- writing ------------------------------------------------------------------------------------------
    def save(self, result: AuditResult | Mapping[str, Any], *, tag: str | None = None) -> str:
        """Store a result (object or dict); returns its new run id (32 hex digits, 128 random bits)."""
        d = result.to_dict() if isinstance(result, AuditResult) else dict(result)
        _refuse_newer(str(d.get("schema_version")), "the audit to store")
        # hex, not URL-safe base64: an id starting with "-" would read as an option on the command line
        run_id = secrets.token_hex(16)
        self._insert(d, run_id=run_id, tag=tag, accepted_at=None, created_at=_now())
        return run_id

    def _insert(
        self,
        d: Mapping[str, Any],
        *,
        run_id: str,
        tag: str | None,
        accepted_at: datetime | None,
        created_at: datetime,
        conn: Connection | None = None,
    ) -> None:
        blob, size = encode_result(d)
        row = {
            "run_id": run_id,
            **index_fields(d),
            "tag": (tag or None) and str(tag)[:256],
            "result": blob,
            "result_bytes": size,
            "accepted": accepted_at is not None,
            "accepted_at": accepted_at,
            "created_at": created_at,
        }
        heads = [{"run_id": run_id, **h} for h in headline_rows(d)]
        with contextlib.nullcontext(conn) if conn is not None else self._begin() as c:
            c.execute(audits.insert(), [row])
            if heads:
                c.execute(headlines.insert(), heads)

    def delete(self, run_id: str) -> None:
        """Remove an audit; an unknown run id is an AuditInputError."""
        with self._begin() as conn:
            conn.execute(headlines.delete().where(headlines.c.run_id == run_id))
            if conn.execute(audits.delete().where(audits.c.run_id == run_id)).rowcount == 0:
                raise AuditInputError(NOT_FOUND.format(run_id=run_id, url=self.url))

    def accept(self, run_id: str) -> StoredAudit:
        """Mark an audit as the accepted baseline of its model (the latest accepted one is the baseline)."""
        with self._begin() as conn:
            done = conn.execute(
                audits.update().where(audits.c.run_id == run_id).values(accepted=True, accepted_at=_now())
            ).rowcount
        if not done:
            raise AuditInputError(NOT_FOUND.format(run_id=run_id, url=self.url))
        return self.get(run_id)

    def prune(self, *, older_than: timedelta | datetime | None = None, keep_last: int | None = None) -> int:
        """Delete audits started before ``older_than`` (an age or a date), or not among the ``keep_last``
        latest of their model. Accepted audits are always kept: they are the baselines of gates.
        Returns how many were deleted."""
        if older_than is None and keep_last is None:
            raise AuditInputError(
                "prune: give an age (--older-than DAYS) or a count (--keep-last N), or both."
            )
        if keep_last is not None and keep_last < 0:
            raise AuditInputError(f"prune: --keep-last {keep_last}: must be 0 or more.")
        cutoff = None
        if older_than is not None:
            cutoff = (
                _now() - older_than
                if isinstance(older_than, timedelta)
                else _parse_time(older_than.isoformat())
            )
        with self._begin() as conn:
            rows = conn.execute(
                sa.select(audits.c.run_id, audits.c.model_name, audits.c.started_at, audits.c.created_at)
                .where(audits.c.accepted == sa.false())
                .order_by(audits.c.model_name, audits.c.started_at.desc(), audits.c.created_at.desc())
            ).all()
            doomed: list[str] = []
            seen: dict[str, int] = {}
            for run_id, model, started, created in rows:
                seen[model] = seen.get(model, 0) + 1
                when = started or created
                if (cutoff is not None and when < cutoff) or (
                    keep_last is not None and seen[model] > keep_last
                ):
                    doomed.append(run_id)
            for i in range(0, len(doomed), 500):
                chunk = doomed[i : i + 500]
                conn.execute(headlines.delete().where(headlines.c.run_id.in_(chunk)))
                conn.execute(audits.delete().where(audits.c.run_id.in_(chunk)))
        return len(doomed)

    # --- reading ------------------------------------------------------------------------------------------
    def _headlines(self, conn: Connection, run_ids: list[str]) -> dict[str, tuple[Headline, ...]]:
        out: dict[str, list[Headline]] = {r: [] for r in run_ids}
        if run_ids:
            for r in conn.execute(sa.select(headlines).where(headlines.c.run_id.in_(run_ids))):
                out[r.run_id].append(Headline(r.kind, r.key, r.value, r.lower, r.upper))
        return {k: tuple(v) for k, v in out.items()}

    def list(
        self,
        *,
        model: str | None = None,
        tag: str | None = None,
        since: datetime | str | None = None,
        limit: int | None = 100,
        headline: bool = True,
    ) -> list[StoredAudit]:
        """Stored audits, newest first; ``model`` matches the model name or display name."""
        q = sa.select(*_LIST_COLUMNS)
        if model:
            q = q.where(sa.or_(audits.c.model_name == model, audits.c.model_display_name == model))
        if tag:
            q = q.where(audits.c.tag == tag)
        if since is not None:
            cutoff = _parse_time(since if isinstance(since, str) else since.isoformat())
            if cutoff is None:
                raise AuditInputError(f"--since {since!r}: not a date. Use an ISO date such as 2026-01-31.")
            q = q.where(audits.c.started_at >= cutoff)
        q = q.order_by(audits.c.started_at.desc(), audits.c.created_at.desc())
        if limit is not None:
            q = q.limit(limit)
        with self._begin() as conn:
            rows = conn.execute(q).all()
            heads = self._headlines(conn, [r.run_id for r in rows]) if headline else {}
        return [_stored(r, heads.get(r.run_id, ())) for r in rows]

    def get(self, run_id: str) -> StoredAudit:
        """The listing of one audit; an unknown run id is an AuditInputError."""
        with self._begin() as conn:
            row = conn.execute(sa.select(*_LIST_COLUMNS).where(audits.c.run_id == run_id)).first()
            if row is None:
                raise AuditInputError(NOT_FOUND.format(run_id=run_id, url=self.url))
            return _stored(row, self._headlines(conn, [run_id])[run_id])

    def load_dict(self, run_id: str) -> dict[str, Any]:
        """The stored result as a dict, upgraded to the current schema."""
        with self._begin() as conn:
            row = conn.execute(
                sa.select(audits.c.result, audits.c.schema_version).where(audits.c.run_id == run_id)
            ).first()
        if row is None:
            raise AuditInputError(NOT_FOUND.format(run_id=run_id, url=self.url))
        _refuse_newer(row.schema_version, f"run {run_id}")
        d = decode_result(row.result, run_id=run_id)
        _refuse_newer(str(d.get("schema_version")), f"run {run_id}")
        return _upgrade(d, source=f"run {run_id}")

    def load(self, run_id: str) -> AuditResult:
        """The stored result; unknown, corrupt and newer-schema rows are AuditInputErrors naming the run id."""
        d = self.load_dict(run_id)
        try:
            return AuditResult.from_dict(d, source=f"run {run_id}")
        except AuditInputError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise AuditInputError(
                CORRUPT.format(run_id=run_id, detail=f"{type(exc).__name__}: {exc}")
            ) from exc

    def baseline(
        self, model: str, which: str = "accepted", *, exclude: str | None = None
    ) -> StoredAudit | None:
        """The audit a new audit of ``model`` is compared with.

        ``which``: ``accepted`` (the latest accepted audit of the model), ``last`` (its latest audit other than
        ``exclude``), a run id, or a tag (the latest audit of the model with that tag). None when there is no
        accepted or earlier audit; an unknown run id or tag is an AuditInputError.
        """
        of_model = sa.or_(audits.c.model_name == model, audits.c.model_display_name == model)
        q = sa.select(audits.c.run_id)
        if which == "accepted":
            q = q.where(of_model, audits.c.accepted == sa.true()).order_by(audits.c.accepted_at.desc())
        elif which == "last":
            q = q.where(of_model)
            if exclude:
                q = q.where(audits.c.run_id != exclude)
            q = q.order_by(audits.c.started_at.desc(), audits.c.created_at.desc())
        else:
            with self._begin() as conn:
                is_run_id = conn.execute(sa.select(audits.c.run_id).where(audits.c.run_id == which)).first()
            if is_run_id:
                return self.get(which)
            q = q.where(of_model, audits.c.tag == which)
            if exclude:
                q = q.where(audits.c.run_id != exclude)
            q = q.order_by(audits.c.started_at.desc(), audits.c.created_at.desc())
        with self._begin() as conn:
            row = conn.execute(q.limit(1)).first()
        if row is not None:
            return self.get(row.run_id)
        if which in ("accepted", "last"):
            return None
        raise AuditInputError(
            f"--baseline {which!r}: no audit with this run id, and no audit of model {model!r} with this tag, in "
            f"the store {self.url}. List them with `rai-audit history --model {model!r}`."
        )

    # --- export / import ----------------------------------------------------------------------------------
    def export_jsonl(self, path: str | Path) -> int:
        """Write every audit as one JSON line (its fields and the result); returns how many."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        n = 0
        cols = [audits.c.run_id, audits.c.tag, audits.c.accepted_at, audits.c.created_at, audits.c.result]
        try:
            with tmp.open("w", encoding="utf-8") as fh, self._begin() as conn:
                rows = conn.execution_options(yield_per=200).execute(
                    sa.select(*cols).order_by(audits.c.created_at, audits.c.run_id)
                )
                for run_id, tag, accepted_at, created_at, blob in rows:
                    line = {
                        "run_id": run_id,
                        "tag": tag,
                        "accepted_at": _aware(accepted_at).isoformat() if accepted_at else None,
                        "created_at": _aware(created_at).isoformat(),
                        "result": decode_result(blob, run_id=run_id),
                    }
                    fh.write(json.dumps(line, ensure_ascii=False, allow_nan=False, separators=(",", ":")))
                    fh.write("\n")
                    n += 1
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return n

    def import_jsonl(self, path: str | Path) -> ImportReport:
        """Add the audits of an export; run ids already in the store are skipped (importing twice is safe).
        All lines are checked before anything is written, and they are written in one transaction."""
        path = Path(path)
        if not path.is_file():
            raise AuditInputError(f"{path}: the export file does not exist. Check the path.")
        records = []
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{path}, line {lineno}"
                try:
                    rec = json.loads(line)
                    run_id = str(rec["run_id"])
                    d = rec["result"]
                    if not isinstance(d, dict) or "sections" not in d:
                        raise ValueError("'result' is not an RAI Audit result")
                    created = _parse_time(rec.get("created_at")) or _now()
                    accepted = _parse_time(rec.get("accepted_at"))
                except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                    raise AuditInputError(
                        f"{where}: not an audit store export line ({type(exc).__name__}: {exc}). Use a file "
                        "written by `rai-audit store export`."
                    ) from None
                if not run_id or len(run_id) > 64:
                    raise AuditInputError(f"{where}: run_id {run_id[:80]!r} must be 1 to 64 characters.")
                _refuse_newer(str(d.get("schema_version")), where)
                records.append((run_id, rec.get("tag"), accepted, created, d))
        imported = skipped = 0
        with self._begin() as conn:
            for run_id, tag, accepted, created, d in records:
                if conn.execute(sa.select(audits.c.run_id).where(audits.c.run_id == run_id)).first():
                    skipped += 1
                    continue
                self._insert(d, run_id=run_id, tag=tag, accepted_at=accepted, created_at=created, conn=conn)
                imported += 1
        return ImportReport(imported=imported, skipped=skipped)

    def count(self) -> int:
        with self._begin() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(audits)).scalar_one())
