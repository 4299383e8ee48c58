"""The ``rai-audit`` command line.

Exit codes: 0 = every policy verdict passed (or was inconclusive/warned), 1 = a verdict failed, 2 = input error
(message only, no traceback). Sections in error are reported but do not change the exit code by themselves;
``--strict`` makes them (and inconclusive verdicts) fail the run, for CI gates that must not pass on missing evidence.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from audits.config import AuditConfig, ProtectedAttribute, merge_overrides
from audits.errors import AuditInputError
from audits.results import AuditResult, Status
from audits.runner import run_audit
from reports import export

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_INPUT_ERROR = 2

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
STATUS_MARK = {
    Status.PASS: "PASS",
    Status.WARN: "WARN",
    Status.FAIL: "FAIL",
    Status.INCONCLUSIVE: "INCONCLUSIVE",
    Status.ERROR: "ERROR",
    Status.SKIPPED: "skipped",
}


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
            "--positive-label", help="favourable class of a binary target (default: scikit-learn convention)"
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
            "--config", help="audit config YAML (target, protected, policy, ...); flags override it"
        )
        p.add_argument(
            "--task", choices=["auto", "binary", "multiclass", "regression"], help="override task detection"
        )
        p.add_argument(
            "--trust-pickle",
            action="store_true",
            help="allow pickle/joblib models (they run code when loaded)",
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
    p.add_argument("--out", default="audit_out", help="output folder (default: audit_out)")
    p.add_argument("--format", default="json", help="comma-separated: json,md,html,pdf (default: json)")
    p.add_argument("--card", help="model card YAML with the qualitative fields (intended use, owners, ...)")
    p.add_argument(
        "--sections", help="comma-separated subset: performance,data_quality,fairness,explanation,emissions"
    )
    p.add_argument("--seed", type=int, help="seed of every random step")
    p.add_argument(
        "--strict", action="store_true", help="also exit 1 on inconclusive verdicts and sections in error"
    )
    p.add_argument("--quiet", action="store_true", help="no progress lines")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rai-audit",
        description="Audit a model and a tabular dataset: data quality, fairness, explanations, emissions.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run an audit and write the result (and reports)")
    _add_run_options(run)
    demo = sub.add_parser("demo", help="audit the bundled Adult sample (gradient boosting)")
    _add_run_options(demo, demo=True)
    rep = sub.add_parser("report", help="re-render a saved result.json without re-running the audit")
    rep.add_argument("result", help="an audit_report.json written by rai-audit run")
    rep.add_argument("--out", default="audit_out")
    rep.add_argument("--format", default="md,html,pdf")
    rep.add_argument("--card", help="model card YAML with the qualitative fields")
    card = sub.add_parser("card", help="write the model card of a saved result")
    card.add_argument("result", help="an audit_report.json written by rai-audit run")
    card.add_argument("--card", help="model card YAML with the qualitative fields")
    card.add_argument("--out", default="audit_out")
    card.add_argument("--format", default="md,json,pdf")
    card.add_argument(
        "--init",
        metavar="YAML",
        help="write a model card YAML prefilled from the result (edit it, then pass it as --card) and stop",
    )
    return parser


def _progress_printer(quiet: bool):
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
        return _with_emissions_options(AuditConfig(protected=protected, **kwargs), args)
    return _with_emissions_options(merge_overrides(base, protected=protected, **overrides), args)


def _load_card_info(path: str | None):
    if not path:
        return None
    from reports.model_card import CardInfo

    return CardInfo.from_yaml(path)


def print_summary(result: AuditResult, written: dict[str, Path], *, strict: bool) -> None:
    ctx = result.provenance.platform.get("context", {})
    print(f"RAI Audit — {result.provenance.data.get('name')}  ({result.provenance.data.get('rows'):,} rows)")
    print(f"  model: {result.provenance.model.get('description') or result.provenance.model.get('kind')}")
    if ctx.get("task") == "binary":
        print(f"  task: binary; positive class {ctx.get('positive_label')!r}")
    for note in ctx.get("notes", []):
        print(f"  note: {note}")
    for s in result.sections:
        dur = f"{s.duration_s:6.2f}s" if s.duration_s is not None else ""
        first = s.summary[0] if s.summary else ""
        print(f"  {STATUS_MARK[s.status]:<12} {s.title:<22} {dur}  {first}")
    print(f"Overall: {STATUS_MARK[result.status]}" + (" (strict)" if strict else ""))
    for fmt, path in written.items():
        print(f"  wrote {fmt:>4}: {path}")


def exit_code_for(result: AuditResult, *, strict: bool) -> int:
    statuses = {s.status for s in result.sections}
    if Status.FAIL in statuses:
        return EXIT_FAIL
    if strict and statuses & {Status.INCONCLUSIVE, Status.ERROR}:
        return EXIT_FAIL
    return EXIT_PASS


def _run(args: argparse.Namespace, *, demo: bool) -> int:
    formats = export.parse_formats(args.format)
    card_info = _load_card_info(
        args.card or (str(SAMPLE_DIR / "adult" / "model_card.yaml") if demo else None)
    )
    progress = _progress_printer(args.quiet)
    if demo:
        cfg = AuditConfig.from_yaml(SAMPLE_DIR / "adult" / "audit.yaml")
        if args.seed is not None:
            cfg = cfg.replace(seed=args.seed)
        if args.sections:
            cfg = cfg.replace(sections=tuple(s.strip() for s in args.sections.split(",")))
        result = run_audit(
            SAMPLE_DIR / "adult" / "adult_test.csv",
            model=SAMPLE_DIR / "adult" / "adult_gbm.skops",
            reference=SAMPLE_DIR / "adult" / "adult_train.csv",
            config=cfg,
            progress=progress,
        )
    else:
        cfg = _config_from_args(args)
        if args.model is None and cfg.prediction_column is None:
            raise AuditInputError(
                "Give --model FILE, or --prediction COL for a dataset that holds the predictions."
            )
        result = run_audit(
            args.data,
            model=args.model,
            reference=args.reference,
            config=cfg,
            progress=progress,
            trust_pickle=args.trust_pickle,
        )
    written = export.write_report(result, args.out, formats, card_info=card_info)
    print_summary(result, written, strict=args.strict)
    return exit_code_for(result, strict=args.strict)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    os.environ.setdefault("CODECARBON_LOG_LEVEL", "error")
    try:
        if args.command in ("run", "demo"):
            return _run(args, demo=args.command == "demo")
        result = AuditResult.load_json(args.result)
        card_info = _load_card_info(args.card)
        if args.command == "report":
            written = export.write_report(
                result, args.out, export.parse_formats(args.format), card_info=card_info
            )
        elif args.init:
            from reports.model_card import CardInfo

            target = Path(args.init)
            if target.exists():
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
            )
        for fmt, path in written.items():
            print(f"wrote {fmt:>4}: {path}")
        return EXIT_PASS
    except AuditInputError as exc:
        print(f"rai-audit: error: {exc}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except OSError as exc:  # e.g. --out names a file, or a folder we may not write
        where = exc.filename or getattr(args, "out", "")
        print(
            f"rai-audit: error: cannot write to {where}: {exc.strerror or exc}. Choose another --out folder.",
            file=sys.stderr,
        )
        return EXIT_INPUT_ERROR
    except KeyboardInterrupt:
        print("rai-audit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
