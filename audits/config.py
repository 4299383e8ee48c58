"""What to audit (AuditConfig) and against which tolerances (Policy), loadable from YAML.

The config is a typed schema (pydantic dataclasses): every value is type-checked and bounded once, at the entry,
whether it comes from YAML, the CLI, the dashboard or Python. Unknown keys, duplicate YAML keys, YAML aliases
and explicit YAML tags are refused with a message naming the key, so a typo never silently changes an audit and
a small file cannot expand into gigabytes. ``config_json_schema()`` gives the JSON Schema an editor validates
the YAML with (``audits/config.schema.json``).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, Strict, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass

from audits.errors import NO_PROTECTED, AuditInputError
from audits.limits import Limits, check_bytes, default_limits

TASKS = ("auto", "binary", "multiclass", "regression")
SECTION_NAMES = ("performance", "data_quality", "fairness", "explanation", "emissions")
DECISIONS = ("assistive", "punitive", "representation")
EXPLAINERS = ("auto", "tree", "linear", "permutation", "kernel")

# Config keys that name files on the machine that runs the audit. An uploaded config (dashboard) may hold none
# of them: the server would otherwise open a path chosen by the uploader.
FILE_KEYS = ("emissions.training_data", "emissions.imported_csv")
_FILE_KEY_LEAVES = frozenset(k.rsplit(".", 1)[-1] for k in FILE_KEYS)

UNKNOWN_KEYS = "{source}: unknown key(s) {keys} in '{where}'. Known keys: {known}."
BAD_VALUE = "{source}: '{where}' must be {expected}; got {got!r}."

# Bounds on numeric values: each keeps one audit from exhausting the machine (n_bootstrap: 1e9 would allocate
# tens of GiB) while leaving far more room than any sensible audit needs.
MAX_BOOTSTRAP = 20_000
MAX_SAMPLE_ROWS = 10_000_000
MAX_EXPLAIN_ROWS = 100_000
MAX_BINS = 100
MAX_PROTECTED = 20
MAX_LIST = 5_000
MAX_SEED = 2**32 - 1

_SCHEMA_CONFIG = ConfigDict(extra="forbid")


def _finite(v: float) -> float:
    if not math.isfinite(v):
        raise ValueError("must be a finite number")
    return v


def _no_bare_string(v: Any) -> Any:
    # A string where a list is expected is an error, never a list of its characters ('25' is not [2, 5]).
    if isinstance(v, str | bytes):
        raise ValueError("must be a list, not a single string; write [a, b] or one item per line")
    return v


# Numbers and switches are strict: YAML gives them typed, so "1000" (a string), true (for a number) or "yes"
# (for a switch) is a mistake to report, not a value to coerce. A float field still takes an integer.
SInt = Annotated[int, Strict()]
SFloat = Annotated[float, Strict()]
SBool = Annotated[bool, Strict()]
Finite = Annotated[SFloat, AfterValidator(_finite)]
StrList = Annotated[tuple[str, ...], BeforeValidator(_no_bare_string), Field(max_length=MAX_LIST)]
Label = str | int | float | bool
TypeName = Annotated[
    str,
    Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$", max_length=300),
]


def _format_validation_error(exc: ValidationError, *, source: str, where: str = "") -> str:
    lines = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in (where, *err["loc"]) if p != "")
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "unexpected_keyword_argument":
            lines.append(f"unknown key '{loc}'")
            continue
        if err["type"] == "missing_keyword_only_argument" or err["type"] == "missing_argument":
            lines.append(f"'{loc}' is required")
            continue
        got = err.get("input")
        shown = repr(got)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        lines.append(f"'{loc}': {msg[0].lower() + msg[1:] if msg else msg}; got {shown}")
    return f"{source}: " + "; ".join(lines) + ". Fix the value in the config (or the matching CLI flag)."


def _validated(cls: type) -> type:
    """Turn pydantic's ValidationError into an AuditInputError whose message names the key and the fix."""
    original = cls.__init__

    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            original(self, *args, **kwargs)
        except ValidationError as exc:
            raise AuditInputError(_format_validation_error(exc, source=cls.__name__)) from None

    cls.__init__ = __init__  # type: ignore[method-assign]
    return cls


def _check_keys(d: Mapping[str, Any], cls: type, *, where: str, source: str) -> None:
    known = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(map(str, d)) - set(known))
    if unknown:
        raise AuditInputError(
            UNKNOWN_KEYS.format(
                source=source, keys=", ".join(map(repr, unknown)), where=where, known=", ".join(known)
            )
        )


