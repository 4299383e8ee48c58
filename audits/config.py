"""What to audit (AuditConfig) and against which tolerances (Policy), loadable from YAML.

Unknown keys are refused with the list of known keys, so a typo never silently changes an audit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from audits.errors import AuditInputError

TASKS = ("auto", "binary", "multiclass", "regression")
SECTION_NAMES = ("performance", "data_quality", "fairness", "explanation", "emissions")

UNKNOWN_KEYS = "{source}: unknown key(s) {keys} in '{where}'. Known keys: {known}."
BAD_VALUE = "{source}: '{where}' must be {expected}; got {got!r}."


def _check_keys(d: Mapping[str, Any], cls: type, *, where: str, source: str) -> None:
    known = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(d) - set(known))
    if unknown:
        raise AuditInputError(
            UNKNOWN_KEYS.format(
                source=source, keys=", ".join(map(repr, unknown)), where=where, known=", ".join(known)
            )
        )


@dataclass(frozen=True, kw_only=True)
class ProtectedAttribute:
    """A protected column; numeric ones (e.g. age) are binned by ``bins`` edges into labelled groups.

    ``bins`` are the inner edges: ``[25]`` gives groups ``<=25`` and ``>25``; ``[25, 60]`` three groups.
    ``reference_group`` is the privileged group for the signed (AIF360) convention; optional.
    """

    column: str
    bins: tuple[float, ...] | None = None
    labels: tuple[str, ...] | None = None
    reference_group: str | None = None

    def __post_init__(self) -> None:
        if self.bins is not None:
            object.__setattr__(self, "bins", tuple(float(b) for b in self.bins))
            if list(self.bins) != sorted(set(self.bins)):
                raise AuditInputError(
                    f"protected '{self.column}': bins must be increasing; got {list(self.bins)}."
                )
        if self.labels is not None:
            object.__setattr__(self, "labels", tuple(str(x) for x in self.labels))
            if self.bins is None or len(self.labels) != len(self.bins) + 1:
                raise AuditInputError(
                    f"protected '{self.column}': labels need bins and exactly len(bins)+1 entries; "
                    f"got {len(self.labels)} labels for {len(self.bins or ())} edge(s)."
                )

    @classmethod
    def parse(cls, value: str | Mapping[str, Any], *, source: str = "config") -> ProtectedAttribute:
        if isinstance(value, ProtectedAttribute):
            return value
        if isinstance(value, str):
            return cls(column=value)
        if not isinstance(value, Mapping) or "column" not in value:
            raise AuditInputError(
                BAD_VALUE.format(
                    source=source, where="protected", expected="a column name or {column: ...}", got=value
                )
            )
        _check_keys(value, cls, where="protected", source=source)
        return cls(**value)


@dataclass(frozen=True, kw_only=True)
class Policy:
    """Tolerances and sample sizes against which verdicts are given.

    Defaults follow ../shared/CHECKS.md: ratio >= 0.8 (four-fifths rule, a US EEOC heuristic), difference
    <= 0.1, groups with fewer than 30 rows or fewer than 10 positives/negatives excluded from headline
    disparities. ``checks`` switches data-quality checks off or changes their thresholds, keyed by check code:
    ``{"DQ_MISSING": {"enabled": false}, "DQ_PROXY": {"warn_auc": 0.75}}``.
    """

    ratio_tolerance: float = 0.8
    difference_tolerance: float = 0.1
    min_group_size: int = 30
    min_group_events: int = 10
    confidence_level: float = 0.95
    n_bootstrap: int = 1000
    bootstrap_row_cap: int = 20_000
    checks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 < self.ratio_tolerance <= 1:
            raise AuditInputError(
                BAD_VALUE.format(
                    source="policy", where="ratio_tolerance", expected="in (0, 1]", got=self.ratio_tolerance
                )
            )
        if not 0 <= self.difference_tolerance <= 1:
            raise AuditInputError(
                BAD_VALUE.format(
                    source="policy",
                    where="difference_tolerance",
                    expected="in [0, 1]",
                    got=self.difference_tolerance,
                )
            )
        if not 0.5 < self.confidence_level < 1:
            raise AuditInputError(
                BAD_VALUE.format(
                    source="policy",
                    where="confidence_level",
                    expected="in (0.5, 1)",
                    got=self.confidence_level,
                )
            )
        if int(self.n_bootstrap) < 0:
            raise AuditInputError(
                BAD_VALUE.format(source="policy", where="n_bootstrap", expected=">= 0", got=self.n_bootstrap)
            )
        object.__setattr__(
            self, "checks", {str(k): dict(v or {}) for k, v in dict(self.checks or {}).items()}
        )

    def check_option(self, code: str, key: str, default: Any) -> Any:
        """The configured value of option ``key`` of data-quality check ``code``, else ``default``."""
        return self.checks.get(code, {}).get(key, default)

    def check_enabled(self, code: str) -> bool:
        return bool(self.checks.get(code, {}).get("enabled", True))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None, *, source: str = "policy") -> Policy:
        d = dict(d or {})
        _check_keys(d, cls, where="policy", source=source)
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, kw_only=True)
class EmissionsConfig:
    """Options of the emissions section.

    ``country_iso_code`` is the ISO 3166-1 alpha-3 code whose grid carbon intensity codecarbon uses
    (default USA, stated in the result). ``training_data`` is a file with the rows to re-fit on; by default
    the audited dataset, of which at most ``refit_max_rows`` rows (a seeded random sample, stated in the result)
    are re-fitted; a designated file is always re-fitted whole. ``imported_csv`` is a codecarbon emissions.csv
    from the original training run.
    """

    enabled: bool = True
    refit: bool = True
    country_iso_code: str = "USA"
    region: str | None = None
    training_data: str | None = None
    imported_csv: str | None = None
    inference_min_seconds: float = 3.0
    refit_max_rows: int = 200_000
    compare_countries: tuple[str, ...] = ("FRA", "DEU", "GBR", "IND", "CHN", "NOR")

    def __post_init__(self) -> None:
        object.__setattr__(self, "compare_countries", tuple(self.compare_countries))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None, *, source: str = "config") -> EmissionsConfig:
        d = dict(d or {})
        _check_keys(d, cls, where="emissions", source=source)
        return cls(**d)


@dataclass(frozen=True, kw_only=True)
class AuditConfig:
    """What to audit.

    Parameters
    ----------
    target : the label column.
    protected : protected attributes (column names or :class:`ProtectedAttribute`).
    positive_label : the favourable class of a binary task; default follows scikit-learn (the model's
        ``classes_[1]``, else the larger sorted label).
    task : ``auto`` (detected), ``binary``, ``multiclass`` or ``regression``.
    features : model input columns; default the model's expected features, else every other column.
    prediction_column, score_column : "predictions only" mode, when no model is given.
    sample_weight_column : optional row weights (used by fairness metrics).
    exclude_columns : columns that are neither features nor protected (ids, timestamps).
    intersections : also audit intersections of the protected attributes.
    na_values : cell spellings read as missing in CSV files.
    seed : seed of every random step (bootstrap, sampling).
    explain_sample_size : rows explained by SHAP (stratified by protected group).
    explainer : ``auto``, ``tree``, ``linear``, ``permutation`` or ``kernel``.
    sections : sections to run, in the runner's order.
    """

    target: str
    protected: tuple[ProtectedAttribute, ...]
    positive_label: Any = None
    task: str = "auto"
    features: tuple[str, ...] | None = None
    prediction_column: str | None = None
    score_column: str | None = None
    sample_weight_column: str | None = None
    exclude_columns: tuple[str, ...] = ()
    intersections: bool = True
    na_values: tuple[str, ...] = ("?", "")
    seed: int = 0
    explain_sample_size: int = 2000
    explainer: str = "auto"
    explain_time_budget_s: float = 60.0
    sections: tuple[str, ...] = SECTION_NAMES
    model_name: str | None = None
    dataset_name: str | None = None
    policy: Policy = field(default_factory=Policy)
    emissions: EmissionsConfig = field(default_factory=EmissionsConfig)

    def __post_init__(self) -> None:
        prot = self.protected
        if isinstance(prot, str | Mapping | ProtectedAttribute):
            prot = (prot,)
        object.__setattr__(self, "protected", tuple(ProtectedAttribute.parse(p) for p in prot))
        if self.features is not None:
            object.__setattr__(self, "features", tuple(self.features))
        object.__setattr__(self, "exclude_columns", tuple(self.exclude_columns))
        object.__setattr__(self, "na_values", tuple(str(v) for v in self.na_values))
        sections = (self.sections,) if isinstance(self.sections, str) else self.sections
        object.__setattr__(self, "sections", tuple(sections))
        if isinstance(self.exclude_columns, str):
            object.__setattr__(self, "exclude_columns", (self.exclude_columns,))
        if isinstance(self.policy, Mapping):
            object.__setattr__(self, "policy", Policy.from_dict(self.policy))
        if isinstance(self.emissions, Mapping):
            object.__setattr__(self, "emissions", EmissionsConfig.from_dict(self.emissions))
        if self.task not in TASKS:
            raise AuditInputError(
                BAD_VALUE.format(source="config", where="task", expected=" or ".join(TASKS), got=self.task)
            )
        unknown = [s for s in self.sections if s not in SECTION_NAMES]
        if unknown:
            raise AuditInputError(
                f"config: unknown section(s) {unknown}. Known sections: {', '.join(SECTION_NAMES)}."
            )
        if not self.protected:
            from audits.errors import NO_PROTECTED

            raise AuditInputError(NO_PROTECTED)

    @property
    def protected_columns(self) -> list[str]:
        return [p.column for p in self.protected]

    def replace(self, **changes: Any) -> AuditConfig:
        return dataclasses.replace(self, **changes)

    # --- YAML / dict ----------------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str = "config") -> AuditConfig:
        if not isinstance(d, Mapping):
            raise AuditInputError(
                f"{source}: the config must be a mapping of keys to values; got {type(d).__name__}."
            )
        d = dict(d)
        _check_keys(d, cls, where="top level", source=source)
        if "target" not in d:
            raise AuditInputError(f"{source}: 'target' is required (the label column).")
        if "protected" not in d:
            raise AuditInputError(f"{source}: 'protected' is required (at least one protected column).")
        prot = d["protected"]
        if isinstance(prot, str | Mapping):
            prot = [prot]
        d["protected"] = tuple(ProtectedAttribute.parse(p, source=source) for p in prot)
        d["policy"] = Policy.from_dict(d.get("policy"), source=source)
        d["emissions"] = EmissionsConfig.from_dict(d.get("emissions"), source=source)
        for key in ("features", "exclude_columns", "na_values", "sections"):
            if key in d and d[key] is not None:
                if isinstance(d[key], str):
                    d[key] = [d[key]]
                d[key] = tuple(d[key])
        return cls(**d)

    @classmethod
    def from_yaml(cls, path: str | Path, *, overrides: Mapping[str, Any] | None = None) -> AuditConfig:
        """Load a config; file paths inside it (emissions.training_data, imported_csv) are relative to it.

        ``overrides`` (e.g. CLI flags) replace keys before validation, so a YAML may leave out what the flags give.
        """
        d = load_yaml_mapping(path)
        d.update({k: v for k, v in (overrides or {}).items() if v is not None and v != ()})
        em = d.get("emissions")
        if isinstance(em, dict):
            em = dict(em)
            for key in ("training_data", "imported_csv"):
                if em.get(key) and not Path(em[key]).is_absolute():
                    em[key] = str((Path(path).parent / em[key]).resolve())
            d["emissions"] = em
        return cls.from_dict(d, source=str(path))

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["protected"] = [
            {k: v for k, v in dataclasses.asdict(p).items() if v is not None} for p in self.protected
        ]
        return d

    def to_yaml(self) -> str:
        from audits.jsonsafe import json_safe

        return yaml.safe_dump(json_safe(self.to_dict()), sort_keys=False, allow_unicode=True)


def load_yaml_mapping(path: str | Path) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; errors name the file and the line."""
    path = Path(path)
    if not path.exists():
        raise AuditInputError(f"{path}: the config file does not exist. Check the path.")
    try:
        d = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise AuditInputError(f"{path}: not valid YAML ({exc}). Fix the syntax at the line shown.") from exc
    except UnicodeDecodeError as exc:
        raise AuditInputError(f"{path}: not a UTF-8 text file. Save the config as UTF-8 YAML.") from exc
    if d is None:
        raise AuditInputError(f"{path}: the config file is empty. Give at least 'target' and 'protected'.")
    if not isinstance(d, dict):
        raise AuditInputError(
            f"{path}: the config must be a mapping of keys to values; got {type(d).__name__}."
        )
    return d


def merge_overrides(config: AuditConfig, **overrides: Any) -> AuditConfig:
    """Apply non-None CLI/dashboard overrides to a config (protected may be a list of names)."""
    changes = {k: v for k, v in overrides.items() if v is not None and v != ()}
    if "protected" in changes:
        changes["protected"] = tuple(ProtectedAttribute.parse(p) for p in changes["protected"])
    return dataclasses.replace(config, **changes)


def as_sequence(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)
