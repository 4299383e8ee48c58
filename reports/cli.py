"""The ``rai-audit`` command line.

Exit codes (a CI gate can trust them; the first row that applies wins):

====  ===========================================================================================================
code  meaning
====  ===========================================================================================================
2     Input error; nothing ran. A missing or malformed flag or config value (``seed: abc``), an unreadable,
      oversized or untrusted input file, a malformed result JSON or one of another schema version given to
      ``report``/``card``, an output that would overwrite an input. One message on stderr, no traceback.
3     The audit is incomplete: a selected section errored (overall status ``error``), or RAI Audit itself
      failed. Wins over 1, because a failed verdict of an incomplete audit is not the whole story.
1     A policy verdict failed; with ``--strict`` also an inconclusive verdict.
0     Otherwise: every verdict passed or warned (inconclusive verdicts are reported and pass without
      ``--strict``; a section skipped because it does not apply is not an error).
====  ===========================================================================================================

An interrupted run (Ctrl-C) exits 130. Every run has a run id that all its files carry; files are published as
described in :mod:`reports.safe_write`. A ``run``/``demo`` that fails moves the earlier run's reports in
``--out`` into ``previous-<run id>/`` and leaves ``RUN_FAILED.txt`` with the error, so no stale report reads
as the current one.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from audits.config import AuditConfig, ProtectedAttribute, merge_overrides
from audits.errors import AuditInputError
from audits.limits import check_bytes, default_limits
from audits.results import AuditResult, Status
from audits.runner import run_audit
from audits.samples import require_samples, samples_dir
from reports import cli_history, export
from reports.safe_write import PREVIOUS_PREFIX, RUN_FAILED, mark_failed, new_run_id, output_folder, same_entry

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_INPUT_ERROR = 2
EXIT_INCOMPLETE = 3
EXIT_SECTION_ERROR = EXIT_INCOMPLETE  # the usual cause of an incomplete audit
EXIT_INTERRUPTED = 130

EXIT_CODES_EPILOG = """\
exit codes (the first that applies wins):
  2  input error, nothing ran: a bad flag or config value, an unreadable, oversized or untrusted file,
     a malformed or other-version result JSON, an output that would overwrite an input
  3  the audit is incomplete: a selected section errored (overall status 'error'); wins over 1
  1  a policy verdict failed (with --strict also an inconclusive verdict)
  0  otherwise (inconclusive verdicts are reported and do not fail without --strict)