@_validated
@dataclass(frozen=True, kw_only=True, config=_SCHEMA_CONFIG)
class ProtectedAttribute:
    """A protected column; numeric ones (e.g. age) are binned by ``bins`` edges into labelled groups.

    ``bins`` are the inner edges: ``[25]`` gives groups ``<=25`` and ``>25``; ``[25, 60]`` three groups.
    ``reference_group`` is the group every other group is compared with (default: the largest group).
    """

    column: Annotated[str, Field(min_length=1, max_length=500)]
    bins: (
        Annotated[tuple[Finite, ...], BeforeValidator(_no_bare_string), Field(max_length=MAX_BINS)] | None
    ) = None
    labels: (
        Annotated[tuple[str, ...], BeforeValidator(_no_bare_string), Field(max_length=MAX_BINS + 1)] | None
    ) = None
    reference_group: Label | None = None

    def __post_init__(self) -> None:
        if self.reference_group is not None:
            object.__setattr__(self, "reference_group", str(self.reference_group))
        if self.bins is not None and list(self.bins) != sorted(set(self.bins)):
            raise AuditInputError(
                f"protected '{self.column}': bins must be increasing; got {list(self.bins)}."
            )
        if self.labels is not None and (self.bins is None or len(self.labels) != len(self.bins) + 1):
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
        return _construct(cls, dict(value), source=source, where=f"protected[{value['column']}]")


def _protected_items(v: Any) -> Any:
    if isinstance(v, str | Mapping | ProtectedAttribute):
        v = (v,)
    if isinstance(v, Sequence):
        return tuple(ProtectedAttribute.parse(p) if isinstance(p, str) else p for p in v)
    return v


@_validated
@dataclass(frozen=True, kw_only=True, config=_SCHEMA_CONFIG)
class Policy:
    """Tolerances and sample sizes against which verdicts are given.

    Defaults (docs/checks.md): ratio >= 0.8 (four-fifths rule, a US EEOC heuristic), difference <= 0.1, groups
    with fewer than 30 rows or fewer than 10 positives/negatives left out of verdicts. ``checks`` switches
    data-quality checks off or changes their thresholds, keyed by check code:
    ``{"DQ_MISSING": {"enabled": false}, "DQ_PROXY": {"warn_auc": 0.75}}``. ``n_bootstrap: 0`` turns the
    resampling intervals off (intervals then come from closed-form methods only, and say so).
    Single-feature leakage warns at ``leakage_warn_relative`` of the model's own score or
    ``leakage_warn_absolute``, and fails at ``leakage_fail``. ``change_tolerance`` is how much a metric or
    disparity may move between two audits (``rai-audit compare``, ``--baseline``) before a change counts.
    """

    ratio_tolerance: Annotated[SFloat, Field(gt=0, le=1)] = 0.8
    difference_tolerance: Annotated[SFloat, Field(ge=0, le=1)] = 0.1
    min_group_size: Annotated[SInt, Field(ge=1, le=MAX_SAMPLE_ROWS)] = 30
    min_group_events: Annotated[SInt, Field(ge=0, le=MAX_SAMPLE_ROWS)] = 10
    confidence_level: Annotated[SFloat, Field(gt=0.5, le=0.9999)] = 0.95
    n_bootstrap: Annotated[SInt, Field(ge=0, le=MAX_BOOTSTRAP)] = 1000
    bootstrap_row_cap: Annotated[SInt, Field(ge=100, le=MAX_SAMPLE_ROWS)] = 20_000
    leakage_warn_relative: Annotated[SFloat, Field(gt=0, le=1)] = 0.85
    leakage_warn_absolute: Annotated[SFloat, Field(gt=0, le=1)] = 0.90
    leakage_fail: Annotated[SFloat, Field(gt=0, le=1)] = 0.95
    change_tolerance: Annotated[SFloat, Field(ge=0, le=1)] = 0.02
    checks: Mapping[str, Mapping[str, Any] | None] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
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
        d = _mapping(d, where="policy", source=source)
        _check_keys(d, cls, where="policy", source=source)
        return _construct(cls, d, source=source, where="policy")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@_validated
