"""AuditContext: the validated inputs of one audit, with predictions computed once.

``build_context`` is the single place where inputs are checked; sections trust what it returns. Arrays in the
context are read-only so no section can change what another one sees.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from audits import errors as E
from audits.config import AuditConfig, Policy, ProtectedAttribute
from audits.errors import AuditInputError
from audits.group_labels import (
    AUTO_BIN_MIN_DISTINCT,
    INTERSECTION_SEP,
    MISSING_GROUP,
    bin_labels,
    group_labels,
    intersection_labels,
)
from audits.inputs import LoadedData, ModelAdapter
from audits.method import Sampling

__all__ = ["INTERSECTION_SEP", "MISSING_GROUP", "AuditContext", "build_context"]


@dataclass(frozen=True, eq=False)
class AuditContext:
    """Validated data, labels, predictions and protected groups shared by every section.

    Encodings: for ``binary`` tasks ``y_true``/``y_pred`` are 0/1 (1 = ``positive_label``) and ``y_score`` is
    the probability of the positive class. For ``multiclass`` they are indices into ``classes`` and
    ``y_score`` is the (n, k) probability matrix. For ``regression`` they are floats and ``y_score`` is None.
    """

    config: AuditConfig
    data: pd.DataFrame
    data_info: LoadedData
    model: ModelAdapter | None
    reference: pd.DataFrame | None
    reference_info: LoadedData | None
    task: str
    target: str
    positive_label: Any
    classes: tuple[Any, ...]
    features: tuple[str, ...]
    X: pd.DataFrame
    y: pd.Series
    y_true: np.ndarray
    y_pred: np.ndarray
    y_pred_labels: np.ndarray
    y_score: np.ndarray | None
    sample_weight: np.ndarray | None
    sensitive: pd.DataFrame
    protected_columns: tuple[str, ...]
    intersection_columns: tuple[str, ...]
    prediction_source: str
    prediction_seconds: float | None
    threshold: float | None
    notes: tuple[str, ...] = ()
    binning: Mapping[str, Any] = field(default_factory=dict)

    @property
    def policy(self) -> Policy:
        return self.config.policy

    @cached_property
    def sampling(self) -> Sampling:
        """The policy's confidence level, resamples, row cap and seed, normalised once for every section."""
        return Sampling.from_config(self.config)

    @property
    def group_columns(self) -> tuple[str, ...]:
        """Protected attributes followed by their intersections (columns of ``sensitive``)."""
        return self.protected_columns + self.intersection_columns

    @property
    def n_rows(self) -> int:
        return len(self.data)

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def positive_label_str(self) -> str:
        return str(self.positive_label)

    def describe(self) -> dict[str, Any]:
        """What the context decided, for the result's provenance."""
        return {
            "task": self.task,
            "target": self.target,
            "positive_label": None if self.positive_label is None else str(self.positive_label),
            "classes": [str(c) for c in self.classes],
            "features": list(self.features),
            "protected": list(self.protected_columns),
            "intersections": list(self.intersection_columns),
            "prediction_source": self.prediction_source,
            "threshold": self.threshold,
            "rows": self.n_rows,
            "binning": dict(self.binning),
            "notes": list(self.notes),
        }


