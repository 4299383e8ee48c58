"""How a protected column's values become group labels: the one definition the context, drift and fairness share.

A leaf module (numpy and pandas only), so that any section can group a dataset as the audit does without
importing the context.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

MISSING_GROUP = "missing"
INTERSECTION_SEP = " × "
AUTO_BIN_MIN_DISTINCT = 12  # numeric protected columns with more distinct values are binned at quartiles
GROUPS_PREFIX = "groups:"  # the fairness result's per-column table key: ``groups:<group column>``


def groups_key(column: str) -> str:
    """The fairness table key of a group column's groups: ``sex`` -> ``groups:sex``."""
    return f"{GROUPS_PREFIX}{column}"


def group_labels(s: pd.Series, binning: Mapping[str, Any] | None = None) -> pd.Series:
    """Group label (string) of each value of a protected column, as the audit groups it.

    ``binning`` is the column's entry of ``AuditContext.binning`` (``edges`` and ``labels``) for numeric columns
    cut into groups; missing values become the group ``'missing'``. Use it to group another dataset (a reference)
    exactly as the audited one.
    """
    if binning:
        edges = [-np.inf, *binning["edges"], np.inf]
        groups = pd.cut(s.astype(float), bins=edges, labels=list(binning["labels"]), right=True).astype(
            object
        )
    else:
        groups = s.astype(object)
    # Each distinct value is turned into its label once, then taken by code (a per-row map of 1,000,000 rows
    # costs ~1.5 s; the distinct values of a protected column are few).
    codes, uniques = pd.factorize(groups.where(pd.notna(groups), MISSING_GROUP), use_na_sentinel=False)
    labels = np.asarray([group_str(u) for u in uniques], dtype=object)
    return pd.Series(labels[codes], index=s.index, name=s.name).astype(str)


def group_str(v: Any) -> str:
    """A group value as text: 1.0 -> '1' (a float column of integer codes), everything else ``str``."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def bin_labels(bins: tuple[float, ...]) -> list[str]:
    """Labels of the groups cut at ``bins``: ``<=25``, ``(25, 60]``, ``>60`` (integers without a decimal point)."""

    def f(x: float) -> str:
        return str(int(x)) if float(x).is_integer() else f"{x:g}"

    labels = [f"<={f(bins[0])}"]
    labels += [f"({f(lo)}, {f(hi)}]" for lo, hi in zip(bins[:-1], bins[1:], strict=True)]
    labels.append(f">{f(bins[-1])}")
    return labels


def intersection_labels(groups: Mapping[str, pd.Series], columns: tuple[str, ...]) -> pd.Series:
    """The intersection group of each row: its groups in ``columns`` joined by ``' × '``."""
    out = groups[columns[0]]
    for c in columns[1:]:
        out = out + INTERSECTION_SEP + groups[c]
    return out


def as_str_array(s: pd.Series) -> np.ndarray:
    """``s.astype(str).to_numpy()`` as an object array, without converting every row of a categorical column
    (its few categories are converted once and taken by code: 1,000,000 rows in milliseconds, not ~0.4 s)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        names = np.asarray([str(c) for c in s.cat.categories] + ["nan"], dtype=object)
        codes = s.cat.codes.to_numpy()
        return names[np.where(codes < 0, len(names) - 1, codes)]
    return s.astype(str).to_numpy(dtype=object)
