"""Benchmark of the report renderers on the full Adult audit and on a 200-group synthetic result.

Targets (issue 16): the Adult demo PDF <= 2 s with a main body <= 22 pages; the whole set (PDF, HTML, Markdown,
CSV annex, model card, Annex IV) <= 5 s. Earlier (issue 7): Markdown <= 0.5 s, PDF size <= 3 MB.
Timings (wall and process CPU, best of ``--repeats``) run without tracemalloc; peak memory (Python and numpy
allocations, tracemalloc) comes from one extra run of each case. The CPU column matters on a shared machine:
wall time includes waiting for other processes.

Run:  .venv/bin/python benchmarks/reports.py [--result adult_result.json] [--repeats 3]

Without ``--result`` the full Adult audit (all five sections, reference data for drift) runs first; its own
duration is printed but not part of the table. ``--save-result PATH`` keeps it for the next run.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audits import AuditConfig, AuditResult, run_audit  # noqa: E402
from benchmarks._common import print_table  # noqa: E402
from reports.export import render_html, render_markdown, render_pdf  # noqa: E402
from reports.model_card import build_model_card, render_model_card_pdf  # noqa: E402

CARD = ROOT / "sample_data" / "adult" / "model_card.yaml"


def main_body_pages(pdf: bytes) -> int:
    """Pages before the Appendix chapter (from the PDF outline)."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    for item in reader.outline:
        if not isinstance(item, list) and item.title == "Appendix":
            return reader.get_destination_page_number(item)
    return len(reader.pages)


def whole_set(result: AuditResult) -> int:
    """Every format the CLI writes for one result, rendered in memory; returns the bytes produced."""
    from reports.annex_iv import build_annex_iv_document
    from reports.csv_export import csv_files
    from reports.html import document_to_html
    from reports.markdown import blocks_to_markdown
    from reports.model_card import card_document
    from reports.pdf import document_to_pdf
    from reports.report import build_report_document

    doc = build_report_document(result, card_info=CARD)
    out = [document_to_pdf(doc), document_to_html(doc).encode(), blocks_to_markdown(doc).encode()]
    out += list(csv_files(result).values())
    card = build_model_card(result, CARD)
    out += [card.to_markdown().encode(), document_to_pdf(card_document(card))]
    annex = build_annex_iv_document(result, CARD)
    out += [blocks_to_markdown(annex).encode(), document_to_pdf(annex)]
    return sum(len(x) for x in out)


ADULT = ROOT / "sample_data" / "adult"


def adult_result(path: str | None, save: str | None) -> AuditResult:
    if path:
        return AuditResult.load_json(path)
    cfg = AuditConfig.from_yaml(ADULT / "audit.yaml")
    t0 = time.perf_counter()
    result = run_audit(
        ADULT / "adult_test.csv",
        model=ADULT / "adult_gbm.skops",
        config=cfg,
        reference=ADULT / "adult_train.csv",
    )
    print(
        f"Full Adult audit (not part of the table): {time.perf_counter() - t0:.1f} s, status {result.status}"
    )
    print("  sections:", ", ".join(f"{s.name}={s.status.value}" for s in result.sections))
    if save:
        result.save_json(save)
    return result


def synthetic_result() -> AuditResult:
    from tests.reports import synthetic

    return synthetic.full_result(n_groups=200)


def measure(fn: Callable[[], Any], repeats: int) -> tuple[float, float, float, Any]:
    """(best wall s, CPU s of that run, peak MB, output)."""
    best = (float("inf"), 0.0)
    out = None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        if wall < best[0]:
            best = (wall, cpu)
    tracemalloc.start()
    try:
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    return best[0], best[1], peak, out


def size_of(out: Any) -> int:
    return len(out.encode("utf-8")) if isinstance(out, str) else len(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--result", help="a saved full Adult audit result.json (skips running the audit)")
    parser.add_argument("--save-result", help="where to save the Adult result for the next run")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    adult = adult_result(args.result, args.save_result)
    synth = synthetic_result()
    cases: list[tuple[str, Callable[[], Any], float | None, int | None]] = [
        ("Adult full audit: Markdown", lambda: render_markdown(adult, card_info=CARD), 0.5, None),
        ("Adult full audit: HTML", lambda: render_html(adult, card_info=CARD), None, None),
        ("Adult full audit: PDF", lambda: render_pdf(adult, card_info=CARD), 2.0, 3_000_000),
        ("Adult: whole set (PDF, HTML, MD, CSV, card, Annex IV)", lambda: whole_set(adult), 5.0, None),
        ("Adult: model card Markdown", lambda: build_model_card(adult).to_markdown(), None, None),
        ("Adult: model card PDF", lambda: render_model_card_pdf(build_model_card(adult)), None, None),
        ("200 groups (synthetic): Markdown", lambda: render_markdown(synth), None, None),
        ("200 groups (synthetic): PDF", lambda: render_pdf(synth), None, None),
    ]
    rows = []
    for name, fn, target_s, target_bytes in cases:
        wall, cpu, peak, out = measure(fn, args.repeats)
        size = out if isinstance(out, int) else size_of(out)
        ratio = f"{wall / target_s:.2f}x of {target_s:g} s" if target_s else "—"
        size_ratio = f"{size / target_bytes:.2f}x of 3 MB" if target_bytes else "—"
        pages = ""
        if isinstance(out, bytes | bytearray) and out[:4] == b"%PDF":
            import io

            from pypdf import PdfReader

            pages = f"{len(PdfReader(io.BytesIO(out)).pages)} (main {main_body_pages(out)})"
        rows.append(
            [
                name,
                f"{wall:.2f} s",
                f"{cpu:.2f} s",
                f"{peak:,.0f} MB",
                f"{size / 1e6:.2f} MB",
                pages,
                ratio,
                size_ratio,
            ]
        )
    print_table(
        f"Report rendering (best of {args.repeats}; peak = tracemalloc)",
        ["case", "time", "CPU", "peak mem", "size", "pages", "time vs target", "size vs target"],
        rows,
    )


if __name__ == "__main__":
    main()