def _readonly(a: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return None
    a = np.asarray(a)
    a.flags.writeable = False
    return a


def _fmt_values(values: Any, limit: int = 8) -> str:
    vals = [repr(v) for v in list(values)[:limit]]
    more = len(list(values)) - limit
    return ", ".join(vals) + (f", … (+{more} more)" if more > 0 else "")


def _require_column(df: pd.DataFrame, column: str, *, role: str, file: str) -> None:
    if column not in df.columns:
        raise AuditInputError(
            E.COLUMN_MISSING.format(
                file=file, column=column, role=role, available=_fmt_values(df.columns, 30)
            )
        )


def _match_label(value: Any, labels: list[Any]) -> Any | None:
    """Find ``value`` among ``labels``, tolerating type differences (YAML "1" vs int 1, True vs 'True')."""
    for lab in labels:
        if lab == value:
            return lab
    sv = str(value).strip()
    for lab in labels:
        if str(lab).strip() == sv:
            return lab
    try:
        fv = float(sv)
        for lab in labels:
            try:
                if float(lab) == fv:
                    return lab
            except (TypeError, ValueError):
                continue
    except ValueError:
        pass
    return None


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _detect_task(config: AuditConfig, y: pd.Series, model: ModelAdapter | None, file: str) -> str:
    if config.task != "auto":
        return config.task
    if model is not None and model.kind == "sklearn" and model.classes is None and _is_numeric(y):
        return "regression"
    n_unique = y.nunique(dropna=True)
    if model is not None and model.classes is not None:
        return "binary" if len(model.classes) <= 2 else "multiclass"
    if _is_numeric(y) and pd.api.types.is_float_dtype(y):
        integral = np.all(np.mod(y.dropna().to_numpy(dtype=float), 1) == 0)
        if not integral or n_unique > 20:
            return "regression"
    if _is_numeric(y) and n_unique > 20:
        return "regression"
    return "binary" if n_unique <= 2 else "multiclass"


def _bin_protected(
    attr: ProtectedAttribute, s: pd.Series, notes: list[str], *, categorical: bool = False
) -> tuple[pd.Series, dict[str, Any] | None]:
    """Group labels (strings) for one protected column; NaN becomes its own 'missing' group.

    ``categorical`` (the column is listed under the config's ``categorical``): numeric codes are groups as they
    are, never cut at quartiles.
    """
    bins = attr.bins
    info = None
    numeric = _is_numeric(s) and not (categorical and bins is None)
    if bins is None and numeric and s.nunique(dropna=True) > AUTO_BIN_MIN_DISTINCT:
        values = s.to_numpy(dtype=float)
        qs = np.nanquantile(values, [0.25, 0.5, 0.75])
        integral = bool(np.all(np.mod(values[~np.isnan(values)], 1) == 0))
        # integer columns (age) get integer edges, so groups read '<=34', '(34, 50]' rather than '(50, 66.25]'
        qs = np.unique(np.floor(qs) if integral else np.round(qs, 6))
        bins = tuple(float(q) for q in qs)
        notes.append(
            f"Protected column '{attr.column}' is numeric with {s.nunique()} distinct values and no bins were given; "
            f"it was binned at its quartiles {list(bins)}. Set bins in the config to choose the groups."
        )
        info = {"edges": list(bins), "how": "quartiles (automatic)"}
    elif bins is not None:
        info = {"edges": list(bins), "how": "configured"}
    if bins is not None:
        if not numeric:
            raise AuditInputError(
                f"protected column '{attr.column}' has bins {list(bins)} but is not numeric. Remove the bins or "
                "choose a numeric column."
            )
        info["labels"] = list(attr.labels) if attr.labels else bin_labels(bins)
    return group_labels(s, info), info


def _validate_check_options(policy: Policy) -> None:
    """Unknown data-quality check codes or options in the policy are input errors, not silent no-ops."""
    if not policy.checks:
        return
    from audits.data_quality.registry import CODES, check_by_code  # lazy: the registry imports this module

    for code, opts in policy.checks.items():
        if code not in CODES:
            raise AuditInputError(
                f"policy.checks: unknown data-quality check {code!r}. Known checks: {', '.join(CODES)}."
            )
        known = {"enabled", *check_by_code(code).defaults}
        unknown = sorted(set(opts) - known)
        if unknown:
            raise AuditInputError(
                f"policy.checks.{code}: unknown option(s) {', '.join(map(repr, unknown))}. "
                f"Known options: {', '.join(sorted(known))}."
            )


def _validate_emissions_inputs(config: AuditConfig) -> None:
    """Files and country named in the emissions options must exist, so the section cannot fail late on them."""
    from pathlib import Path

    from audits.emissions_equivalents import energy_mix  # lazy: codecarbon data is only read when needed
    from audits.emissions_import import parse_codecarbon_csv

    em = config.emissions
    for key in ("training_data", "imported_csv"):
        path = getattr(em, key)
        if path and not Path(path).exists():
            raise AuditInputError(
                f"emissions.{key}: {path} does not exist. Check the path (relative paths in a config "
                "file are read from the config file's folder)."
            )
    if em.imported_csv:
        parse_codecarbon_csv(em.imported_csv)
    code = em.country_iso_code.upper()
    mix = energy_mix()
    if code not in mix:
        raise AuditInputError(
            f"emissions.country_iso_code: {em.country_iso_code!r} is not an ISO 3166-1 alpha-3 code known to "
            "codecarbon's energy-mix data (e.g. USA, FRA, DEU, GBR, IND)."
        )


def _checked_model_output(
    labels: Any, proba: Any, *, n_rows: int, model: ModelAdapter
) -> tuple[np.ndarray, np.ndarray | None]:
    """Refuse model output of the wrong shape, with missing or infinite values, or probabilities outside [0, 1]:
    an audit of such output would be silently wrong."""
    labels = np.asarray(labels)
    if labels.ndim > 1 and labels.shape[1:] != (1,) * (labels.ndim - 1):
        raise AuditInputError(
            f"{model.name}: predict returned an array of shape {labels.shape}; one prediction per row was expected "
            f"({n_rows:,} rows). Check that the model is a single-output classifier or regressor."
        )
    labels = labels.ravel()
    if len(labels) != n_rows:
        raise AuditInputError(
            f"{model.name}: predict returned {len(labels):,} values for {n_rows:,} rows. The model must return one "
            "prediction per row."
        )
    if labels.dtype.kind == "f" and not np.isfinite(labels).all():
        raise AuditInputError(
            f"{model.name}: predict returned {int((~np.isfinite(labels)).sum()):,} missing or infinite value(s). "
            "Every row needs a finite prediction; check the model's handling of missing inputs."
        )
    if proba is None:
        return labels, None
    proba = np.asarray(proba, dtype=float)
    n_classes = None if model.classes is None else len(model.classes)
    expected = f"({n_rows:,}, {n_classes})" if n_classes else f"({n_rows:,}, number of classes)"
    if (
        proba.ndim not in (1, 2)
        or proba.shape[0] != n_rows
        or (proba.ndim == 2 and n_classes is not None and proba.shape[1] != n_classes)
    ):
        raise AuditInputError(
            f"{model.name}: predict_proba returned an array of shape {proba.shape}; expected {expected}. "
            "The model's probabilities do not match its classes."
        )
    if not np.isfinite(proba).all():
        raise AuditInputError(
            f"{model.name}: predict_proba returned {int((~np.isfinite(proba)).sum()):,} missing or infinite "
            "value(s). Every row needs finite probabilities."
        )
    if proba.min() < -1e-9 or proba.max() > 1 + 1e-9:
        raise AuditInputError(
            f"{model.name}: predict_proba returned values from {proba.min():.4g} to {proba.max():.4g}; "
            "probabilities must lie between 0 and 1."
        )
    return labels, proba


# --- columns ---------------------------------------------------------------------------------------------------
def _check_columns(df: pd.DataFrame, config: AuditConfig, model: ModelAdapter | None, file: str) -> pd.Series:
    """Every column the config names exists and the target is complete; returns the target column."""
    _require_column(df, config.target, role="target", file=file)
    for attr in config.protected:
        _require_column(df, attr.column, role="protected attribute", file=file)
        if attr.column == config.target:
            raise AuditInputError(
                f"{file}: column '{attr.column}' is both the target and a protected attribute. Choose a different "
                "protected column."
            )
        if df[attr.column].isna().all():
            raise AuditInputError(E.PROTECTED_ALL_MISSING.format(file=file, column=attr.column))
    for col, role in (
        (config.prediction_column, "prediction"),
        (config.score_column, "score"),
        (config.sample_weight_column, "sample weight"),
    ):
        if col is not None:
            _require_column(df, col, role=role, file=file)
    for col in config.categorical:
        _require_column(df, col, role="listed under 'categorical' in the config; fix or remove it", file=file)
    for col in config.allowed_values:
        _require_column(df, col, role="a key of 'allowed_values' in the config; fix or remove it", file=file)
    if model is None and config.prediction_column is None:
        raise AuditInputError(E.NO_MODEL_NO_PREDICTIONS)

    y = df[config.target]
    n_missing = int(y.isna().sum())
    if n_missing:
        raise AuditInputError(E.TARGET_MISSING_VALUES.format(file=file, column=config.target, n=n_missing))
    if _is_numeric(y) and not np.isfinite(y.to_numpy(dtype=float)).all():
        raise AuditInputError(
            f"{file}: target column '{config.target}' holds infinite values. Drop or fix those rows before the audit."
        )
    return y


# --- task and labels ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Labels:
    """The task, the class labels as observed, the positive class (binary) and the notes on how it was chosen."""

    task: str
    classes: tuple[Any, ...]
    positive: Any
    notes: tuple[str, ...]


def _positive_label(
    config: AuditConfig, observed: list[Any], model: ModelAdapter | None, file: str
) -> tuple[Any, str]:
    """The positive class of a binary target and the note saying why it is that one."""
    if config.positive_label is not None:
        positive = _match_label(config.positive_label, observed)
        if positive is None:
            raise AuditInputError(
                E.POSITIVE_LABEL_UNKNOWN.format(
                    file=file, label=config.positive_label, column=config.target, values=_fmt_values(observed)
                )
            )
        return positive, f"Positive (favourable) class: {positive!r}, as configured."
    if model is not None and model.classes is not None and len(model.classes) == 2:
        positive = _match_label(model.classes[1], observed)
        if positive is None:
            raise AuditInputError(
                f"{file}: the model's classes {list(map(str, model.classes))} do not match the values of "
                f"target '{config.target}' ({_fmt_values(observed)}). Choose the dataset the model was trained on."
            )
        return positive, (
            f"Positive class {positive!r}: the model's classes_[1] (scikit-learn convention); set positive_label to change it."
        )
    positive = observed[-1]
    return positive, (
        f"Positive class {positive!r}: the larger sorted label (scikit-learn convention); set positive_label to change it."
    )


def _labels(config: AuditConfig, y: pd.Series, model: ModelAdapter | None, file: str) -> Labels:
    task = _detect_task(config, y, model, file)
    if task == "regression":
        if not _is_numeric(y):
            raise AuditInputError(E.REGRESSION_TARGET_NOT_NUMERIC.format(file=file, column=config.target))
        return Labels(task, (), None, ())
    observed = sorted(pd.unique(y).tolist(), key=lambda v: (str(type(v)), v))
    if len(observed) < 2:
        raise AuditInputError(E.TARGET_ONE_CLASS.format(file=file, column=config.target, value=observed[0]))
    if task == "binary" and len(observed) > 2:
        raise AuditInputError(
            E.TARGET_TOO_MANY_CLASSES.format(file=file, column=config.target, n=len(observed))
        )
    if task != "binary":
        return Labels(task, tuple(observed), None, ())
    positive, note = _positive_label(config, observed, model, file)
    return Labels(task, tuple(observed), positive, (note,))


# --- features ----------------------------------------------------------------------------------------------------
def _features(
    df: pd.DataFrame, config: AuditConfig, model: ModelAdapter | None, file: str
) -> tuple[str, ...]:
    """The model's input columns: configured, else the model's own names, else every column not reserved."""
    reserved = {
        config.target,
        config.prediction_column,
        config.score_column,
        config.sample_weight_column,
        *config.exclude_columns,
    }
    if config.features is not None:
        features = list(config.features)
    elif model is not None and model.feature_names is not None:
        features = list(model.feature_names)
    else:
        features = [c for c in df.columns if c not in reserved]
    missing_feats = [c for c in features if c not in df.columns]
    if missing_feats:
        if model is not None and config.features is None:
            raise AuditInputError(
                E.MODEL_MISSING_COLUMNS.format(
                    file=model.name, n=len(missing_feats), columns=_fmt_values(missing_feats, 20)
                )
            )
        raise AuditInputError(
            E.COLUMN_MISSING.format(
                file=file, column=missing_feats[0], role="feature", available=_fmt_values(df.columns, 30)
            )
        )
    if not features:
        raise AuditInputError(E.NO_FEATURES.format(file=file))
    return tuple(features)


# --- predictions, once -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RawPredictions:
    """What the model (or the prediction column) returned, before it is encoded against the labels."""

    labels: np.ndarray
    proba: np.ndarray | None
    source: str  # "model" or "column"
    seconds: float | None
    described: str  # "model predictions" or "column 'pred'", for messages


@dataclass(frozen=True)
class Predictions:
    """Labels and predictions encoded for the task (see :class:`AuditContext`) and the decision threshold."""

    y_true: np.ndarray
    y_pred: np.ndarray
    y_pred_labels: np.ndarray
    y_score: np.ndarray | None
    threshold: float | None


def _model_predictions(model: ModelAdapter, X: pd.DataFrame) -> RawPredictions:
    t0 = time.perf_counter()
    try:
        labels, proba = model.predict_both(X)
    except AuditInputError:
        raise
    except Exception as exc:  # any estimator error here is a mismatch between data and model
        empty = [c for c in X.columns if X[c].isna().all()]
        hint = f" Column(s) with no values at all: {_fmt_values(empty)}." if empty else ""
        detail = " ".join(str(exc).split())
        detail = detail if len(detail) <= 300 else detail[:297] + "..."
        raise AuditInputError(
            E.PREDICT_FAILED.format(file=model.name, detail=f"{type(exc).__name__}: {detail}") + hint
        ) from exc
    seconds = time.perf_counter() - t0
    labels, proba = _checked_model_output(labels, proba, n_rows=len(X), model=model)
    return RawPredictions(labels, proba, "model", seconds, "model predictions")


def _column_predictions(df: pd.DataFrame, config: AuditConfig, task: str, file: str) -> RawPredictions:
    col = config.prediction_column
    raw = df[col]
    if raw.isna().any():
        raise AuditInputError(
            f"{file}: prediction column '{col}' has {int(raw.isna().sum())} missing value(s). Every row needs a prediction."
        )
    if task != "regression" and _is_numeric(raw):
        vals = raw.to_numpy(dtype=float)
        if np.any((vals > 0) & (vals < 1) & (np.mod(vals, 1) != 0)):
            raise AuditInputError(E.PREDICTION_LOOKS_LIKE_SCORES.format(file=file, column=col))
    proba = None
    if config.score_column is not None:
        s = pd.to_numeric(df[config.score_column], errors="coerce")
        if s.isna().any() or not np.isfinite(s.to_numpy(dtype=float)).all() or s.min() < 0 or s.max() > 1:
            raise AuditInputError(
                E.SCORE_OUT_OF_RANGE.format(file=file, column=config.score_column, lo=s.min(), hi=s.max())
            )
        proba = s.to_numpy(dtype=float)
    return RawPredictions(raw.to_numpy(), proba, "column", None, f"column '{col}'")


def _class_column(model: ModelAdapter | None, label_list: list[Any], label: Any, default: int | None) -> int:
    """Index of ``label`` among the probability columns (the model's classes, else the observed labels)."""
    model_classes = list(model.classes) if (model is not None and model.classes is not None) else label_list
    found = (k for k, c in enumerate(model_classes) if _match_label(c, [label]) is not None)
    return next(found) if default is None else next(found, default)


def _by_distinct(values: Any, fn: Any) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """``fn`` of each distinct value, taken by code: ``(codes, distinct values, fn of each)``. A per-row map of
    1,000,000 predictions costs ~1 s; a model's outputs have a handful of distinct values."""
    codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=False)
    uniques = np.asarray(uniques, dtype=object)
    return codes, uniques, [fn(u) for u in uniques]


