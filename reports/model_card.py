"""The model card (Mitchell et al. 2019), filled from an AuditResult plus qualitative fields the user keeps.

Quantitative parts (performance overall and per group with intervals, fairness verdicts, data-quality
findings, top explanatory features, environmental impact) come from the AuditResult. Qualitative parts
(intended use, out-of-scope uses, ethical considerations, caveats, owners, license, version, ...) live in a
:class:`CardInfo` that the user keeps in a YAML file (e.g. ``model_card.yaml`` beside the audit config), never
in the AuditResult, so they survive a re-run of the audit::

    card = build_model_card(result, CardInfo.from_yaml("model_card.yaml"))
    Path("MODEL_CARD.md").write_text(card.to_markdown())

Exports: Markdown with Hugging Face front matter (``co2_eq_emissions`` in grams with ``source``,
``training_type``, ``geographical_location``, ``hardware_used``; ``model-index`` metrics), JSON and PDF.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from audits.emissions_view import EmissionsResult
from audits.errors import AuditInputError
from audits.explain.view import ExplanationResult
from audits.fairness.view import FairnessResult
from audits.performance_view import PerformanceResult
from audits.results import AuditResult, Severity, Status, Table
from reports import readers
from reports.document import Block, Bullets, Document, Heading, KeyValues, Paragraph, Preformatted, TableBlock
from reports.formatting import (
    DisplayTable,
    fmt_seconds,
    fmt_sig,
    fmt_status,
    fmt_value,
    fmt_value_ci,
    humanize,
)
from reports.readers import base_name, group_mix

CARD_UNKNOWN_KEYS = "{source}: unknown key(s) {keys} in the model card. Known keys: {known}."
CARD_BAD_VALUE = "{source}: model card key '{key}' must be {expected}; got {got}."
NOT_PROVIDED = "Not provided — add '{key}' to the model card YAML (or fill it in the dashboard)."

# Group metrics shown per group in the card (the full tables are in the audit report).
CARD_GROUP_METRICS = ("selection_rate", "tpr", "fpr", "accuracy", "mean_prediction", "mae")
CARD_PERFORMANCE_METRICS = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "mae",
    "rmse",
    "r2",
)
TOP_FEATURES = 10
TOP_DQ_FINDINGS = 8


def _tuple(value: Any, *, key: str, source: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence):
        return tuple(str(v) for v in value if v is not None and str(v) != "")
    raise AuditInputError(
        CARD_BAD_VALUE.format(
            source=source, key=key, expected="a text or a list of texts", got=type(value).__name__
        )
    )


@dataclass(frozen=True, kw_only=True)
class CardInfo:
    """Qualitative fields of a model card; everything the audit cannot measure.

    Text fields are strings; list fields (``developers``, ``intended_uses``, ...) are tuples of strings and
    accept a single string in YAML. Empty fields are filled from :meth:`defaults_from` where the result knows
    an answer, else the card says they were not provided.
    """

    model_name: str = ""
    version: str = ""
    date: str = ""
    model_type: str = ""
    parameters: str = ""
    developers: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    license: str = ""
    contact: str = ""
    citation: str = ""
    intended_uses: tuple[str, ...] = ()
    intended_users: tuple[str, ...] = ()
    out_of_scope_uses: tuple[str, ...] = ()
    ethical_considerations: tuple[str, ...] = ()
    caveats_and_recommendations: tuple[str, ...] = ()
    training_data: str = ""
    evaluation_data: str = ""
    library_name: str = ""
    language: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    training_type: str = ""
    geographical_location: str = ""
    hardware_used: str = ""
    preprocessing: str = ""
    dataset_split: str = ""
    # Fields of the EU AI Act technical documentation (Annex IV) that no audit can measure.
    provider: str = ""
    intended_purpose: str = ""
    interactions: str = ""
    deployment_forms: str = ""
    hardware_requirements: str = ""
    user_interface: str = ""
    instructions_for_use: str = ""
    development_methods: str = ""
    human_oversight: str = ""
    predetermined_changes: str = ""
    cybersecurity: str = ""
    risk_management: str = ""
    lifecycle_changes: str = ""
    standards_applied: str = ""
    declaration_of_conformity: str = ""
    post_market_monitoring: str = ""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type == "tuple[str, ...]":
                object.__setattr__(self, f.name, _tuple(value, key=f.name, source="model card"))
            elif value is None:
                object.__setattr__(self, f.name, "")
            elif not isinstance(value, str):
                object.__setattr__(self, f.name, str(value))

    @classmethod
    def known_keys(cls) -> list[str]:
        """The keys a model-card YAML may hold."""
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None, *, source: str = "model card") -> CardInfo:
        """Build from a mapping; unknown keys raise :class:`AuditInputError` listing the known ones."""
        if d is None:
            return cls()
        if not isinstance(d, Mapping):
            raise AuditInputError(
                f"{source}: the model card must be a mapping of keys to values; got {type(d).__name__}."
            )
        known = cls.known_keys()
        unknown = sorted(set(map(str, d)) - set(known))
        if unknown:
            raise AuditInputError(
                CARD_UNKNOWN_KEYS.format(
                    source=source, keys=", ".join(map(repr, unknown)), known=", ".join(known)
                )
            )
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in d:
                continue
            value = d[f.name]
            if f.type == "tuple[str, ...]":
                kwargs[f.name] = _tuple(value, key=f.name, source=source)
            elif isinstance(value, Mapping | list):
                raise AuditInputError(
                    CARD_BAD_VALUE.format(
                        source=source, key=f.name, expected="a text", got=type(value).__name__
                    )
                )
            else:
                kwargs[f.name] = "" if value is None else str(value)
        return cls(**kwargs)

    @classmethod
    def from_yaml(cls, path: str | Path) -> CardInfo:
        """Read a model-card YAML file (the one the user keeps beside the audit config)."""
        path = Path(path)
        if not path.exists():
            raise AuditInputError(f"{path}: the model card file does not exist. Check the path.")
        try:
            d = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise AuditInputError(
                f"{path}: not valid YAML ({exc}). Fix the syntax at the line shown."
            ) from exc
        return cls.from_dict(d or {}, source=str(path))

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
            for f in dataclasses.fields(self)
        }

    def to_yaml(self) -> str:
        """YAML the user can keep and edit; every key is written, empty ones included, so all are discoverable."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)

    def save_yaml(self, path: str | Path) -> Path:
        """Write :meth:`to_yaml` to ``path`` (e.g. a template prefilled by :meth:`defaults_from`)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_yaml(), encoding="utf-8")
        return path

    @classmethod
    def defaults_from(cls, result: AuditResult) -> CardInfo:
        """What the result itself says about the model: name, date, type, library, data descriptions."""
        p = result.provenance
        cfg = p.config or {}
        model = p.model or {}
        data = p.data or {}
        ref = p.reference or {}
        kind = str(model.get("kind") or "")
        library = {"sklearn": "sklearn", "onnx": "onnx"}.get(kind, "")
        rows = fmt_value(data.get("rows"), "count")
        eval_data = (
            f"{cfg.get('dataset_name') or base_name(data.get('name'))}: {rows} rows "
            f"(SHA-256 {str(data.get('sha256', ''))[:12]}…)."
        )
        train = ""
        if ref:
            train = (
                f"Reference data {base_name(ref.get('name'))}: {fmt_value(ref.get('rows'), 'count')} rows "
                f"(SHA-256 {str(ref.get('sha256', ''))[:12]}…)."
            )
        emissions_cfg = cfg.get("emissions") or {}
        if not train and emissions_cfg.get("training_data"):
            train = (
                f"Re-fit for the emissions measurement on {Path(str(emissions_cfg['training_data'])).name}."
            )
        return cls(
            model_name=str(cfg.get("model_name") or base_name(model.get("name")) or "Unnamed model"),
            date=str(p.started_at or "")[:10],
            model_type=str(model.get("description") or kind),
            library_name=library,
            evaluation_data=eval_data,
            training_data=train,
            tags=(
                "tabular-classification"
                if _task(result) in ("binary", "multiclass")
                else "tabular-regression",
                "fairness-audit",
                "rai-audit",
            ),
        )

    def filled_from(self, defaults: CardInfo) -> CardInfo:
        """This info with its empty fields taken from ``defaults``."""
        changes = {
            f.name: getattr(defaults, f.name)
            for f in dataclasses.fields(self)
            if not getattr(self, f.name) and getattr(defaults, f.name)
        }
        return dataclasses.replace(self, **changes)


def _task(result: AuditResult) -> str:
    perf_task = PerformanceResult.of(result, ran_only=False).task()
    if perf_task:
        return perf_task
    ctx = (result.provenance.platform or {}).get("context") or {}
    return str(ctx.get("task") or "binary")


def as_card_info(card_info: CardInfo | Mapping[str, Any] | str | Path | None) -> CardInfo:
    """Accept a CardInfo, a mapping, a YAML path or None."""
    if card_info is None:
        return CardInfo()
    if isinstance(card_info, CardInfo):
        return card_info
    if isinstance(card_info, Mapping):
        return CardInfo.from_dict(card_info)
    if isinstance(card_info, str | Path):
        return CardInfo.from_yaml(card_info)
    raise TypeError(
        f"card_info must be a CardInfo, a mapping or a YAML path; got {type(card_info).__name__}."
    )


@dataclass(frozen=True)
class ModelCard:
    """A model card: qualitative ``info`` plus quantitative parts taken from one AuditResult.

    ``performance`` rows hold metric, value, ci_low, ci_high, n, note. ``group_tables`` map a group column to a
    compact :class:`~audits.results.Table` of counts and key metrics with intervals. ``emissions`` is None when
    nothing was measured (``emissions_reason`` says why).
    """

    info: CardInfo
    audit_status: str
    audited_at: str
    task: str
    performance: tuple[Mapping[str, Any], ...] = ()
    threshold: float | None = None
    variation: str = ""
    factors: tuple[str, ...] = ()
    intersections: tuple[str, ...] = ()
    group_tables: Mapping[str, Table] = field(default_factory=dict)
    fairness_verdicts: tuple[Mapping[str, Any], ...] = ()
    fairness_status: str = ""
    metric_titles: Mapping[str, str] = field(default_factory=dict)
    data_quality: tuple[Mapping[str, Any], ...] = ()
    data_quality_status: str = ""
    top_features: tuple[Mapping[str, Any], ...] = ()
    explanation_status: str = ""
    emissions: Mapping[str, Any] | None = None
    emissions_reason: str = ""
    evaluation: Mapping[str, Any] = field(default_factory=dict)
    training: Mapping[str, Any] | None = None
    not_measured: tuple[str, ...] = ()
    group_mix: Mapping[str, Any] = field(default_factory=dict)
    reference_groups: Mapping[str, str] = field(default_factory=dict)
    preprocessing: str = ""

    # --- exports ------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "info": self.info.to_dict(),
            "audit": {"status": self.audit_status, "audited_at": self.audited_at, "task": self.task},
            "quantitative": {
                "performance": [dict(r) for r in self.performance],
                "threshold": self.threshold,
                "variation": self.variation,
                "factors": list(self.factors),
                "intersections": list(self.intersections),
                "groups": {k: t.to_dict() for k, t in self.group_tables.items()},
                "fairness_status": self.fairness_status,
                "fairness_verdicts": [dict(r) for r in self.fairness_verdicts],
                "data_quality_status": self.data_quality_status,
                "data_quality_findings": [dict(r) for r in self.data_quality],
                "explanation_status": self.explanation_status,
                "top_features": [dict(r) for r in self.top_features],
                "environmental_impact": None if self.emissions is None else dict(self.emissions),
                "environmental_impact_not_measured": self.emissions_reason,
                "evaluation_data": dict(self.evaluation),
                "training_data": None if self.training is None else dict(self.training),
                "not_measured": list(self.not_measured),
            },
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """The card as JSON (qualitative ``info`` and ``quantitative`` parts)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    def front_matter(self) -> dict[str, Any]:
        """Hugging Face model-card metadata (``license``, ``tags``, ``model-index``, ``co2_eq_emissions``...)."""
        info = self.info
        fm: dict[str, Any] = {}
        if info.license:
            spdx = hub_license(info.license)
            fm["license"] = spdx
            if spdx == "other":
                fm["license_name"] = slug_id(info.license)
        if info.language:
            fm["language"] = list(info.language)
        if info.library_name:
            fm["library_name"] = info.library_name
        task_type = "tabular-regression" if self.task == "regression" else "tabular-classification"
        fm["pipeline_tag"] = task_type
        if info.tags:
            fm["tags"] = list(info.tags)
        if info.datasets:
            fm["datasets"] = list(info.datasets)
        metrics = [
            r
            for r in self.performance
            if r.get("value") is not None and r["metric"] in CARD_PERFORMANCE_METRICS
        ]
        if metrics:
            fm["metrics"] = [str(r["metric"]) for r in metrics]
            task_type = "tabular-regression" if self.task == "regression" else "tabular-classification"
            # The Hub's dataset "type" is a dataset id; "name" is for people; both without folders.
            name = str(self.evaluation.get("name") or "evaluation data")
            dataset = {
                "name": name,
                "type": info.datasets[0] if info.datasets else slug_id(name),
                "split": info.dataset_split or "test",
            }
            fm["model-index"] = [
                {
                    "name": base_name(info.model_name) or "model",
                    "results": [
                        {
                            "task": {"type": task_type, "name": humanize(task_type.replace("-", " "))},
                            "dataset": dataset,
                            "metrics": [
                                {
                                    "type": str(r["metric"]),
                                    "value": _displayed_number(r["value"]),
                                    "name": humanize(r["metric"]),
                                }
                                for r in metrics
                            ],
                        }
                    ],
                }
            ]
        e = self.emissions
        if e is not None and e.get("emissions_g") is not None and e.get("is_training", True):
            # The measured values win; the card YAML only fills what the measurement does not say.
            block = {
                "emissions": _displayed_number(e["emissions_g"], kind="grams"),
                "source": e.get("source") or "",
                "training_type": e.get("training_type") or info.training_type,
                "geographical_location": e.get("geographical_location") or info.geographical_location,
                "hardware_used": e.get("hardware_used") or info.hardware_used,
            }
            fm["co2_eq_emissions"] = {k: v for k, v in block.items() if v not in (None, "")}
        return fm

    def to_markdown(self) -> str:
        """Markdown with Hugging Face YAML front matter, readable on the Hub and on GitHub."""
        from reports.markdown import blocks_to_markdown

        fm = yaml.safe_dump(self.front_matter(), sort_keys=False, allow_unicode=True, width=1000).strip()
        body = blocks_to_markdown(card_document(self))
        return f"---\n{fm}\n---\n\n{body}"