@dataclass(frozen=True, kw_only=True, config=_SCHEMA_CONFIG)
class EmissionsConfig:
    """Options of the emissions section.

    ``country_iso_code`` is the ISO 3166-1 alpha-3 code whose grid carbon intensity codecarbon uses
    (default USA, stated in the result). ``training_data`` is a file with the rows to re-fit on; by default
    the reference dataset, else the audited dataset (the result says which), of which at most ``refit_max_rows``
    rows (a seeded random sample, stated in the result) are re-fitted. ``refit_time_budget_s`` bounds the
    re-fit: past it, the cost is extrapolated from growing seeded samples (and says so). ``imported_csv`` is a
    codecarbon emissions.csv from the original training run. ``inference_max_seconds`` caps the inference
    measurement, which stops earlier once its per-1,000-rows figure is stable.
    """

    enabled: SBool = True
    refit: SBool = True
    country_iso_code: Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")] = "USA"
    region: Annotated[str, Field(max_length=100)] | None = None
    training_data: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    imported_csv: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    inference_max_seconds: Annotated[SFloat, Field(ge=0, le=600)] = 3.0
    refit_max_rows: Annotated[SInt, Field(ge=100, le=MAX_SAMPLE_ROWS)] = 200_000
    refit_time_budget_s: Annotated[SFloat, Field(gt=0, le=3600)] = 30.0
    compare_countries: Annotated[
        tuple[Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")], ...],
        BeforeValidator(_no_bare_string),
        Field(max_length=50),
    ] = ("FRA", "DEU", "GBR", "IND", "CHN", "NOR")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None, *, source: str = "config") -> EmissionsConfig:
        d = _mapping(d, where="emissions", source=source)
        _check_keys(d, cls, where="emissions", source=source)
        return _construct(cls, d, source=source, where="emissions")