def _pred_indices(
    raw: RawPredictions, labels: Labels, config: AuditConfig, model: ModelAdapter | None, file: str
) -> np.ndarray:
    """Each prediction's index among the class labels; predictions outside the labels are input errors."""
    label_list = list(labels.classes)
    codes, uniques, matched = _by_distinct(raw.labels, lambda v: _match_label(v, label_list))
    bad = [u for u, m in zip(uniques, matched, strict=True) if m is None]  # in order of first appearance
    if (
        len(bad)
        and model is not None
        and model.classes is None
        and np.issubdtype(raw.labels.dtype, np.floating)
    ):
        raise AuditInputError(
            f"{model.name}: the model outputs continuous values (e.g. {float(bad[0]):.4g}), not the labels of "
            f"target '{config.target}' ({_fmt_values(label_list)}): it looks like a regressor. Use task='regression' "
            "(--task regression) for a numeric target, or give the classifier."
        )
    if len(bad):
        raise AuditInputError(
            E.PREDICTION_OUTSIDE_LABELS.format(
                file=file if model is None else model.name,
                column=config.prediction_column or "model output",
                values=_fmt_values(bad),
                target=config.target,
                labels=_fmt_values(label_list),
            )
        )
    index = {lab: i for i, lab in enumerate(label_list)}
    return np.asarray([index[m] for m in matched], dtype=np.int64)[codes]


