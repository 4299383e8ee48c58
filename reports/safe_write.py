"""Publish the files of one run into an output folder without ever writing through a link or leaving a
half-written or stale file that looks current.

How a run publishes (:func:`publish`):

1. Every file is rendered first, in memory; nothing touches the folder if rendering fails.
2. The files are written into a fresh private folder created inside the output folder
   (``tempfile.mkdtemp``, so its name cannot be guessed or planted in advance), each opened with
   ``O_CREAT | O_EXCL | O_NOFOLLOW`` and flushed to disk.
3. The files the run owns but did not rewrite (an ``audit_report.md`` left by an earlier ``--format md`` run,
   a ``RUN_FAILED.txt``) are moved aside into ``<out>/previous-<run id>/`` — kept, never deleted, but no
   longer next to the current files. Only names the product writes are ever moved; other files in the folder
   are left alone.
4. Each file is moved into place with ``os.replace``: a rename in one folder, atomic, which replaces a
   symlink planted at the final name instead of following it.
5. The private folder is removed, whatever happened.

A run that fails (:func:`mark_failed`) moves the owned files of the earlier run aside the same way and
leaves a ``RUN_FAILED.txt`` naming the run id and the error, so nothing stale reads as the current result.

Every run has an id (:func:`audits.results.new_run_id`: UTC time and 128 random bits) that all its files carry.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from audits.errors import AuditInputError
from audits.results import new_run_id  # noqa: F401 - re-exported: the CLI and export name runs with it

RUN_FAILED = "RUN_FAILED.txt"
PREVIOUS_PREFIX = "previous-"
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # absent on Windows, where symlinks need privileges anyway
_O_BINARY = getattr(os, "O_BINARY", 0)


@dataclass(frozen=True)
class Published:
    """What :func:`publish` did: the files written (name -> path) and those moved aside."""

    run_id: str
    written: dict[str, Path]
    moved_aside: tuple[Path, ...] = ()
    previous_dir: Path | None = None


def _check_name(name: str) -> str:
    # A file name, never a path: a basename such as "../x" must not escape the output folder.
    if not name or name in (".", "..") or Path(name).name != name or "/" in name or "\\" in name:
        raise AuditInputError(f"{name!r}: not a plain file name. Choose a name without folders.")
    return name


def output_folder(out_dir: str | Path, *, create: bool = True) -> Path:
    """The output folder, created if needed; a path that names a file is an input error.

    ``out_dir`` itself may be a symlink the user made; only the files inside it are guarded.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise AuditInputError(f"{out}: --out names a file, not a folder. Choose another --out folder.")
    if create:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AuditInputError(
                f"{out}: cannot create the output folder ({exc.strerror or exc}). Choose another --out folder."
            ) from exc
    return out


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_BINARY, 0o666)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _move_aside(out: Path, names: Iterable[str], run_id: str) -> tuple[tuple[Path, ...], Path | None]:
    stale = [n for n in names if os.path.lexists(out / n)]
    if not stale:
        return (), None
    previous = out / f"{PREVIOUS_PREFIX}{run_id}"
    os.mkdir(previous)  # fails rather than reuse anything already at this name
    moved = []
    for name in stale:
        os.replace(out / name, previous / name)  # moves a symlink itself, never its target
        moved.append(previous / name)
    return tuple(moved), previous


def publish(
    out_dir: str | Path,
    files: Mapping[str, bytes],
    *,
    run_id: str,
    owned: Iterable[str] = (),
) -> Published:
    """Write ``files`` (name -> bytes) into ``out_dir`` safely (see the module docstring).

    Parameters
    ----------
    out_dir : the output folder (created if needed).
    files : the complete contents of every file of this run.
    run_id : the run's id; names the ``previous-<run id>`` folder of moved-aside files.
    owned : every file name this kind of run may write; those present but not in ``files`` are moved aside.
        ``RUN_FAILED.txt`` is always owned.

    Returns
    -------
    Published
    """
    names = [_check_name(n) for n in files]
    stale_names = [_check_name(n) for n in dict.fromkeys([*owned, RUN_FAILED]) if n not in files]
    out = output_folder(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=f".rai-audit-{run_id}-", dir=out))
    try:
        for name in names:
            _write_new(staging / name, files[name])
        moved, previous = _move_aside(out, stale_names, run_id)
        written = {}
        for name in names:
            os.replace(staging / name, out / name)
            written[name] = out / name
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Published(run_id=run_id, written=written, moved_aside=moved, previous_dir=previous)


def mark_failed(out_dir: str | Path, *, run_id: str, error: str, owned: Iterable[str] = ()) -> Path | None:
    """After a failed run: move the earlier run's owned files aside and write ``RUN_FAILED.txt``.

    Does nothing (returns None) when ``out_dir`` does not exist or is not a folder: then there is nothing
    stale to hide, and a mistyped ``--out`` is not created just to hold the failure note.
    """
    out = Path(out_dir)
    if not out.is_dir():
        return None
    text = (
        f"RAI Audit run {run_id} failed at {datetime.now(UTC).isoformat(timespec='seconds')}.\n"
        f"No report of this run was written; files of earlier runs were moved into "
        f"{PREVIOUS_PREFIX}{run_id}/ (if any).\n\nError:\n{error}\n"
    )
    published = publish(out, {RUN_FAILED: text.encode("utf-8")}, run_id=run_id, owned=owned)
    return published.written[RUN_FAILED]


def same_entry(a: str | Path, b: str | Path) -> bool:
    """True when two paths name the same directory entry or the same file (after following links)."""
    pa, pb = Path(a), Path(b)
    entry_a = pa.parent.resolve() / pa.name
    entry_b = pb.parent.resolve() / pb.name
    if entry_a == entry_b:
        return True
    try:
        return pa.resolve() == pb.resolve() or (pa.exists() and pb.exists() and os.path.samefile(pa, pb))
    except OSError:
        return False
