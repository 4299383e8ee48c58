"""The one explicit list of data-quality checks, with their default options.

Every option can be changed per check in the policy YAML (``policy: checks: {CODE: {option: value}}``) and
any check switched off with ``enabled: false``. Defaults follow ../shared/CHECKS.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from audits.data_quality import checks, drift, groups
from audits.data_quality.base import CheckEnv, CheckOutput


@dataclass(frozen=True)
class Check:
    """One data-quality check.

    Parameters
    ----------
    code : stable identifier used in findings and in the policy.
    title : short human title.
    scope : ``data`` (one dataset), ``reference`` (needs a reference dataset) or ``groups`` (protected groups).
    fn : the function computing it.
    defaults : its options and their default values.
    """

    code: str
    title: str
    scope: str
    fn: Callable[[CheckEnv], CheckOutput]
    defaults: Mapping[str, Any] = field(default_factory=dict)


CHECKS: list[Check] = [
    # --- one dataset ---
    Check("DQ_MISSING", "Missing values", "data", checks.check_missing, {"warn": 0.01, "fail": 0.05}),
    Check("DQ_MIXED_NULLS", "Mixed null spellings", "data", checks.check_mixed_nulls),
    Check(
        "DQ_NULL_TOKENS",
        "Missing-value spellings kept as values",
        "data",
        checks.check_null_tokens,
        {"warn_numeric": True},
    ),
    Check("DQ_CONSTANT", "Constant columns", "data", checks.check_constant),
    Check(
        "DQ_IDENTIFIER",
        "Identifier-like columns",
        "data",
        checks.check_identifier,
        {"min_rows": 100, "order_auc": 0.7},
    ),
    Check(
        "DQ_HIGH_CARDINALITY", "High cardinality", "data", checks.check_high_cardinality, {"max_distinct": 50}
    ),
    Check(
        "DQ_DOMINANT_CATEGORY",
        "Dominant category",
        "data",
        checks.check_dominant_category,
        {"imbalance": 0.5},
    ),
    Check("DQ_LABEL_IMBALANCE", "Label imbalance", "data", checks.check_label_imbalance, {"min_ratio": 0.1}),
    Check(
        "DQ_ZEROS_INFINITE",
        "Zeros and infinities",
        "data",
        checks.check_zeros_infinite,
        {"inf_fail": 0.01, "zeros_info": 0.5},
    ),
    Check(
        "DQ_SENTINEL",
        "Sentinel codes in numbers",
        "data",
        checks.check_sentinels,
        {"spike": 5.0, "far": 1.0, "min_rows": 5},
    ),
    Check(
        "DQ_NUMERIC_CODES",
        "Numbers that look like codes",
        "data",
        checks.check_numeric_codes,
        {"max_distinct": 10, "min_rows": 50, "rare_share": 0.01},
    ),
    Check("DQ_ALLOWED_VALUES", "Values outside the codebook", "data", checks.check_allowed_values),
    Check("DQ_SKEW", "Heavy skew", "data", checks.check_skew, {"max_abs_skew": 20.0}),
    Check("DQ_DUPLICATES", "Duplicate rows", "data", checks.check_duplicates, {"warn": 0.0, "fail": 0.05}),
    Check(
        "DQ_CONFLICTING_LABELS", "Conflicting labels", "data", checks.check_conflicting_labels, {"fail": 0.0}
    ),
    Check(
        "DQ_STRING_MISMATCH",
        "String mismatch",
        "data",
        checks.check_string_mismatch,
        {"fail": 0.01, "max_distinct": 10_000},
    ),
    Check("DQ_MIXED_TYPES", "Mixed types", "data", checks.check_mixed_types, {"low": 0.01, "high": 0.1}),
    Check("DQ_OUTLIERS", "Outlier rows", "data", checks.check_outliers, {"iqr_factor": 3.0, "warn": 0.005}),
    Check(
        "DQ_CORRELATION",
        "Feature–feature correlation",
        "data",
        checks.check_correlation,
        {"max_abs": 0.9, "max_categories": 1000, "sample_size": 100_000},
    ),
    Check(
        "DQ_LEAKAGE",
        "Label leakage",
        "data",
        checks.check_leakage,
        # warn/fail thresholds are the policy's leakage_warn_relative, leakage_warn_absolute and leakage_fail
        {"sample_size": 20_000, "folds": 5, "relative_floor_auc": 0.7, "relative_floor_r2": 0.3},
    ),
    Check("DQ_POST_OUTCOME_NAME", "Post-outcome column names", "data", checks.check_post_outcome_names),
    # --- reference vs current ---
    Check("DQ_REFERENCE_COLUMNS", "Reference columns", "reference", drift.check_reference_columns),
    Check(
        "DQ_DRIFT",
        "Feature drift",
        "reference",
        drift.check_drift,
        {"small_n": 1000, "p_value": 0.05, "distance": 0.1, "severity": "fail"},
    ),
    Check("DQ_PSI", "Population stability", "reference", drift.check_psi, {"warn": 0.1, "fail": 0.25}),
    Check("DQ_DATASET_DRIFT", "Dataset drift", "reference", drift.check_dataset_drift, {"share": 0.5}),
    Check("DQ_LABEL_DRIFT", "Label drift", "reference", drift.check_label_drift),
    Check(
        "DQ_NEW_CATEGORIES",
        "New categories",
        "reference",
        drift.check_new_categories,
        {"max_distinct_share": 0.5},
    ),
    Check(
        "DQ_TRAIN_TEST_OVERLAP",
        "Train–test overlap",
        "reference",
        drift.check_train_test_overlap,
        {"fail": 0.05},
    ),
    Check(
        "DQ_GROUP_MIX_DRIFT",
        "Protected-group mix drift",
        "reference",
        drift.check_group_mix_drift,
        {"warn": 0.1, "fail": 0.25},
    ),
    # --- protected groups ---
    Check(
        "DQ_REPRESENTATION",
        "Representation",
        "groups",
        groups.check_representation,
        {"min_group_size": None, "min_group_events": None},
    ),
    Check("DQ_BASE_RATE", "Label base rate by group", "groups", groups.check_base_rate, {"ratio_warn": None}),
    Check(
        "DQ_PROXY",
        "Proxy features",
        "groups",
        groups.check_proxy,
        {
            "warn_association": 0.5,
            "fail_association": 0.75,
            "warn_auc": 0.7,
            "fail_auc": 0.8,
            "sample_size": 20_000,
            "folds": 5,
            "max_categories": 1000,
        },
    ),
    Check(
        "DQ_MISSING_BY_GROUP",
        "Missingness by group",
        "groups",
        groups.check_missing_by_group,
        {"ratio_low": 0.8, "ratio_high": 1.25, "alpha": 0.05},
    ),
]

CODES: tuple[str, ...] = tuple(c.code for c in CHECKS)


def check_by_code(code: str) -> Check:
    """The registry entry of ``code``; KeyError names the known codes."""
    for c in CHECKS:
        if c.code == code:
            return c
    raise KeyError(f"Unknown data-quality check {code!r}. Known checks: {', '.join(CODES)}.")