# Lowercase license ids the Hugging Face Hub accepts (a subset: the common ones); anything else is "other".
HUB_LICENSES = frozenset(
    [
        "apache-2.0",
        "mit",
        "openrail",
        "openrail++",
        "bigscience-openrail-m",
        "creativeml-openrail-m",
        "bigscience-bloom-rail-1.0",
        "bigcode-openrail-m",
        "afl-3.0",
        "artistic-2.0",
        "bsl-1.0",
        "bsd",
        "bsd-2-clause",
        "bsd-3-clause",
        "bsd-3-clause-clear",
        "c-uda",
        "cc",
        "cc0-1.0",
        "cc-by-2.0",
        "cc-by-2.5",
        "cc-by-3.0",
        "cc-by-4.0",
        "cc-by-sa-3.0",
        "cc-by-sa-4.0",
        "cc-by-nc-2.0",
        "cc-by-nc-3.0",
        "cc-by-nc-4.0",
        "cc-by-nd-4.0",
        "cc-by-nc-nd-3.0",
        "cc-by-nc-nd-4.0",
        "cc-by-nc-sa-2.0",
        "cc-by-nc-sa-3.0",
        "cc-by-nc-sa-4.0",
        "cdla-sharing-1.0",
        "cdla-permissive-1.0",
        "cdla-permissive-2.0",
        "wtfpl",
        "ecl-2.0",
        "epl-1.0",
        "epl-2.0",
        "etalab-2.0",
        "eupl-1.1",
        "eupl-1.2",
        "agpl-3.0",
        "gfdl",
        "gpl",
        "gpl-2.0",
        "gpl-3.0",
        "lgpl",
        "lgpl-2.1",
        "lgpl-3.0",
        "isc",
        "lppl-1.3c",
        "ms-pl",
        "mpl-2.0",
        "odc-by",
        "odbl",
        "openrail",
        "pddl",
        "ofl-1.1",
        "osl-3.0",
        "postgresql",
        "unlicense",
        "zlib",
        "llama2",
        "llama3",
        "gemma",
        "other",
        "unknown",
    ]
)


