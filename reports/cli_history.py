"""The audit-history part of the ``rai-audit`` command line (called from :mod:`reports.cli`).

Subcommands: ``history`` (list stored audits), ``compare RUN_A RUN_B`` (render a comparison report),
``accept RUN_ID`` (the accepted baseline of its model), ``store migrate|export|import|prune``. Options of
``run``/``demo``: ``--store URL`` and ``--tag NAME`` record the audit; ``--baseline accepted|last|RUN_ID|TAG``
gates it against a stored audit of the same model.

An audit is recorded when ``--store``, ``--tag`` or ``--baseline`` is given or ``RAI_AUDIT_STORE`` is set. A
store that cannot be used prints a warning and leaves the exit code as the audit set it (the reports in
``--out`` are already written); with ``--baseline`` the gate cannot be evaluated, which is an input error (2)
unless the audit is incomplete (3).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import timedelta
from typing import Any

from audits.errors import AuditInputError
from audits.results import AuditResult

COMMANDS = ("history", "compare", "accept", "store")
STORE_ACTIONS = ("migrate", "export", "import", "prune")

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_INPUT_ERROR = 2
EXIT_INCOMPLETE = 3

STORE_HELP = "audit store URL: sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DB (default: "
STORE_HELP += "$RAI_AUDIT_STORE, else sqlite:///~/.rai-audit/audits.db)"


def _store_error_types() -> tuple[type[BaseException], ...]:
    from sqlalchemy.exc import SQLAlchemyError

    return (AuditInputError, SQLAlchemyError, OSError)


def _open(url: str | None) -> Any:
    from audits.store import AuditStore

    return AuditStore(url)


# --- parser -------------------------------------------------------------------------------------------------


def add_run_options(p: argparse.ArgumentParser) -> None:
    """``--store``, ``--tag`` and ``--baseline`` of ``run`` and ``demo``."""
    g = p.add_argument_group("audit history")
    g.add_argument("--store", metavar="URL", help="record the audit in this store; " + STORE_HELP)
    g.add_argument("--tag", metavar="NAME", help="a label stored with the audit, e.g. v2 or 2026-01")
    g.add_argument(
        "--baseline",
        metavar="WHICH",
        help="gate against a stored audit of the same model: accepted (the accepted one), last (the latest), "
        "a run id or a tag; exit 1 when a performance metric or a disparity got worse beyond the change "
        "tolerance with confidence",
    )


def add_commands(sub: Any, **parser_kwargs: Any) -> None:
    """Add ``history``, ``compare``, ``accept`` and ``store`` to the subcommands of ``rai-audit``."""
    h = sub.add_parser("history", help="list the audits kept in the store", **parser_kwargs)
    h.add_argument("--model", help="only audits of this model (name or display name)")
    h.add_argument("--tag", help="only audits with this tag")
    h.add_argument("--since", metavar="DATE", help="only audits started on or after this ISO date")
    h.add_argument("--limit", type=int, default=100, help="at most this many, newest first (default 100)")
    h.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    h.add_argument("--store", metavar="URL", help=STORE_HELP)

    c = sub.add_parser(
        "compare", help="compare two stored audits and write a comparison report", **parser_kwargs
    )
    c.add_argument("run_a", help="run id of the baseline audit (A)")
    c.add_argument("run_b", help="run id of the audit compared with it (B)")
    c.add_argument("--format", default="md", help="comma-separated: md,html,pdf,json (default: md)")
    c.add_argument("--out", default="comparison_out", help="output folder (default: comparison_out)")
    c.add_argument("--store", metavar="URL", help=STORE_HELP)

    a = sub.add_parser(
        "accept", help="mark a stored audit as the accepted baseline of its model", **parser_kwargs
    )
    a.add_argument("run_id")
    a.add_argument("--store", metavar="URL", help=STORE_HELP)

    s = sub.add_parser(
        "store", help="operate the audit store: migrate, export, import, prune", **parser_kwargs
    )
    actions = s.add_subparsers(dest="store_action", required=True)
    m = actions.add_parser("migrate", help="bring the store's schema to this version of RAI Audit")
    e = actions.add_parser("export", help="write every stored audit to a JSON-lines file")
    e.add_argument("path")
    i = actions.add_parser("import", help="add the audits of a JSON-lines export (known run ids are skipped)")
    i.add_argument("path")
    p = actions.add_parser("prune", help="delete old audits (accepted audits are kept)")
    p.add_argument(
        "--older-than", type=float, metavar="DAYS", help="delete audits started more than DAYS ago"
    )
    p.add_argument("--keep-last", type=int, metavar="N", help="keep only the N latest audits of each model")
    for q in (m, e, i, p):
        q.add_argument("--store", metavar="URL", help=STORE_HELP)


# --- subcommands --------------------------------------------------------------------------------------------


def _headline_text(a: Any) -> str:
    acc = a.headline_value("metric", "accuracy")
    parts = [f"accuracy {acc:.3f}"] if acc is not None else []
    disparities = [h for h in a.headline if h.kind == "disparity" and h.value is not None]
    if disparities:
        parts.append(f"{len(disparities)} headline disparities")
    return ", ".join(parts)


def _history(args: argparse.Namespace) -> int:
    store = _open(args.store)
    rows = store.list(model=args.model, tag=args.tag, since=args.since, limit=args.limit)
    if args.json:
        for a in rows:
            d = {
                "run_id": a.run_id,
                "started_at": a.started_at.isoformat() if a.started_at else None,
                "model": a.model_name,
                "model_display_name": a.model_display_name,
                "model_sha256": a.model_sha256,
                "dataset": a.dataset_name,
                "dataset_sha256": a.dataset_sha256,
                "tag": a.tag,
                "status": a.status,
                "accepted": a.accepted,
                "headline": [h.__dict__ for h in a.headline],
            }
            print(json.dumps(d, ensure_ascii=False))
        return EXIT_PASS
    if not rows:
        print(
            f"no stored audits in {store.url}" + (" matching the filters" if args.model or args.tag else "")
        )
        return EXIT_PASS
    header = ("run id", "started (UTC)", "model", "tag", "status", "accepted", "headline")
    table = [
        (
            a.run_id,
            a.started_at.strftime("%Y-%m-%d %H:%M") if a.started_at else "?",
            a.model_name,
            a.tag or "",
            a.status.upper(),
            "yes" if a.accepted else "",
            _headline_text(a),
        )
        for a in rows
    ]
    widths = [max(len(str(r[i])) for r in [header, *table]) for i in range(len(header))]
    for r in [header, *table]:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    print(f"{len(rows)} audit(s) in {store.url}")
    return EXIT_PASS


def _compare(args: argparse.Namespace, run_id: str) -> int:
    from audits.compare import compare
    from reports.comparison import write_comparison

    store = _open(args.store)
    a, b = store.load(args.run_a), store.load(args.run_b)
    cmp = compare(a, b, labels=(args.run_a, args.run_b))
    written = write_comparison(cmp, args.out, args.format, run_id=run_id)
    print_gate(cmp)
    for fmt, path in written.items():
        print(f"wrote {fmt:>4}: {path}")
    return EXIT_PASS


def _accept(args: argparse.Namespace) -> int:
    stored = _open(args.store).accept(args.run_id)
    print(f"accepted run {stored.run_id} as the baseline of model {stored.model_name!r}")
    return EXIT_PASS


def _store(args: argparse.Namespace) -> int:
    from audits.store import AuditStore

    if args.store_action == "migrate":
        store = AuditStore(args.store, migrate=False)
        before = store.revision()
        after = store.migrate()
        print(f"{store.url}: schema revision {before or 'empty'} -> {after}")
        return EXIT_PASS
    store = AuditStore(args.store)
    if args.store_action == "export":
        n = store.export_jsonl(args.path)
        print(f"exported {n} audit(s) to {args.path}")
    elif args.store_action == "import":
        report = store.import_jsonl(args.path)
        print(f"imported {report.imported} audit(s) from {args.path}; {report.skipped} already in the store")
    else:
        if args.older_than is not None and args.older_than < 0:
            raise AuditInputError(f"--older-than {args.older_than}: must be 0 days or more.")
        older = timedelta(days=args.older_than) if args.older_than is not None else None
        n = store.prune(older_than=older, keep_last=args.keep_last)
        print(f"deleted {n} audit(s) from {store.url} (accepted audits are kept)")
    return EXIT_PASS


def run_command(args: argparse.Namespace, *, run_id: str) -> int:
    """Run ``history``, ``compare``, ``accept`` or ``store``; errors propagate to the CLI's handler."""
    if args.command == "history":
        return _history(args)
    if args.command == "compare":
        return _compare(args, run_id)
    if args.command == "accept":
        return _accept(args)
    return _store(args)