def _encode_classes(
    raw: RawPredictions,
    labels: Labels,
    y: pd.Series,
    config: AuditConfig,
    model: ModelAdapter | None,
    file: str,
) -> Predictions:
    label_list = list(labels.classes)
    pred_idx = _pred_indices(raw, labels, config, model, file)
    index = {lab: i for i, lab in enumerate(label_list)}
    codes, _, true_of = _by_distinct(y, index.__getitem__)
    true_idx = np.asarray(true_of, dtype=np.int64)[codes]
    label_array = np.empty(len(label_list), dtype=object)
    label_array[:] = label_list
    y_pred_labels = label_array[pred_idx]
    proba = raw.proba
    if labels.task == "multiclass":
        y_score = None
        if proba is not None and proba.ndim == 2:
            y_score = proba[:, [_class_column(model, label_list, lab, None) for lab in label_list]]
        return Predictions(true_idx, pred_idx, y_pred_labels, y_score, None)
    pos_i = index[labels.positive]
    y_score, threshold = None, None
    if proba is not None:
        if proba.ndim == 1:
            y_score = proba
        else:
            y_score = proba[:, _class_column(model, label_list, labels.positive, proba.shape[1] - 1)]
        threshold = 0.5
    return Predictions(
        (true_idx == pos_i).astype(np.int8),
        (pred_idx == pos_i).astype(np.int8),
        y_pred_labels,
        y_score,
        threshold,
    )