def hub_license(text: str) -> str:
    """A license as the Hub spells it: ``Apache-2.0`` -> ``apache-2.0``; unknown ids -> ``other``."""
    spdx = str(text).strip().lower().replace(" ", "-")
    return spdx if spdx in HUB_LICENSES else "other"


def slug_id(text: str) -> str:
    """A Hub-style id from a display name: ``UCI Adult, test split`` -> ``uci-adult-test-split``."""
    out = "".join(ch if ch.isalnum() else "-" for ch in base_name(text).lower())
    return "-".join(p for p in out.split("-") if p) or "dataset"


def _displayed_number(x: Any, *, kind: str = "rate") -> float | None:
    """The number as the reports display it (same rounding), as a float for metadata."""
    text = fmt_sig(x) if kind == "grams" else fmt_value(x, "rate")
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


# --- building -------------------------------------------------------------------------------------------


def _group_tables(result: AuditResult) -> dict[str, Table]:
    out = {}
    for column, table in FairnessResult.of(result).group_tables().items():
        keep = ["group", "count", "positives", "negatives"]
        for m in CARD_GROUP_METRICS:
            if m in table.data:
                keep += [m, f"{m}_ci_low", f"{m}_ci_high"]
        keep += ["excluded"]
        out[column] = Table(
            title=f"Groups of {column}",
            data={c: table.data[c] for c in keep if c in table.data},
            note=table.note,
        )
    return out