@_validated
@dataclass(frozen=True, kw_only=True, config=_SCHEMA_CONFIG)
class AuditConfig:
    """What to audit.

    Parameters
    ----------
    target : the label column.
    protected : protected attributes (column names or :class:`ProtectedAttribute`).
    positive_label : the positive class of a binary task; default follows scikit-learn (the model's
        ``classes_[1]``, else the larger sorted label).
    favourable_label : the outcome that benefits the person (default: the positive label). For recidivism,
        default or fraud models the positive prediction is the adverse outcome: set this to the other label.
    decision : ``assistive`` (the favourable outcome gives something: a loan, an interview), ``punitive`` (the
        adverse outcome takes something away: detention, an investigation) or ``representation`` (who is
        selected at all). It chooses the metrics that lead the fairness summary.
    task : ``auto`` (detected), ``binary``, ``multiclass`` or ``regression``.
    features : model input columns; default the model's expected features, else every other column.
    prediction_column, score_column : "predictions only" mode, when no model is given.
    sample_weight_column : optional row weights (used by fairness metrics).
    exclude_columns : columns that are neither features nor protected (ids, timestamps).
    categorical : numeric columns that hold category codes (checks and grouping treat them as categories;
        the model still receives them as written).
    allowed_values : the codebook of a column; values outside it are reported.
    intersections : also audit intersections of the protected attributes.
    na_values : cell spellings read as missing in CSV files (the empty cell always is).
    seed : seed of every random step (bootstrap, sampling).
    explain_sample_size : rows explained by SHAP (stratified by protected group).
    explainer : ``auto``, ``tree``, ``linear``, ``permutation`` or ``kernel``.
    sections : sections to run, in the runner's order.
    trusted_types : exact, fully-qualified type names to accept in a ``.skops`` model beyond the built-in allow
        list (never a prefix).
    """

    target: Annotated[str, Field(min_length=1, max_length=500)]
    protected: Annotated[
        tuple[ProtectedAttribute, ...], BeforeValidator(_protected_items), Field(max_length=MAX_PROTECTED)
    ]
    positive_label: Label | None = None
    favourable_label: Label | None = None
    decision: Literal["assistive", "punitive", "representation"] = "assistive"
    task: Literal["auto", "binary", "multiclass", "regression"] = "auto"
    features: StrList | None = None
    prediction_column: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    score_column: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    sample_weight_column: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    exclude_columns: StrList = ()
    categorical: StrList = ()
    allowed_values: Mapping[str, Annotated[tuple[Label, ...], BeforeValidator(_no_bare_string)]] = (
        dataclasses.field(default_factory=dict)
    )
    intersections: SBool = True
    na_values: Annotated[tuple[str, ...], BeforeValidator(_no_bare_string), Field(max_length=100)] = ("",)
    seed: Annotated[SInt, Field(ge=0, le=MAX_SEED)] = 0
    explain_sample_size: Annotated[SInt, Field(ge=1, le=MAX_EXPLAIN_ROWS)] = 2000
    explainer: Literal["auto", "tree", "linear", "permutation", "kernel"] = "auto"
    explain_time_budget_s: Annotated[SFloat, Field(gt=0, le=3600)] = 60.0
    sections: Annotated[
        tuple[Literal["performance", "data_quality", "fairness", "explanation", "emissions"], ...],
        BeforeValidator(lambda v: (v,) if isinstance(v, str) else v),
    ] = SECTION_NAMES
    model_name: Annotated[str, Field(max_length=300)] | None = None
    dataset_name: Annotated[str, Field(max_length=300)] | None = None
    trusted_types: Annotated[
        tuple[TypeName, ...], BeforeValidator(_no_bare_string), Field(max_length=200)
    ] = ()
    policy: Policy = dataclasses.field(default_factory=Policy)
    emissions: EmissionsConfig = dataclasses.field(default_factory=EmissionsConfig)

    def __post_init__(self) -> None:
        if not self.protected:
            raise AuditInputError(NO_PROTECTED)
        object.__setattr__(
            self, "allowed_values", {str(k): tuple(v) for k, v in dict(self.allowed_values).items()}
        )

    @property
    def protected_columns(self) -> list[str]:
        return [p.column for p in self.protected]

    @property
    def file_paths(self) -> dict[str, str]:
        """The config keys that name files on this machine, with their values (only those set)."""
        out = {}
        for key in FILE_KEYS:
            section, leaf = key.split(".")
            value = getattr(getattr(self, section), leaf)
            if value is not None:
                out[key] = value
        return out

    def replace(self, **changes: Any) -> AuditConfig:
        return dataclasses.replace(self, **changes)

    # --- YAML / dict ----------------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str = "config") -> AuditConfig:
        d = _mapping(d, where="top level", source=source)
        _check_keys(d, cls, where="top level", source=source)
        if "target" not in d:
            raise AuditInputError(f"{source}: 'target' is required (the label column).")
        if "protected" not in d:
            raise AuditInputError(f"{source}: 'protected' is required (at least one protected column).")
        prot = d["protected"]
        if isinstance(prot, str | Mapping):
            prot = [prot]
        if not isinstance(prot, Sequence):
            raise AuditInputError(
                BAD_VALUE.format(source=source, where="protected", expected="a list of columns", got=prot)
            )
        d["protected"] = tuple(ProtectedAttribute.parse(p, source=source) for p in prot)
        d["policy"] = Policy.from_dict(d.get("policy"), source=source)
        d["emissions"] = EmissionsConfig.from_dict(d.get("emissions"), source=source)
        return _construct(cls, d, source=source)

    @classmethod
    def from_yaml(
        cls, path: str | Path, *, overrides: Mapping[str, Any] | None = None, limits: Limits | None = None
    ) -> AuditConfig:
        """Load a config; file paths inside it (emissions.training_data, imported_csv) are relative to it.

        ``overrides`` (e.g. CLI flags) replace keys before validation, so a YAML may leave out what the flags give.
        """
        d = load_yaml_mapping(path, limits=limits)
        d.update({k: v for k, v in (overrides or {}).items() if v is not None and v != ()})
        em = d.get("emissions")
        if isinstance(em, Mapping):
            em = dict(em)
            for key in _FILE_KEY_LEAVES:
                value = em.get(key)
                if isinstance(value, str) and value and not Path(value).is_absolute():
                    em[key] = str((Path(path).parent / value).resolve())
            d["emissions"] = em
        return cls.from_dict(d, source=str(path))

    @classmethod
    def from_upload(cls, raw: bytes, name: str, *, limits: Limits | None = None) -> AuditConfig:
        """Parse a config uploaded to a server: strict YAML, and no key that names a server file.

        Whatever the YAML shape (a mapping, a list of pairs, an ordered map), a key in :data:`FILE_KEYS` is
        refused before anything is read, and the message is the same whether the path exists or not.
        """
        d = parse_yaml_mapping(raw, source=name, limits=limits)
        found = sorted(_file_keys_anywhere(d))
        if found:
            raise AuditInputError(
                f"{name}: the key(s) {', '.join(map(repr, found))} name files on the server, which an uploaded "
                "config may not do. Remove them and upload the training data or the trainer's emissions CSV "
                "as files in the form instead."
            )
        config = cls.from_dict(d, source=name)
        if config.file_paths:  # belt and braces: the typed result must hold no path either
            raise AuditInputError(f"{name}: an uploaded config may not name server files.")
        return config

    def to_dict(self, *, file_keys: bool = True) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["protected"] = [
            {k: v for k, v in dataclasses.asdict(p).items() if v is not None} for p in self.protected
        ]
        if not file_keys:
            for key in FILE_KEYS:
                section, leaf = key.split(".")
                d[section].pop(leaf, None)
        return d

    def to_yaml(self, *, file_keys: bool = True) -> str:
        """The config as YAML; ``file_keys=False`` leaves out file paths (a config to share or upload)."""
        from audits.jsonsafe import json_safe

        return yaml.safe_dump(
            json_safe(self.to_dict(file_keys=file_keys)), sort_keys=False, allow_unicode=True
        )