def _encode_regression(raw: RawPredictions, y: pd.Series, file: str) -> Predictions:
    try:
        y_pred = np.asarray(raw.labels, dtype=float)
    except (TypeError, ValueError) as exc:
        raise AuditInputError(
            f"{file}: predictions ({raw.described}) are not numeric, so they cannot be audited as a regression."
        ) from exc
    return Predictions(y.to_numpy(dtype=float), y_pred, y_pred, None, None)


# --- weights -----------------------------------------------------------------------------------------------------
def _weights(df: pd.DataFrame, config: AuditConfig, file: str) -> np.ndarray | None:
    if config.sample_weight_column is None:
        return None
    w = pd.to_numeric(df[config.sample_weight_column], errors="coerce")
    if w.isna().any() or (w < 0).any():
        raise AuditInputError(
            f"{file}: sample weight column '{config.sample_weight_column}' must hold non-negative numbers with no gaps."
        )
    if float(w.sum()) <= 0:
        raise AuditInputError(
            f"{file}: sample weight column '{config.sample_weight_column}' sums to 0; at least one row needs a "
            "positive weight."
        )
    return w.to_numpy(dtype=float)


# --- protected groups --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Groups:
    """Protected groups of every row: the attributes, then their intersections, and how numbers were binned."""

    sensitive: pd.DataFrame
    protected_columns: tuple[str, ...]
    intersection_columns: tuple[str, ...]
    binning: Mapping[str, Any]
    notes: tuple[str, ...]