def _verdicts(result: AuditResult) -> tuple[list[dict[str, Any]], str]:
    fair = result.section("fairness")
    if fair is None:
        return [], ""
    if fair.status in (Status.SKIPPED, Status.ERROR):
        return [], fair.status.value
    view = FairnessResult.from_section(fair)
    rows = view.headline()
    if not rows:
        table = view.disparities_table()
        rows = table.rows() if table is not None else []
    keys = (
        "attribute",
        "metric",
        "kind",
        "method",
        "group",
        "reference",
        "value",
        "ci_low",
        "ci_high",
        "tolerance",
        "verdict",
        "label",
        "note",
    )
    return [{k: r.get(k) for k in keys if k in r} for r in rows if isinstance(r, Mapping)], fair.status.value


def _emissions(result: AuditResult) -> tuple[dict[str, Any] | None, str]:
    """Training emissions for the card: the trainer's imported CSV when there is one, else the audit's re-fit.

    Location, hardware, source and training type come from the engine's ``co2_eq_emissions`` block, which says
    what was measured; ``is_training`` is False for a re-fit on the audited rows, which is not what training
    the model cost (the card then says so and leaves ``co2_eq_emissions`` out of the front matter).
    """
    em = result.section("emissions")
    if em is None:
        return None, "The emissions section is not part of this result."
    if em.status in (Status.SKIPPED, Status.ERROR):
        return None, em.reason or f"The emissions section was {em.status.value}."
    view = EmissionsResult.from_section(em)
    imported, training = view.imported, view.training
    hf = dict(view.co2_eq_emissions)
    if imported.get("emissions_kg") is not None:
        return {
            "emissions_g": float(imported["emissions_kg"]) * 1000,
            "energy_kwh": imported.get("energy_kwh"),
            "duration_s": imported.get("duration_s"),
            "origin": "imported trainer CSV",
            "method": "reported by the trainer (imported codecarbon CSV)",
            "source": str(
                hf.get("source")
                or f"codecarbon CSV of the original training run ({imported.get('source') or 'imported'})"
            ),
            "training_type": str(hf.get("training_type") or "original training run (as reported)"),
            "geographical_location": str(
                hf.get("geographical_location")
                or imported.get("country_name")
                or imported.get("country_iso_code")
                or ""
            ),
            "hardware_used": str(hf.get("hardware_used") or imported.get("cpu_model") or ""),
            "carbon_intensity_g_per_kwh": imported.get("carbon_intensity_g_per_kwh"),
            "is_training": True,
        }, ""
    if training.get("emissions_kg") is not None:
        method = str(training.get("overall_method") or "estimated")
        on_test = view.refit_on_audited_data
        return {
            "emissions_g": float(training["emissions_kg"]) * 1000,
            "energy_kwh": training.get("energy_kwh"),
            "duration_s": training.get("duration_s"),
            "carbon_intensity_g_per_kwh": training.get("carbon_intensity_g_per_kwh"),
            "origin": "re-fit on the audited rows" if on_test else "re-fit measured by RAI Audit",
            "method": method,
            "source": str(hf.get("source") or f"codecarbon ({method}), re-fit measured by RAI Audit"),
            "training_type": str(
                hf.get("training_type")
                or "re-fit of the audited pipeline by RAI Audit (not the original training run)"
            ),
            "geographical_location": str(
                hf.get("geographical_location")
                or training.get("country_name")
                or training.get("country_iso_code")
                or ""
            ),
            "hardware_used": str(hf.get("hardware_used") or training.get("cpu_model") or ""),
            "training_rows": training.get("training_source"),
            "power_methods": {
                k: training.get(k)
                for k in ("cpu_power_method", "gpu_power_method", "ram_power_method")
                if training.get(k)
            },
            "is_training": not on_test,
        }, ""
    return None, view.training_not_measured or "Training emissions were not measured."