"""

DECISIONS = ("assistive", "punitive", "representation")
SAMPLE_DIR = samples_dir()  # not in a wheel: require_samples says where to find them
STATUS_MARK = {
    Status.PASS: "PASS",
    Status.WARN: "WARN",
    Status.FAIL: "FAIL",
    Status.INCONCLUSIVE: "INCONCLUSIVE",
    Status.ERROR: "ERROR",
    Status.SKIPPED: "skipped",
}
_POLICY_ORDER = (Status.FAIL, Status.INCONCLUSIVE, Status.WARN, Status.PASS)

PICKLE_WARNING = (
    "rai-audit: warning: --trust-pickle: the model is loaded with pickle, which runs any code the file holds. "
    "Use it only for a file you or someone you trust produced."
)


def _input_errors() -> tuple[type[BaseException], ...]:
    """Exception types that mean a user mistake: a message and exit 2, never a traceback."""
    errors: list[type[BaseException]] = [AuditInputError, yaml.YAMLError, json.JSONDecodeError, UnicodeError]
    try:
        from pydantic import ValidationError

        errors.append(ValidationError)
    except ImportError:  # pydantic is optional for this module; the config may not use it
        pass
    return tuple(errors)


INPUT_ERRORS = _input_errors()


def _add_run_options(p: argparse.ArgumentParser, *, demo: bool = False) -> None:
    if not demo:
        p.add_argument("--data", required=True, help="dataset to audit (CSV or Parquet)")
        src = p.add_argument_group("model or predictions (one of)")
        src.add_argument(
            "--model", help="model file: .skops, .onnx (safe), or .pkl/.joblib with --trust-pickle"
        )
        src.add_argument(
            "--prediction", help="column holding the model's predictions (predictions-only mode)"
        )
        src.add_argument("--score", help="column holding the positive-class probability (optional)")
        p.add_argument("--target", help="label column (or set it in --config)")
        p.add_argument(
            "--positive-label", help="positive class of a binary target (default: scikit-learn convention)"
        )
        p.add_argument(
            "--protected",
            action="append",
            default=[],
            metavar="COL",
            help="protected attribute; repeat for several",
        )
        p.add_argument("--reference", help="reference dataset (train, or last period) for drift")
        p.add_argument(
            "--engine",
            choices=["pandas", "spark"],
            default="pandas",
            help="where the audit runs: pandas (in memory) or spark (--data is a Parquet file or folder, or a "
            "table name; binary tasks; see docs/spark.md)",
        )
        p.add_argument(
            "--spark-master",
            default="local[*]",
            help="Spark master URL with --engine spark (default local[*])",
        )
        p.add_argument(
            "--config", help="audit config YAML (target, protected, policy, ...); flags override it"
        )
        p.add_argument(
            "--task", choices=["auto", "binary", "multiclass", "regression"], help="override task detection"
        )
        p.add_argument(
            "--trust-pickle",
            action="store_true",
            help="allow pickle/joblib models (they run code when loaded; a warning is printed)",
        )
        em = p.add_argument_group("emissions")
        em.add_argument(
            "--training-data", help="rows to re-fit the model on for the training measurement (CSV/Parquet)"
        )
        em.add_argument(
            "--emissions-csv",
            help="codecarbon emissions.csv from the original training run, shown beside ours",
        )
        em.add_argument(
            "--country", help="ISO 3166-1 alpha-3 code of the grid (default USA, stated in the result)"
        )
    p.add_argument(
        "--trust-type",
        action="append",
        default=[],
        metavar="NAME",
        help="trust this exact type name when loading a .skops model (repeat for several); only for files "
        "you trust: the refusal message names the types to add",
    )
    p.add_argument(
        "--favourable-label",
        metavar="VALUE",
        help="the outcome that benefits the person (default: the positive label)",
    )
    p.add_argument(
        "--decision",
        choices=DECISIONS,
        help="what a positive prediction does to the person: grants something (assistive), "
        "sanctions (punitive) or selects for representation; picks the fairness metrics that matter",
    )
    p.add_argument(
        "--reference-group",
        action="append",
        default=[],
        metavar="ATTR=VALUE",
        help="reference (privileged) group of a protected attribute; repeat for several attributes",
    )
    p.add_argument(
        "--categorical",
        action="append",
        default=[],
        metavar="COL",
        help="treat this column as categorical even if it holds numbers; repeat for several "
        "(replaces the config's list)",
    )
    p.add_argument("--out", default="audit_out", help="output folder (default: audit_out)")
    p.add_argument(
        "--format",
        default="json",
        help="comma-separated: json,md,html,pdf,csv (complete tables beside the report),annex-iv (EU AI Act "
        "technical documentation, Markdown and PDF) (default: json)",
    )
    p.add_argument("--card", help="model card YAML with the qualitative fields (intended use, owners, ...)")
    p.add_argument(
        "--sections", help="comma-separated subset: performance,data_quality,fairness,explanation,emissions"
    )
    p.add_argument("--seed", type=int, help="seed of every random step")
    p.add_argument("--strict", action="store_true", help="also exit 1 on inconclusive verdicts")
    p.add_argument("--quiet", action="store_true", help="no progress lines")


def build_parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="rai-audit",
        description="Audit a model and a tabular dataset: data quality, fairness, explanations, emissions.",
        epilog=EXIT_CODES_EPILOG,
        formatter_class=formatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run",
        help="run an audit and write the result (and reports)",
        epilog=EXIT_CODES_EPILOG,
        formatter_class=formatter,
    )
    _add_run_options(run)
    cli_history.add_run_options(run)
    demo = sub.add_parser(
        "demo",
        help="audit the bundled Adult sample (gradient boosting)",
        epilog=EXIT_CODES_EPILOG,
        formatter_class=formatter,
    )
    _add_run_options(demo, demo=True)
    cli_history.add_run_options(demo)
    rep = sub.add_parser(
        "report",
        help="re-render a saved result.json without re-running the audit",
        epilog=EXIT_CODES_EPILOG,
        formatter_class=formatter,
    )
    rep.add_argument("result", help="an audit_report.json written by rai-audit run")
    rep.add_argument("--out", default="audit_out", help="output folder; must not hold the result itself")
    rep.add_argument("--format", default="md,html,pdf", help="comma-separated: json,md,html,pdf,csv,annex-iv")
    rep.add_argument("--card", help="model card YAML with the qualitative fields")
    card = sub.add_parser(
        "card",
        help="write the model card of a saved result",
        epilog=EXIT_CODES_EPILOG,
        formatter_class=formatter,
    )
    card.add_argument("result", help="an audit_report.json written by rai-audit run")
    card.add_argument("--card", help="model card YAML with the qualitative fields")
    card.add_argument("--out", default="audit_out")
    card.add_argument("--format", default="md,json,pdf", help="comma-separated: md,json,pdf,html")
    card.add_argument(
        "--init",
        metavar="YAML",
        help="write a model card YAML prefilled from the result (edit it, then pass it as --card) and stop",
    )
    cli_history.add_commands(sub, epilog=EXIT_CODES_EPILOG, formatter_class=formatter)
    return parser


def _progress_printer(quiet: bool) -> Callable[[str, float, str], None]:
    last = {"t": 0.0}

    def progress(section: str, fraction: float, message: str) -> None:
        if quiet:
            return
        now = time.perf_counter()
        if fraction in (0.0, 1.0) or now - last["t"] > 2:
            last["t"] = now
            print(f"  [{section:<12}] {fraction:>4.0%}  {message}", file=sys.stderr, flush=True)

    return progress


def _with_emissions_options(cfg: AuditConfig, args: argparse.Namespace) -> AuditConfig:
    country = getattr(args, "country", None)
    changes = {
        k: v
        for k, v in {
            "training_data": getattr(args, "training_data", None),
            "imported_csv": getattr(args, "emissions_csv", None),
            "country_iso_code": country.upper() if country else None,
        }.items()
        if v
    }
    return cfg.replace(emissions=dataclasses.replace(cfg.emissions, **changes)) if changes else cfg


def _parse_reference_groups(items: Sequence[str]) -> dict[str, str]:
    groups: dict[str, str] = {}
    for item in items:
        attr, sep, value = item.partition("=")
        if not sep or not attr.strip() or not value.strip():
            raise AuditInputError(
                f"--reference-group {item!r}: expected ATTR=VALUE, e.g. --reference-group sex=male."
            )
        groups[attr.strip()] = value.strip()
    return groups


def _with_fairness_options(cfg: AuditConfig, args: argparse.Namespace) -> AuditConfig:
    """Apply --favourable-label, --decision, --categorical, --reference-group and --trust-type to a config."""
    changes: dict[str, Any] = {}
    if args.favourable_label is not None:
        changes["favourable_label"] = args.favourable_label
    if args.decision is not None:
        changes["decision"] = args.decision
    if args.categorical:
        changes["categorical"] = tuple(dict.fromkeys(args.categorical))
    if args.trust_type:
        changes["trusted_types"] = tuple(dict.fromkeys([*cfg.trusted_types, *args.trust_type]))
    groups = _parse_reference_groups(args.reference_group)
    if groups:
        known = cfg.protected_columns
        unknown = [a for a in groups if a not in known]
        if unknown:
            raise AuditInputError(
                f"--reference-group: {', '.join(map(repr, unknown))} is not a protected attribute of this audit. "
                f"Protected attributes: {', '.join(map(repr, known))}."
            )
        changes["protected"] = tuple(
            dataclasses.replace(p, reference_group=groups[p.column]) if p.column in groups else p
            for p in cfg.protected
        )
    return cfg.replace(**changes) if changes else cfg


def _config_from_args(args: argparse.Namespace) -> AuditConfig:
    protected = tuple(ProtectedAttribute(column=c) for c in args.protected) if args.protected else None
    base = None
    if getattr(args, "config", None):
        # flags that a YAML may leave out are applied before its required keys are checked
        base = AuditConfig.from_yaml(
            args.config, overrides={"target": args.target, "protected": list(args.protected) or None}
        )
    overrides = {
        "target": args.target,
        "positive_label": args.positive_label,
        "prediction_column": args.prediction,
        "score_column": args.score,
        "task": args.task,
        "seed": args.seed,
        "sections": tuple(s.strip() for s in args.sections.split(",")) if args.sections else None,
    }
    if base is None:
        if not args.target:
            raise AuditInputError("--target is required (or give a --config YAML that sets 'target').")
        if not protected:
            raise AuditInputError(
                "--protected is required: name at least one protected column (or set it in --config)."
            )
        kwargs = {k: v for k, v in overrides.items() if v is not None}
        cfg = AuditConfig(protected=protected, **kwargs)
    else:
        cfg = merge_overrides(base, protected=protected, **overrides)
    return _with_fairness_options(_with_emissions_options(cfg, args), args)


def _load_card_info(path: str | None) -> Any:
    if not path:
        return None
    from reports.model_card import CardInfo

    return CardInfo.from_yaml(path)


def load_result(path: str | Path) -> AuditResult:
    """Read a saved result JSON; anything malformed, oversized or of another schema is an AuditInputError."""
    p = Path(path)
    if p.is_file():
        check_bytes(f"{p}", p.stat().st_size, field="max_result_bytes", limits=default_limits())
    try:
        return AuditResult.load_json(p)
    except AuditInputError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as exc:
        # Valid JSON of the wrong shape: a hand-edited or truncated result, or another program's JSON.
        raise AuditInputError(
            f"{p}: not a readable RAI Audit result ({type(exc).__name__}: {exc}). Choose an audit_report.json "
            "written by rai-audit run, or re-run the audit to produce one."
        ) from exc


def policy_status(result: AuditResult) -> Status:
    """The verdict of the sections that ran: fail > inconclusive > warn > pass (skipped when none ran)."""
    statuses = {s.status for s in result.sections}
    return next((s for s in _POLICY_ORDER if s in statuses), Status.SKIPPED)


def errored_sections(result: AuditResult) -> list[Any]:
    return [s for s in result.sections if s.status == Status.ERROR]


def exit_code_for(result: AuditResult, *, strict: bool) -> int:
    """The exit code of a finished audit (see the module docstring): 3 > 1 > 0."""
    if errored_sections(result) or result.status == Status.ERROR:
        return EXIT_INCOMPLETE
    verdict = policy_status(result)
    if verdict == Status.FAIL or (strict and verdict == Status.INCONCLUSIVE):
        return EXIT_FAIL
    return EXIT_PASS


def print_summary(result: AuditResult, written: dict[str, Path], *, strict: bool, run_id: str) -> None:
    ctx = result.provenance.platform.get("context", {})
    rows = result.provenance.data.get("rows")
    rows_text = f"{rows:,} rows" if isinstance(rows, int) else "rows unknown"
    print(f"RAI Audit — {result.provenance.data.get('name')}  ({rows_text})")
    print(f"  model: {result.provenance.model.get('description') or result.provenance.model.get('kind')}")
    if ctx.get("task") == "binary":
        print(f"  task: binary; positive class {ctx.get('positive_label')!r}")
    for note in ctx.get("notes", []):
        print(f"  note: {note}")
    for s in result.sections:
        dur = f"{s.duration_s:6.2f}s" if s.duration_s is not None else ""
        # A section in error or skipped has no summary: its reason is what the reader needs.
        if s.status in (Status.ERROR, Status.SKIPPED):
            first = s.reason or (s.summary[0] if s.summary else "")
        else:
            first = s.summary[0] if s.summary else ""
        print(f"  {STATUS_MARK[s.status]:<12} {s.title:<22} {dur}  {first}")
    errored = errored_sections(result)
    if errored:
        names = ", ".join(s.title for s in errored)
        print(
            f"Overall: ERROR — the audit is incomplete: {names} errored "
            f"(verdict of the sections that ran: {STATUS_MARK[policy_status(result)]})"
        )
    else:
        print(f"Overall: {STATUS_MARK[policy_status(result)]}" + (" (strict)" if strict else ""))
    print(f"  run id: {run_id}")
    for fmt, path in written.items():
        print(f"  wrote {fmt:>4}: {path}")
    _print_moved_aside(written, run_id, indent="  ")


def _print_moved_aside(written: dict[str, Path], run_id: str, *, indent: str = "") -> None:
    folder = next(iter(written.values())).parent if written else None
    previous = folder / f"{PREVIOUS_PREFIX}{run_id}" if folder else None
    if previous is not None and previous.is_dir():
        names = ", ".join(sorted(p.name for p in previous.iterdir()))
        print(f"{indent}moved earlier files not rewritten by this run ({names}) into {previous}")


def _refuse_overwriting_inputs(
    inputs: Iterable[str | Path | None], out: str | Path, names: Iterable[str]
) -> None:
    """Exit 2 before any work when a file this run would write or move aside is one of its inputs."""
    out_path = Path(out)
    names = list(names)
    for source in inputs:
        if not source or not Path(source).exists():
            continue
        for name in names:
            if same_entry(source, out_path / name):
                raise AuditInputError(
                    f"{source}: this run would overwrite (or move aside) its own input, {out_path / name}. "
                    "Choose another --out folder, or copy the input elsewhere first."
                )


def _report_owned_names() -> list[str]:
    # A new or re-rendered result makes any earlier model card in the folder stale.
    return [*export.report_file_names(), *export.card_file_names(), RUN_FAILED]


def _run(args: argparse.Namespace, *, demo: bool, run_id: str) -> int:
    output_folder(args.out, create=False)  # an --out that names a file fails now, not after the audit
    formats = export.parse_formats(args.format)
    card_path = args.card or (str(SAMPLE_DIR / "adult" / "model_card.yaml") if demo else None)
    progress = _progress_printer(args.quiet)
    if demo:
        require_samples(SAMPLE_DIR, "adult")
        cfg = AuditConfig.from_yaml(SAMPLE_DIR / "adult" / "audit.yaml")
        if args.seed is not None:
            cfg = cfg.replace(seed=args.seed)
        if args.sections:
            cfg = cfg.replace(sections=tuple(s.strip() for s in args.sections.split(",")))
        cfg = _with_fairness_options(cfg, args)
        data, model, reference = (
            SAMPLE_DIR / "adult" / "adult_test.csv",
            SAMPLE_DIR / "adult" / "adult_gbm.skops",
            SAMPLE_DIR / "adult" / "adult_train.csv",
        )
        trust_pickle = False
    else:
        cfg = _config_from_args(args)
        if args.model is None and cfg.prediction_column is None:
            raise AuditInputError(
                "Give --model FILE, or --prediction COL for a dataset that holds the predictions."
            )
        data, model, reference, trust_pickle = args.data, args.model, args.reference, args.trust_pickle
    _refuse_overwriting_inputs(
        [data, model, reference, getattr(args, "config", None), card_path,
         cfg.emissions.training_data, cfg.emissions.imported_csv],
        args.out,
        _report_owned_names(),
    )  # fmt: skip
    card_info = _load_card_info(card_path)
    if trust_pickle:
        print(PICKLE_WARNING, file=sys.stderr)
    if getattr(args, "engine", "pandas") == "spark":
        from audits.spark_audit import run_spark_audit  # pyspark is imported only for this engine

        if reference is not None:
            raise AuditInputError(
                "--reference: drift needs the pandas engine; leave it out with --engine spark."
            )
        result = run_spark_audit(
            data, model=model, config=cfg, master=args.spark_master, progress=progress,
            trust_pickle=trust_pickle, trusted_types=tuple(args.trust_type), run_id=run_id,
        )  # fmt: skip
    else:
        result = run_audit(
            data,
            model=model,
            reference=reference,
            config=cfg,
            progress=progress,
            trust_pickle=trust_pickle,
            trusted_types=tuple(args.trust_type),
            run_id=run_id,
        )
    written = export.write_report(
        result,
        args.out,
        formats,
        card_info=card_info,
        run_id=run_id,
        also_owned=export.card_file_names(),
    )
    print_summary(result, written, strict=args.strict, run_id=run_id)
    return cli_history.after_run(args, result, exit_code_for(result, strict=args.strict))


def _rerender(args: argparse.Namespace, *, run_id: str) -> int:
    output_folder(args.out, create=False)
    owned = _report_owned_names() if args.command == "report" else [*export.card_file_names(), RUN_FAILED]
    _refuse_overwriting_inputs([args.result, args.card], args.out, owned)
    result = load_result(args.result)
    # Re-rendered files carry the audit's own id, so a report and its JSON always name the same audit.
    run_id = result.provenance.run_id or run_id
    card_info = _load_card_info(args.card)
    if args.command == "report":
        written = export.write_report(
            result,
            args.out,
            export.parse_formats(args.format),
            card_info=card_info,
            run_id=run_id,
            also_owned=export.card_file_names(),
        )
    elif args.init:
        from reports.model_card import CardInfo

        target = Path(args.init)
        if os.path.lexists(target):  # lexists: a dangling symlink must not be written through either
            raise AuditInputError(
                f"{target}: already exists; choose another path so your edits are not overwritten."
            )
        path = CardInfo.defaults_from(result).save_yaml(target)
        print(
            f"wrote card template: {path}  (fill in the qualitative fields, then: rai-audit card RESULT --card {path})"
        )
        return EXIT_PASS
    else:
        written = export.write_model_card(
            result,
            args.out,
            export.parse_formats(args.format, allowed=export.CARD_FORMATS),
            card_info=card_info,
            run_id=run_id,
        )
    print(f"run id: {run_id}")
    for fmt, path in written.items():
        print(f"wrote {fmt:>4}: {path}")
    _print_moved_aside(written, run_id)
    return EXIT_PASS


def _os_error_message(exc: OSError, out: str) -> str:
    where = exc.filename or out
    reason = exc.strerror or str(exc)
    out_path = Path(out).absolute() if out else None
    target = Path(str(where)).absolute()
    writing = out_path is not None and (target == out_path or out_path in target.parents)
    if writing:
        return f"cannot write to {where}: {reason}. Choose another --out folder."
    return f"cannot read {where}: {reason}. Check the path and its permissions."


def _mark_failed(args: argparse.Namespace, run_id: str, message: str) -> None:
    if args.command not in ("run", "demo"):
        return  # report/card re-render a saved result: their failure leaves the folder as it was
    try:
        note = mark_failed(args.out, run_id=run_id, error=message, owned=_report_owned_names())
    except (OSError, AuditInputError):
        return  # the folder cannot be written: the error on stderr is all we can give
    if note is not None:
        print(f"rai-audit: earlier reports in {args.out} were moved aside; see {note}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    os.environ.setdefault("CODECARBON_LOG_LEVEL", "error")
    run_id = new_run_id()
    try:
        if args.command in ("run", "demo"):
            return _run(args, demo=args.command == "demo", run_id=run_id)
        if args.command in cli_history.COMMANDS:
            return cli_history.run_command(args, run_id=run_id)
        return _rerender(args, run_id=run_id)
    except INPUT_ERRORS as exc:
        message = " ".join(str(exc).split()) if not isinstance(exc, AuditInputError) else str(exc)
        print(f"rai-audit: error: {message}", file=sys.stderr)
        _mark_failed(args, run_id, message)
        return EXIT_INPUT_ERROR
    except OSError as exc:  # an input we cannot read, or an --out we cannot write
        message = _os_error_message(exc, getattr(args, "out", ""))
        print(f"rai-audit: error: {message}", file=sys.stderr)
        _mark_failed(args, run_id, message)
        return EXIT_INPUT_ERROR
    except KeyboardInterrupt:
        print("rai-audit: interrupted", file=sys.stderr)
        _mark_failed(args, run_id, "interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug in RAI Audit: the audit is incomplete, and a CI gate must not pass
        message = f"internal error ({type(exc).__name__}: {exc}); the audit is incomplete."
        print(f"rai-audit: error: {message}", file=sys.stderr)
        if os.environ.get("RAI_AUDIT_DEBUG"):
            traceback.print_exc()
        else:
            print("rai-audit: set RAI_AUDIT_DEBUG=1 to see the traceback and report it.", file=sys.stderr)
        _mark_failed(args, run_id, message)
        return EXIT_INCOMPLETE


if __name__ == "__main__":
    sys.exit(main())