def _mapping(d: Any, *, where: str, source: str) -> dict[str, Any]:
    if d is None:
        return {}
    if not isinstance(d, Mapping):
        raise AuditInputError(
            f"{source}: '{where}' must be a mapping of keys to values; got {type(d).__name__}. "
            "Write it as 'key: value' lines."
        )
    return dict(d)


def _construct(cls: type, d: dict[str, Any], *, source: str, where: str = "") -> Any:
    # Build through the raw pydantic __init__ so the message names the source file and the nested key.
    obj = cls.__new__(cls)
    try:
        cls.__init__.__wrapped__(obj, **d)
    except ValidationError as exc:
        raise AuditInputError(_format_validation_error(exc, source=source, where=where)) from None
    return obj


def _file_keys_anywhere(node: Any) -> set[str]:
    """Names of file keys found anywhere in a parsed YAML tree: mapping keys and the first item of pairs."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            found.update(str(k) for k in item if str(k) in _FILE_KEY_LEAVES)
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            if len(item) == 2 and isinstance(item[0], str) and item[0] in _FILE_KEY_LEAVES:
                found.add(item[0])
            stack.extend(item)
    return found


# --- strict YAML ----------------------------------------------------------------------------------------------
class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (billion-laughs bombs), duplicate keys and explicit collection tags."""


def _refuse_alias(self: _StrictLoader, *args: Any, **kwargs: Any) -> Any:
    if self.check_event(yaml.AliasEvent):
        event = self.peek_event()
        raise yaml.constructor.ConstructorError(
            None,
            None,
            "aliases (*name) are not allowed in an audit config; write the value out",
            event.start_mark,
        )
    return yaml.SafeLoader.compose_node(self, *args, **kwargs)


def _construct_mapping(self: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        key = self.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (each key may appear once)", key_node.start_mark
            )
        seen[key] = True
    return yaml.SafeLoader.construct_mapping(self, node, deep=deep)


def _refuse_tag(self: _StrictLoader, node: yaml.Node) -> Any:
    raise yaml.constructor.ConstructorError(
        None,
        None,
        f"the tag {node.tag} is not allowed in an audit config; use plain mappings and lists",
        node.start_mark,
    )


_StrictLoader.compose_node = _refuse_alias  # type: ignore[method-assign]
_StrictLoader.construct_mapping = _construct_mapping  # type: ignore[method-assign]
for _tag in ("omap", "pairs", "set", "binary"):
    _StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse_tag)


def parse_yaml_mapping(raw: bytes | str, *, source: str, limits: Limits | None = None) -> dict[str, Any]:
    """Parse YAML text that must hold a mapping; strict (see :class:`_StrictLoader`), size-capped."""
    limits = limits or default_limits()
    size = len(raw.encode() if isinstance(raw, str) else raw)
    check_bytes(source, size, field="max_config_bytes", limits=limits)
    try:
        text = raw if isinstance(raw, str) else raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AuditInputError(f"{source}: not a UTF-8 text file. Save the config as UTF-8 YAML.") from exc
    try:
        d = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise AuditInputError(
            f"{source}{where}: not valid YAML ({problem}). Fix the config at that line."
        ) from exc
    if d is None:
        raise AuditInputError(f"{source}: the config file is empty. Give at least 'target' and 'protected'.")
    if not isinstance(d, dict):
        raise AuditInputError(
            f"{source}: the config must be a mapping of keys to values; got {type(d).__name__}."
        )
    return d


def load_yaml_mapping(path: str | Path, *, limits: Limits | None = None) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; errors name the file and the line."""
    path = Path(path)
    if not path.exists():
        raise AuditInputError(f"{path}: the config file does not exist. Check the path.")
    if not path.is_file():
        raise AuditInputError(f"{path}: is not a file. Give the path of a YAML config file.")
    limits = limits or default_limits()
    check_bytes(str(path), path.stat().st_size, field="max_config_bytes", limits=limits)
    return parse_yaml_mapping(path.read_bytes(), source=str(path), limits=limits)


def merge_overrides(config: AuditConfig, **overrides: Any) -> AuditConfig:
    """Apply non-None CLI/dashboard overrides to a config (protected may be a list of names)."""
    changes = {k: v for k, v in overrides.items() if v is not None and v != ()}
    if "protected" in changes:
        changes["protected"] = tuple(ProtectedAttribute.parse(p) for p in changes["protected"])
    return dataclasses.replace(config, **changes)


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema of the YAML config (editors validate the YAML with it)."""
    schema = TypeAdapter(AuditConfig).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "RAI Audit config"
    return schema