def _performance(result: AuditResult) -> tuple[list[dict[str, Any]], Any, str]:
    """Overall performance rows, the decision threshold and the variation note."""
    perf = result.section("performance")
    performance: list[dict[str, Any]] = []
    threshold = None
    variation = ""
    if perf is not None and perf.status not in (Status.SKIPPED, Status.ERROR):
        for name, row in PerformanceResult.from_section(perf).metrics().items():
            performance.append(
                {k: row.get(k) for k in ("metric", "value", "ci_low", "ci_high", "n", "note")}
                | {"metric": name}
            )
        threshold = perf.method.get("threshold")
        level = perf.method.get("confidence_level")
        variation = (
            f"{fmt_value(level, 'pct') if level else ''} intervals: Wilson (rates, F1 via Jaccard), MOVER (balanced "
            f"accuracy), DeLong (ROC AUC); BCa for log loss and Brier ({perf.method.get('row_bootstrap_resamples')} "
            f"resamples, seed {perf.method.get('seed')})."
        ).strip()
    return performance, threshold, variation


def _fairness_variation(fair: Any) -> str:
    """The fairness part of the variation note (leading space), or ``""``."""
    variation = ""
    if fair is not None and fair.method.get("interval_method"):
        variation += f" Group metrics: {fair.method['interval_method']}."
        if fair.method.get("verdict_rule"):
            variation += f" Fairness verdicts: {fair.method['verdict_rule']}."
    return variation


def _data_quality_rows(dq: Any) -> list[dict[str, Any]]:
    """The most important non-info data-quality findings."""
    dq_rows: list[dict[str, Any]] = []
    if dq is not None and dq.status not in (Status.SKIPPED, Status.ERROR):
        for f in dq.ranked_findings():
            if f.severity == Severity.INFO:
                continue
            dq_rows.append(
                {"severity": f.severity.value, "subject": f.subject, "message": f.message, "code": f.code}
            )
        dq_rows = dq_rows[:TOP_DQ_FINDINGS]
    return dq_rows


def _top_features(ex: Any) -> list[dict[str, Any]]:
    """The features with the largest global importance."""
    top: list[dict[str, Any]] = []
    if ex is not None and ex.status not in (Status.SKIPPED, Status.ERROR):
        imp = ExplanationResult.from_section(ex).global_importance()
        if imp is not None:
            rows = sorted(imp.rows(), key=lambda r: -(r.get("mean_abs_shap") or 0))[:TOP_FEATURES]
            top = [{k: r.get(k) for k in ("feature", "mean_abs_shap", "ci_low", "ci_high")} for r in rows]
    return top