def _protected_groups(df: pd.DataFrame, config: AuditConfig, file: str) -> Groups:
    notes: list[str] = []
    groups: dict[str, pd.Series] = {}
    binning: dict[str, Any] = {}
    for attr in config.protected:
        g, info = _bin_protected(attr, df[attr.column], notes, categorical=attr.column in config.categorical)
        groups[attr.column] = g
        if info:
            binning[attr.column] = info
        if g.nunique() < 2:
            notes.append(
                f"Protected column '{attr.column}' has a single group ({g.iloc[0]!r}); disparities between groups are not defined."
            )
        if attr.reference_group is not None and str(attr.reference_group) not in set(g.unique()):
            raise AuditInputError(
                f"{file}: reference_group {attr.reference_group!r} of protected column '{attr.column}' is not one of "
                f"its groups ({_fmt_values(sorted(g.unique()))}). Set reference_group to one of them."
            )
        if (g == MISSING_GROUP).any():
            notes.append(
                f"Protected column '{attr.column}' has {int((g == MISSING_GROUP).sum())} missing value(s), audited as the group '{MISSING_GROUP}'."
            )
    intersections: list[str] = []
    columns = [a.column for a in config.protected]
    if config.intersections and len(columns) >= 2:
        # pairs of three or more attributes (their full product is mostly empty), else the one pair
        for combo in combinations(columns, 2 if len(columns) > 2 else len(columns)):
            name = INTERSECTION_SEP.join(combo)
            groups[name] = intersection_labels(groups, combo)
            intersections.append(name)
    sensitive = pd.DataFrame({k: v.astype("category") for k, v in groups.items()}, index=df.index)
    return Groups(sensitive, tuple(columns), tuple(intersections), binning, tuple(notes))