# --- recording and gating a run -----------------------------------------------------------------------------


def print_gate(cmp: Any, *, file: Any = None) -> None:
    """Say what got worse (or that nothing did) against the baseline."""
    out = file or sys.stdout
    print(f"  compared with {cmp.a.label} ({cmp.method}; tolerance {cmp.tolerance:g}):", file=out)
    regressions = cmp.regressions
    if not regressions:
        print("    nothing got worse beyond the tolerance with confidence", file=out)
    for i in regressions:
        print(
            f"    WORSE  {i.label}: {i.a:.4g} -> {i.b:.4g} (change {i.change:+.4g}, p {i.p_value:.2g})",
            file=out,
        )
    for i in cmp.improvements:
        print(f"    better {i.label}: {i.a:.4g} -> {i.b:.4g}", file=out)
    drifted = [d for d in cmp.drift if d.flagged]
    print(f"  data drift between the audited datasets: {cmp.drift_note}", file=out)
    for d in drifted:
        stat = "" if d.statistic is None else f"{d.test} {d.statistic:.3f}"
        psi = "" if d.psi is None else f"PSI {d.psi:.3f} ({d.psi_level})"
        print(f"    DRIFT  {d.column}: {', '.join(x for x in (stat, psi) if x)} [{d.source}]", file=out)