def _factors(p: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The protected attributes and the intersections recorded in the provenance."""
    ctx = (p.platform or {}).get("context") or {}
    factors = tuple(
        ctx.get("protected")
        or [a.get("column") for a in (p.config or {}).get("protected", []) if isinstance(a, Mapping)]
    )
    return factors, tuple(ctx.get("intersections") or ())


def _evaluation(p: Any) -> dict[str, Any]:
    data = p.data or {}
    return {
        "name": (p.config or {}).get("dataset_name") or base_name(data.get("name")),
        "file": base_name(data.get("name")),
        "rows": data.get("rows"),
        "sha256": data.get("sha256"),
    }


def _training(p: Any) -> dict[str, Any] | None:
    if not p.reference:
        return None
    return {
        "name": base_name(p.reference.get("name")),
        "rows": p.reference.get("rows"),
        "sha256": p.reference.get("sha256"),
    }


def _preprocessing(info: CardInfo, p: Any) -> str:
    return info.preprocessing or (
        f"The model file holds its own preprocessing: {model_desc}."
        if (model_desc := str((p.model or {}).get("description") or ""))
        else ""
    )


def build_model_card(
    result: AuditResult, card_info: CardInfo | Mapping[str, Any] | str | Path | None = None
) -> ModelCard:
    """Fill a model card from an AuditResult and the user's qualitative fields.

    Parameters
    ----------
    result : the audit result (quantitative parts).
    card_info : qualitative fields (a :class:`CardInfo`, a mapping or a YAML path); empty fields are filled
        from :meth:`CardInfo.defaults_from`.

    Returns
    -------
    ModelCard
    """
    from reports.readers import not_measured

    info = as_card_info(card_info).filled_from(CardInfo.defaults_from(result))
    p = result.provenance
    performance, threshold, variation = _performance(result)
    fair = result.section("fairness")
    variation += _fairness_variation(fair)
    verdicts, fair_status = _verdicts(result)
    dq = result.section("data_quality")
    ex = result.section("explanation")
    emissions, emissions_reason = _emissions(result)
    factors, intersections = _factors(p)
    return ModelCard(
        info=info,
        audit_status=result.status.value,
        audited_at=str(p.started_at or ""),
        task=_task(result),
        performance=tuple(performance),
        threshold=threshold,
        variation=variation,
        factors=factors,
        intersections=intersections,
        group_tables=_group_tables(result),
        fairness_verdicts=tuple(verdicts),
        fairness_status=fair_status,
        metric_titles=FairnessResult.from_section(fair).metric_titles(),
        data_quality=tuple(_data_quality_rows(dq)),
        data_quality_status="" if dq is None else dq.status.value,
        top_features=tuple(_top_features(ex)),
        explanation_status="" if ex is None else ex.status.value,
        emissions=emissions,
        emissions_reason=emissions_reason,
        evaluation=_evaluation(p),
        training=_training(p),
        not_measured=tuple(not_measured(result)),
        group_mix={k: [list(r) for r in v] for k, v in group_mix(result).items()},
        reference_groups=readers.reference_groups(result),
        preprocessing=_preprocessing(info, p),
    )


# --- layout ---------------------------------------------------------------------------------------------


def _text_or_missing(value: str, key: str) -> str:
    return value if value else NOT_PROVIDED.format(key=key)


def _list_or_missing(items: tuple[str, ...], key: str) -> Block:
    return Bullets(items) if items else Paragraph(NOT_PROVIDED.format(key=key), style="note")


def _perf_table(card: ModelCard) -> DisplayTable:
    rows = tuple(
        (
            humanize(r["metric"]),
            fmt_value_ci(r.get("value"), r.get("ci_low"), r.get("ci_high"), reason=r.get("note")),
            fmt_value(r.get("n"), "count"),
        )
        for r in card.performance
    )
    return DisplayTable(
        title="Overall performance",
        columns=("Metric", "Value [CI]", "n"),
        rows=rows,
        numeric=(False, True, True),
        # the full interval methods are the card's "Variation" entry under Metrics: said once, pointed to here
        note="Intervals as described under Metrics → Variation." if card.variation else "",
    )


def _mix_text(card: ModelCard) -> str:
    """``sex: Male 66.7%, Female 33.3%; race: ...`` from the audited data's group mix."""
    parts = []
    for attribute, rows in card.group_mix.items():
        ref = card.reference_groups.get(attribute)
        groups = ", ".join(
            f"{g} {fmt_value(share, 'pct')}{' (reference)' if g == ref else ''}" for g, _n, share in rows
        )
        parts.append(f"{attribute}: {groups}")
    return "; ".join(parts)


def _details_blocks(card: ModelCard, level: int) -> list[Block]:
    info = card.info
    details = [
        ("Model", info.model_name),
        ("Version", _text_or_missing(info.version, "version")),
        ("Date", info.date),
        ("Type", _text_or_missing(info.model_type, "model_type")),
        ("Parameters", _text_or_missing(info.parameters, "parameters")),
        ("Developers", ", ".join(info.developers) or NOT_PROVIDED.format(key="developers")),
        ("Owners", ", ".join(info.owners) or NOT_PROVIDED.format(key="owners")),
        ("License", _text_or_missing(info.license, "license")),
        ("Contact", _text_or_missing(info.contact, "contact")),
        ("Audit verdict", f"{fmt_status(card.audit_status)} (audited {card.audited_at})"),
    ]
    return [Heading("Model details", level=level), KeyValues(tuple(details))]


def _intended_use_blocks(card: ModelCard, level: int) -> list[Block]:
    info = card.info
    sub = level + 1
    return [
        Heading("Intended use", level=level),
        Heading("Primary intended uses", level=sub),
        _list_or_missing(info.intended_uses, "intended_uses"),
        Heading("Primary intended users", level=sub),
        _list_or_missing(info.intended_users, "intended_users"),
        Heading("Out-of-scope uses", level=sub),
        _list_or_missing(info.out_of_scope_uses, "out_of_scope_uses"),
    ]


def _factors_blocks(card: ModelCard, level: int) -> list[Block]:
    b: list[Block] = [Heading("Factors", level=level)]
    if not card.factors:
        b.append(Paragraph("No protected attribute was recorded in the result.", style="note"))
        return b
    rows = [("Groups evaluated", f"protected attributes {', '.join(card.factors)}")]
    if card.intersections:
        rows.append(("Intersections", ", ".join(card.intersections)))
    if card.reference_groups:
        rows.append(
            (
                "Reference groups",
                "; ".join(f"{a}: {g}" for a, g in card.reference_groups.items() if "×" not in a),
            )
        )
    mix = _mix_text(card)
    if mix:
        rows.append(("Group mix of the evaluation data", mix))
    b.append(KeyValues(tuple(rows)))
    return b


def _metrics_blocks(card: ModelCard, level: int) -> list[Block]:
    measures = ", ".join(humanize(r["metric"]) for r in card.performance) or "none measured"
    return [
        Heading("Metrics", level=level),
        KeyValues(
            (
                ("Performance measures", measures),
                ("Decision threshold", fmt_value(card.threshold, reason="not known for this model")),
                ("Variation", card.variation or "not measured"),
            )
        ),
    ]


def _evaluation_data_blocks(card: ModelCard, level: int) -> list[Block]:
    info = card.info
    ev = card.evaluation
    eval_rows = [
        ("Description", _text_or_missing(info.evaluation_data, "evaluation_data")),
        (
            "Data set",
            f"{ev.get('name')} ({fmt_value(ev.get('rows'), 'count')} rows, split {info.dataset_split or 'test'})",
        ),
    ]
    if ev.get("sha256"):
        eval_rows.append(("SHA-256", str(ev["sha256"])))
    mix = _mix_text(card)
    if mix:
        eval_rows.append(("Group mix", mix))
    eval_rows.append(("Preprocessing", card.preprocessing or NOT_PROVIDED.format(key="preprocessing")))
    return [Heading("Evaluation data", level=level), KeyValues(tuple(eval_rows))]


def _training_data_blocks(card: ModelCard, level: int) -> list[Block]:
    train_rows = [("Description", _text_or_missing(card.info.training_data, "training_data"))]
    if card.training:
        train_rows.append(
            (
                "Reference data audited",
                f"{card.training.get('name')} ({fmt_value(card.training.get('rows'), 'count')} rows)",
            )
        )
    train_rows.append(("Preprocessing", card.preprocessing or NOT_PROVIDED.format(key="preprocessing")))
    return [Heading("Training data", level=level), KeyValues(tuple(train_rows))]


def _fairness_blocks(card: ModelCard, sub: int) -> list[Block]:
    """Fairness verdicts and per-group performance tables (stand-alone card only)."""
    from reports.sections import disparity_table, table_block

    b: list[Block] = []
    if card.fairness_verdicts:
        b.append(Heading(f"Fairness verdicts ({fmt_status(card.fairness_status)})", level=sub))
        b.append(
            disparity_table(
                card.fairness_verdicts, title="Deciding comparisons", metric_titles=card.metric_titles
            )
        )
    elif card.fairness_status:
        b.append(
            Paragraph(
                f"Fairness: {fmt_status(card.fairness_status)} — no disparity verdict available.",
                style="note",
            )
        )
    for col, table in card.group_tables.items():
        if "×" in col:
            continue  # intersections: in the audit report's appendix and CSV files
        b.append(Heading(f"Performance by group: {col}", level=sub))
        b.append(table_block(table))
    return b


def _data_quality_blocks(card: ModelCard, sub: int) -> list[Block]:
    if not card.data_quality:
        return []
    return [
        Heading(f"Data-quality findings ({fmt_status(card.data_quality_status)})", level=sub),
        TableBlock(
            DisplayTable(
                title="Most important data-quality findings",
                columns=("Severity", "Subject", "Finding"),
                rows=tuple(
                    (fmt_status(r["severity"]), r["subject"] or "—", r["message"]) for r in card.data_quality
                ),
                numeric=(False, False, False),
            ),
            status_column=0,
        ),
    ]


def _top_features_blocks(card: ModelCard, sub: int) -> list[Block]:
    if not card.top_features:
        return []
    return [
        Heading("Top explanatory features", level=sub),
        TableBlock(
            DisplayTable(
                title="Global importance (mean |SHAP|)",
                columns=("Feature", "Mean |SHAP| [CI]"),
                rows=tuple(
                    (
                        str(r["feature"]),
                        fmt_value_ci(r.get("mean_abs_shap"), r.get("ci_low"), r.get("ci_high")),
                    )
                    for r in card.top_features
                ),
                numeric=(False, True),
            )
        ),
    ]


def _quantitative_blocks(card: ModelCard, level: int, *, compact: bool) -> list[Block]:
    sub = level + 1
    b: list[Block] = [Heading("Quantitative analyses", level=level)]
    if card.performance:
        b.append(TableBlock(_perf_table(card)))
    else:
        b.append(Paragraph("Model performance was not measured in this audit.", style="note"))
    if compact:
        b.append(
            Paragraph(
                "Fairness verdicts with their groups and reference groups, per-group metrics, data-quality findings "
                "and feature importance are in the Verdicts, Fairness, Data quality and Explanations chapters of "
                "this report; the stand-alone model card (rai-audit card) repeats them.",
                style="note",
            )
        )
        return b
    b.extend(_fairness_blocks(card, sub))
    b.extend(_data_quality_blocks(card, sub))
    b.extend(_top_features_blocks(card, sub))
    return b


def _considerations_blocks(card: ModelCard, level: int) -> list[Block]:
    info = card.info
    return [
        Heading("Ethical considerations", level=level),
        _list_or_missing(info.ethical_considerations, "ethical_considerations"),
        Heading("Caveats and recommendations", level=level),
        _list_or_missing(info.caveats_and_recommendations, "caveats_and_recommendations"),
    ]


def _emission_rows(card: ModelCard, e: Mapping[str, Any]) -> list[tuple[str, Any]]:
    info = card.info
    rows = [
        ("CO₂eq emissions", fmt_sig(e.get("emissions_g"), unit="g")),
        ("Where the figure comes from", str(e.get("origin") or "")),
        ("Measured or estimated", str(e.get("method") or "")),
        ("Energy", fmt_sig(e.get("energy_kwh"), unit="kWh")),
        ("Duration", fmt_seconds(e.get("duration_s"))),
        ("Region", e.get("geographical_location") or info.geographical_location or "not stated"),
        ("Hardware", e.get("hardware_used") or info.hardware_used or "not stated"),
        ("What was measured", e.get("training_type") or info.training_type or ""),
        ("Source", str(e.get("source") or "")),
    ]
    if e.get("training_rows"):
        rows.insert(2, ("Rows fitted", str(e["training_rows"])))
    if e.get("carbon_intensity_g_per_kwh") is not None:
        rows.insert(4, ("Carbon intensity", f"{fmt_sig(e['carbon_intensity_g_per_kwh'])} g CO₂eq/kWh"))
    for k, v in (e.get("power_methods") or {}).items():
        rows.append((humanize(k), str(v)))
    return rows


def _environment_blocks(card: ModelCard, level: int) -> list[Block]:
    b: list[Block] = [Heading("Environmental impact", level=level)]
    if card.emissions is None:
        b.append(Paragraph(f"Not measured: {card.emissions_reason}", style="note"))
        return b
    e = card.emissions
    if not e.get("is_training", True):
        b.append(
            Paragraph(
                "These figures are a re-fit on the audited rows, not the cost of training the model: give the "
                "training data (emissions.training_data) or the trainer's codecarbon CSV for a training figure. "
                "They are left out of the card's co2_eq_emissions metadata.",
                style="warning",
            )
        )
    b.append(KeyValues(tuple((k, v) for k, v in _emission_rows(card, e) if v)))
    return b


def _citation_blocks(card: ModelCard, level: int) -> list[Block]:
    citation = card.info.citation
    return [
        Heading("Citation", level=level),
        Preformatted(citation) if citation else Paragraph(NOT_PROVIDED.format(key="citation"), style="note"),
    ]


def card_blocks(card: ModelCard, *, level: int = 1, compact: bool = False) -> list[Block]:
    """The model card as blocks; section headings at ``level`` (sub-headings one below).

    ``compact`` (inside the audit report): the quantitative tables that earlier chapters already show are
    referenced, not repeated.
    """
    return [
        *_details_blocks(card, level),
        *_intended_use_blocks(card, level),
        *_factors_blocks(card, level),
        *_metrics_blocks(card, level),
        *_evaluation_data_blocks(card, level),
        *_training_data_blocks(card, level),
        *_quantitative_blocks(card, level, compact=compact),
        *_considerations_blocks(card, level),
        *_environment_blocks(card, level),
        *_citation_blocks(card, level),
    ]


def card_document(card: ModelCard) -> Document:
    """The model card alone, as a document (Markdown body and PDF)."""
    blocks = card_blocks(card, level=1)
    return Document(
        title=f"Model card: {card.info.model_name}",
        subtitle=str(card.evaluation.get("name") or ""),
        facts=(
            ("Model", card.info.model_name),
            ("Version", card.info.version or "not provided"),
            ("Evaluation data", str(card.evaluation.get("name") or "")),
            ("Audit date", card.audited_at),
        ),
        verdict=f"Audit verdict: {fmt_status(card.audit_status)}",
        verdict_status=card.audit_status,
        blocks=tuple(blocks),
        footer=f"Model card · {card.info.model_name} · {card.info.date}",
        chapter_breaks=False,
    )


def render_model_card_pdf(card: ModelCard) -> bytes:
    """The model card as a PDF (title page, then the Mitchell et al. sections)."""
    from reports.pdf import document_to_pdf

    return document_to_pdf(card_document(card))