def build_context(
    data: LoadedData,
    *,
    config: AuditConfig,
    model: ModelAdapter | None = None,
    reference: LoadedData | None = None,
) -> AuditContext:
    """Validate every input once and compute predictions once.

    Each step below checks one kind of input and returns a frozen piece; the context is their sum.

    Raises
    ------
    AuditInputError : with a message naming the file, the column and what to do.
    """
    df = data.frame
    file = data.name
    y = _check_columns(df, config, model, file)
    _validate_check_options(config.policy)
    if "emissions" in config.sections and config.emissions.enabled:
        _validate_emissions_inputs(config)
    labels = _labels(config, y, model, file)
    features = _features(df, config, model, file)
    X = df[list(features)]
    raw = (
        _model_predictions(model, X)
        if model is not None
        else _column_predictions(df, config, labels.task, file)
    )
    preds = (
        _encode_regression(raw, y, file)
        if labels.task == "regression"
        else _encode_classes(raw, labels, y, config, model, file)
    )
    sample_weight = _weights(df, config, file)
    groups = _protected_groups(df, config, file)
    return AuditContext(
        config=config,
        data=df,
        data_info=data,
        model=model,
        reference=None if reference is None else reference.frame,
        reference_info=reference,
        task=labels.task,
        target=config.target,
        positive_label=labels.positive,
        classes=labels.classes,
        features=features,
        X=X,
        y=y,
        y_true=_readonly(preds.y_true),
        y_pred=_readonly(preds.y_pred),
        y_pred_labels=_readonly(np.asarray(preds.y_pred_labels)),
        y_score=_readonly(None if preds.y_score is None else np.asarray(preds.y_score, dtype=float)),
        sample_weight=_readonly(sample_weight),
        sensitive=groups.sensitive,
        protected_columns=groups.protected_columns,
        intersection_columns=groups.intersection_columns,
        prediction_source=raw.source,
        prediction_seconds=raw.seconds,
        threshold=preds.threshold,
        notes=labels.notes + groups.notes,
        binning=groups.binning,
    )
