"""The sections that need rows, on the Spark engine: run on a seeded, bounded sample collected to the driver.

Explanations (SHAP needs the model and rows), the data-quality checks that fit models on rows
(:data:`SAMPLE_CHECKS`: the proxy check's cross-validated AUC) and the emissions section (a re-fit, and inference
timed on one machine) cannot be computed from aggregates. On Spark they run on one sample of the input rows:

* its size is the largest the selected sections ask for, from the sizes the config already has
  (``explain_sample_size``, ``policy.checks.DQ_PROXY.sample_size``, ``emissions.refit_max_rows``), at most
  :data:`DRIVER_SAMPLE_CAP` rows;
* it is drawn on the executors and bounded before anything is collected
  (:func:`audits.engines.spark_engine.seeded_sample_frame`: the rows with the smallest seeded hash, so the same
  seed gives the same rows);
* an :class:`~audits.context.AuditContext` is built from it by :func:`audits.context.build_context`, the labels
  and protected bins pinned to those decided on all rows, and the pandas sections run on it unchanged;
* every result states the sample (rows, of how many, method, seed, "collected to the driver"); the emissions
  result says that codecarbon measured the driver only.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from audits.config import AuditConfig
from audits.data_quality.registry import CODES, check_by_code
from audits.engines.sections import NOT_RUN_CHECKS
from audits.errors import AuditInputError
from audits.inputs import ModelAdapter
from audits.results import Finding, SectionResult, Severity, Status, Table

if TYPE_CHECKING:
    from audits.context import AuditContext

DRIVER_SAMPLE_CAP = 200_000  # rows collected to the driver at most, whatever the config asks
SAMPLE_CHECKS = ("DQ_PROXY",)  # data-quality checks that run on the driver sample
DRIVER_ONLY = (
    "codecarbon measured the Spark driver (this machine) only: the energy of the executors, where the "
    "predictions and aggregations over all rows ran, is not measured. The re-fit and the inference timing ran on "
    "the driver, on the sample."
)
NO_MODEL_EMISSIONS = (
    "Predictions-only audit: there is no model to re-fit or run, so no energy was measured. Provide the model "
    "file to measure training and inference energy (on the Spark driver)."
)
EMISSIONS_DISABLED = "Emissions measurement is disabled (emissions.enabled: false)."
ProgressFn = Callable[[float, str], None]


@dataclass(frozen=True)
class SampleSize:
    """How many rows the driver sample holds at most, and which setting asked for how many."""

    rows: int
    asked: Mapping[str, int] = field(default_factory=dict)
    capped: bool = False


def _refits_on_audited_rows(config: AuditConfig, model: ModelAdapter) -> bool:
    em = config.emissions
    return bool(em.refit and em.training_data is None and model.is_refittable)


def sample_size(config: AuditConfig, model: ModelAdapter | None) -> SampleSize:
    """The rows the selected sample-based parts ask for (0: no sample is needed)."""
    from audits.emissions import INFERENCE_ROW_CAP

    asked: dict[str, int] = {}
    if "data_quality" in config.sections:
        for code in SAMPLE_CHECKS:
            if config.policy.check_enabled(code):
                default = check_by_code(code).defaults.get("sample_size", 20_000)
                asked[f"policy.checks.{code}.sample_size"] = int(
                    config.policy.check_option(code, "sample_size", default)
                )
    if model is not None and "explanation" in config.sections:
        asked["explain_sample_size"] = int(config.explain_sample_size)
    if model is not None and "emissions" in config.sections and config.emissions.enabled:
        if _refits_on_audited_rows(config, model):
            asked["emissions.refit_max_rows"] = int(config.emissions.refit_max_rows)
        else:  # no re-fit on these rows: the inference timing's own cap
            asked["emissions inference rows"] = INFERENCE_ROW_CAP
    want = max(asked.values(), default=0)
    return SampleSize(min(want, DRIVER_SAMPLE_CAP), asked, want > DRIVER_SAMPLE_CAP)


@dataclass(frozen=True)
class DriverSample:
    """A seeded sample of the input rows, collected to the driver."""

    frame: pd.DataFrame
    population: int
    size: SampleSize
    seed: int
    method: str
    seconds: float = 0.0  # drawing and collecting it

    @property
    def rows(self) -> int:
        return len(self.frame)

    def describe(self) -> dict[str, Any]:
        """The sample as the results state it (JSON-safe)."""
        return {
            "rows": self.rows,
            "of_rows": self.population,
            "bound": self.size.rows,
            "asked": dict(self.size.asked),
            "cap": DRIVER_SAMPLE_CAP,
            "capped": self.size.capped,
            "seed": self.seed,
            "method": self.method,
            "where": "collected to the driver",
            "collect_s": round(self.seconds, 3),
        }

    def sentence(self, what: str) -> str:
        share = "all" if self.rows >= self.population else f"a seeded sample of {self.rows:,}"
        return (
            f"{what} ran on {share} of the {self.population:,} rows, collected to the Spark driver (seed "
            f"{self.seed}; rows with the smallest seeded hash of their values)."
        )


def collect_sample(df: Any, size: SampleSize, *, seed: int, population: int) -> DriverSample:
    """The driver sample of ``df`` (bounded on the executors before it is collected)."""
    from audits.engines.spark_engine import SAMPLE_METHOD, seeded_sample

    t0 = time.perf_counter()
    frame = seeded_sample(df, size.rows, seed=seed, n_rows=population)
    return DriverSample(frame, population, size, int(seed), SAMPLE_METHOD, time.perf_counter() - t0)


def sample_config(config: AuditConfig, *, positive: Any, binning: Mapping[str, Any]) -> AuditConfig:
    """``config`` with what was decided on all rows pinned: binary task, the positive class, and automatic
    quartile bins (quartiles of the sample would give other groups)."""
    protected = tuple(
        dataclasses.replace(a, bins=tuple(binning[a.column]["edges"]))
        if a.bins is None and (binning.get(a.column) or {}).get("edges")
        else a
        for a in config.protected
    )
    return config.replace(
        task="binary",
        positive_label=config.positive_label if config.positive_label is not None else positive,
        protected=protected,
    )


def _only_sample_checks(config: AuditConfig) -> AuditConfig:
    """The config with every data-quality check but :data:`SAMPLE_CHECKS` switched off (their own options
    kept): the other checks either ran on all rows on Spark or are not run."""
    checks = {code: dict(config.policy.checks.get(code, {})) for code in CODES}
    for code in CODES:
        if code not in SAMPLE_CHECKS:
            checks[code]["enabled"] = False
    return config.replace(policy=dataclasses.replace(config.policy, checks=checks))


class SampleSections:
    """Runs the explanation, emissions and the sample checks of data quality on one driver sample, collected
    when the first of them needs it (never when none is selected)."""

    def __init__(
        self,
        df: Any,
        config: AuditConfig,
        model: ModelAdapter | None,
        *,
        positive: Any,
        binning: Mapping[str, Any],
        file: str,
        population: int,
    ) -> None:
        self.df = df
        self.config = config
        self.model = model
        self.positive = positive
        self.binning = dict(binning)
        self.file = file
        self.population = population
        self.size = sample_size(config, model)
        self.sample: DriverSample | None = None
        self._ctx: AuditContext | None = None
        self._why_not: str | None = None

    def context(self) -> AuditContext | None:
        """The :class:`~audits.context.AuditContext` of the sample, or None (``why_not`` says why)."""
        if self._ctx is not None or self._why_not is not None:
            return self._ctx
        from audits.context import build_context
        from audits.inputs import frame_as_data

        self.sample = collect_sample(self.df, self.size, seed=self.config.seed, population=self.population)
        cfg = sample_config(self.config, positive=self.positive, binning=self.binning)
        try:
            data = frame_as_data(self.sample.frame, name=f"{self.file} (driver sample)")
            self._ctx = build_context(data, config=cfg, model=self.model)
        except AuditInputError as exc:  # the rows as a whole passed; a sample can still lack a class or group
            self._why_not = (
                f"the driver sample of {self.sample.rows:,} rows (seed {self.config.seed}) could not be audited: "
                f"{exc}"
            )
        return self._ctx

    @property
    def why_not(self) -> str | None:
        return self._why_not

    def _stated(self, res: SectionResult, what: str, extra: Mapping[str, Any] | None = None) -> SectionResult:
        """``res`` with the sample stated in its summary and method (and the Method record's sample caps)."""
        assert self.sample is not None
        from audits.method import METHOD_KEY

        metrics = dict(res.metrics)
        if isinstance(metrics.get(METHOD_KEY), Mapping):
            record = dict(metrics[METHOD_KEY])
            record["sample_caps"] = {**dict(record.get("sample_caps") or {}), "driver_sample": self.size.rows}
            metrics[METHOD_KEY] = record
        method = {**dict(res.method), "driver_sample": self.sample.describe(), **dict(extra or {})}
        summary = (*res.summary, self.sample.sentence(what))
        return dataclasses.replace(res, summary=summary, method=method, metrics=metrics)

    # --- the sections ---------------------------------------------------------------------------------------
    def explanation(self, *, prior: Mapping[str, SectionResult], progress: ProgressFn) -> SectionResult:
        from audits import explain
        from audits.explain.local import NO_MODEL

        if self.model is None:  # as the pandas engine: nothing to explain without the model
            return SectionResult.skipped(explain.NAME, explain.TITLE, NO_MODEL)
        ctx = self.context()
        if ctx is None:
            return SectionResult.skipped(explain.NAME, explain.TITLE, f"Not run: {self.why_not}")
        res = explain.run_explanation(ctx, prior=prior, progress=progress)
        return self._stated(res, "SHAP") if res.status != Status.SKIPPED else res

    def emissions(self, *, prior: Mapping[str, SectionResult], progress: ProgressFn) -> SectionResult:
        from audits import emissions

        if not self.config.emissions.enabled:
            return SectionResult.skipped(emissions.NAME, emissions.TITLE, EMISSIONS_DISABLED)
        if self.model is None:
            return SectionResult.skipped(emissions.NAME, emissions.TITLE, NO_MODEL_EMISSIONS)
        ctx = self.context()
        if ctx is None:
            return SectionResult.skipped(emissions.NAME, emissions.TITLE, f"Not run: {self.why_not}")
        res = emissions.run_emissions(ctx, prior=prior, progress=progress)
        if res.status == Status.SKIPPED:
            return res
        note = Finding(
            code="EMIS_DRIVER_ONLY",
            severity=Severity.INFO,
            message=DRIVER_ONLY,
            evidence={"sample_rows": self.sample.rows if self.sample else 0, "of_rows": self.population},
        )
        res = dataclasses.replace(res, findings=(*res.findings, note), summary=(*res.summary, DRIVER_ONLY))
        return self._stated(res, "The re-fit and the inference timing", {"measured": DRIVER_ONLY})

    def data_quality(
        self, aggregated: SectionResult, *, prior: Mapping[str, SectionResult], progress: ProgressFn
    ) -> SectionResult:
        """``aggregated`` (the Spark data-quality aggregations) with :data:`SAMPLE_CHECKS` run on the sample and
        merged in: their findings, ``proxies`` metric and ``proxies:<attribute>`` tables."""
        if aggregated.status in (Status.ERROR, Status.SKIPPED):
            return aggregated
        codes = [c for c in SAMPLE_CHECKS if self.config.policy.check_enabled(c)]
        if not codes:
            return _not_run_text(aggregated, ran=(), rows=0, why=None)
        ctx = self.context()
        if ctx is None:
            return _not_run_text(aggregated, ran=(), rows=0, why=self.why_not)
        from audits.data_quality import run_data_quality

        sctx = dataclasses.replace(ctx, config=_only_sample_checks(ctx.config))
        sampled = run_data_quality(sctx, prior=prior, progress=progress)
        assert self.sample is not None
        rows = self.sample.rows
        on_sample = (
            f"On the driver sample of {rows:,} of {self.population:,} rows (seed {self.sample.seed}). "
        )
        tables = dict(aggregated.tables)
        for key, t in sampled.tables.items():
            if key.startswith("proxies:"):
                tables[key] = Table(title=t.title, data=t.data, note=on_sample + t.note)
        metrics = dict(aggregated.metrics)
        if "proxies" in sampled.metrics:
            metrics["proxies"] = sampled.metrics["proxies"]
        ran = {
            code: {
                **dict(sampled.metrics.get("checks", {}).get(code, {})),
                **dict(sampled.method.get("checks", {}).get(code, {})),
                "rows": rows,
                "seconds": sampled.method.get("timings_s", {}).get(code),
            }
            for code in codes
        }
        # the sample checks' findings, their evidence naming the sample they were computed on
        findings = [
            *aggregated.findings,
            *(
                dataclasses.replace(f, evidence={**dict(f.evidence), "driver_sample_rows": rows})
                for f in sampled.findings
            ),
        ]
        status = Status.FAIL if any(f.severity == Severity.FAIL for f in findings) else aggregated.status
        merged = dataclasses.replace(
            aggregated,
            status=status,
            findings=tuple(findings),
            tables=tables,
            metrics=metrics,
            method={**dict(aggregated.method), "sample_checks": ran},
        )
        merged = _not_run_text(merged, ran=tuple(codes), rows=rows, why=None)
        return self._stated(merged, f"The row-level check{'s' if len(codes) > 1 else ''} {', '.join(codes)}")


def _not_run_text(res: SectionResult, *, ran: tuple[str, ...], rows: int, why: str | None) -> SectionResult:
    """The data-quality result's statement of what did not run on Spark, with the sample checks that did."""
    on_sample = f"{', '.join(ran)} ran on the driver sample of {rows:,} rows; " if ran else ""
    reason = f" (the sample checks did not run: {why})" if why else ""
    text = f"{on_sample}not run on this engine: {NOT_RUN_CHECKS}{reason}."
    text = text[0].upper() + text[1:]
    findings = tuple(
        dataclasses.replace(
            f,
            message=(
                "Only the aggregate data-quality checks ran on all rows on the Spark engine. "
                f"{text} Run the pandas engine on a sample for the others."
            ),
        )
        if f.code == "DQ_ENGINE_PARTIAL"
        else f
        for f in res.findings
    )
    summary = tuple(text if s.startswith("Not run on this engine:") else s for s in res.summary)
    method = {**dict(res.method), "not_run": NOT_RUN_CHECKS}
    if ran:
        method["run_on_driver_sample"] = list(ran)
    return dataclasses.replace(res, findings=findings, summary=summary, method=method)


__all__ = [
    "DRIVER_ONLY",
    "DRIVER_SAMPLE_CAP",
    "SAMPLE_CHECKS",
    "DriverSample",
    "SampleSections",
    "SampleSize",
    "collect_sample",
    "sample_config",
    "sample_size",
]