def wants_store(args: argparse.Namespace) -> bool:
    return bool(
        getattr(args, "store", None)
        or getattr(args, "tag", None)
        or getattr(args, "baseline", None)
        or os.environ.get("RAI_AUDIT_STORE", "").strip()
    )


def after_run(args: argparse.Namespace, result: AuditResult, code: int) -> int:
    """Record a finished audit in the store and apply ``--baseline``; returns the exit code to use."""
    if not wants_store(args):
        return code
    errors = _store_error_types()
    baseline = getattr(args, "baseline", None)
    try:
        store = _open(getattr(args, "store", None))
        stored_id = store.save(result, tag=getattr(args, "tag", None))
    except errors as exc:
        print(f"rai-audit: warning: the audit was not recorded in the store: {exc}", file=sys.stderr)
        if baseline:
            print("rai-audit: error: --baseline: the gate could not be evaluated.", file=sys.stderr)
            return code if code == EXIT_INCOMPLETE else EXIT_INPUT_ERROR
        return code
    print(f"  stored as run {stored_id} in {store.url}")
    if not baseline:
        return code
    try:
        return _gate(store, stored_id, baseline, result, code)
    except errors as exc:
        print(f"rai-audit: error: --baseline: {exc}", file=sys.stderr)
        return code if code == EXIT_INCOMPLETE else EXIT_INPUT_ERROR


def _gate(store: Any, stored_id: str, which: str, result: AuditResult, code: int) -> int:
    from audits.compare import compare

    model = store.get(stored_id).model_name
    base = store.baseline(model, which, exclude=stored_id)
    if base is None:
        if which == "last":
            print(f"  baseline: no earlier audit of model {model!r}; nothing to compare (the gate passes)")
            return code
        raise AuditInputError(
            f"no accepted audit of model {model!r} in the store {store.url}. Accept one with "
            f"`rai-audit accept RUN_ID` (this audit is run {stored_id})."
        )
    cmp = compare(store.load(base.run_id), result, labels=(base.run_id, stored_id))
    print_gate(cmp)
    if cmp.regressions and code == EXIT_PASS:
        print(f"  gate: FAIL — {len(cmp.regressions)} item(s) got worse than baseline {base.run_id}")
        return EXIT_FAIL
    return code
