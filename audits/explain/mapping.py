"""Map the columns a fitted pipeline produces back to the user's raw columns.

The mapping is read from the fitted objects' structure (a ColumnTransformer's ``transformers_`` column lists,
each transformer's output count, a one-hot encoder's per-column output counts), never by splitting feature
names. ``get_feature_names_out`` is still required: a pipeline that cannot name its outputs is explained
model-agnostically on the raw columns instead (stated in the result).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


class MappingUnavailable(Exception):
    """The preprocessing cannot be mapped to raw columns; the message says why (shown in the result)."""


@dataclass(frozen=True)
class FeatureMapping:
    """Which raw column each transformed column comes from.

    Attributes
    ----------
    raw_columns : the user's columns, in the model's input order.
    transformed_names : names from ``get_feature_names_out``.
    sources : for each transformed column, the index of its raw column.
    """

    raw_columns: tuple[str, ...]
    transformed_names: tuple[str, ...]
    sources: tuple[int, ...]

    @property
    def one_to_one(self) -> bool:
        """True when no raw column feeds more than one transformed column (ordinal encoding, scaling)."""
        return len(set(self.sources)) == len(self.sources)

    @property
    def unused(self) -> list[str]:
        """Raw columns the model never sees (dropped by the preprocessing)."""
        used = set(self.sources)
        return [c for i, c in enumerate(self.raw_columns) if i not in used]

    def expanded(self) -> dict[str, int]:
        """Raw columns that feed several transformed columns, with their count (one-hot encoded)."""
        counts = np.bincount(np.asarray(self.sources, dtype=int), minlength=len(self.raw_columns))
        return {self.raw_columns[i]: int(n) for i, n in enumerate(counts) if n > 1}

    def group(self, values: np.ndarray) -> np.ndarray:
        """Sum transformed-column attributions into raw columns: (n, m[, k]) -> (n, p[, k])."""
        values = np.asarray(values, dtype=float)
        out = np.zeros((values.shape[0], len(self.raw_columns), *values.shape[2:]))
        np.add.at(out, (slice(None), np.asarray(self.sources, dtype=int)), values)
        return out

    @classmethod
    def identity(cls, columns: Sequence[str]) -> FeatureMapping:
        cols = tuple(str(c) for c in columns)
        return cls(raw_columns=cols, transformed_names=cols, sources=tuple(range(len(cols))))


def _is_one_to_one(trans: Any) -> bool:
    from sklearn.base import OneToOneFeatureMixin

    return isinstance(trans, OneToOneFeatureMixin)


def _output_sources(trans: Any, n_in: int) -> list[int]:
    """For each output of a fitted transformer, the index of the input it comes from."""
    if isinstance(trans, str):
        if trans == "passthrough":
            return list(range(n_in))
        if trans == "drop":
            return []
        raise MappingUnavailable(f"unknown transformer spelling {trans!r}")
    name = type(trans).__name__
    mod = type(trans).__module__
    steps = getattr(trans, "steps", None)
    if steps is not None:
        sources = list(range(n_in))
        for _, step in steps:
            inner = _output_sources(step, len(sources))
            sources = [sources[i] for i in inner]
        return sources
    if not hasattr(trans, "get_feature_names_out"):
        raise MappingUnavailable(f"{name} has no get_feature_names_out")
    if name == "OneHotEncoder" and mod.startswith("sklearn."):
        counts = list(trans._n_features_outs)  # per input, after drop/infrequent grouping
        return [i for i, n in enumerate(counts) for _ in range(int(n))]
    if name == "SimpleImputer" and mod.startswith("sklearn."):
        from sklearn.utils._mask import _get_mask

        stats = np.asarray(trans.statistics_)
        keep = (
            list(range(n_in))
            if trans.keep_empty_features
            else [i for i in range(n_in) if not bool(_get_mask(stats[i : i + 1], np.nan)[0])]
        )
        indicator = getattr(trans, "indicator_", None)
        extra = [] if indicator is None else [int(i) for i in indicator.features_]
        return keep + extra
    if name == "MissingIndicator" and mod.startswith("sklearn."):
        return [int(i) for i in trans.features_]
    if _is_one_to_one(trans):
        return list(range(n_in))
    if name == "FunctionTransformer" and (trans.feature_names_out == "one-to-one" or trans.func is None):
        return list(range(n_in))  # also what a fitted ColumnTransformer stores for "passthrough"
    n_out = len(trans.get_feature_names_out())
    if n_in == 1:
        return [0] * n_out
    raise MappingUnavailable(
        f"{name} turns {n_in} columns into {n_out} without a known column-by-column structure"
    )


def _column_indices(columns: Any, raw: list[str]) -> list[int]:
    if isinstance(columns, str):
        return [raw.index(columns)]
    if isinstance(columns, slice):
        return list(range(len(raw)))[columns]
    if callable(columns):
        raise MappingUnavailable("a ColumnTransformer selects columns with a callable")
    cols = list(np.asarray(columns).ravel()) if not isinstance(columns, list) else list(columns)
    if not cols:
        return []
    if all(isinstance(c, bool | np.bool_) for c in cols):
        return [i for i, c in enumerate(cols) if c]
    if all(isinstance(c, int | np.integer) for c in cols):
        return [int(c) for c in cols]
    return [raw.index(str(c)) for c in cols]


def _column_transformer_sources(ct: Any, raw: list[str]) -> list[int]:
    sources: list[int] = []
    for _, trans, columns in ct.transformers_:
        idx = _column_indices(columns, raw)
        if not idx or (isinstance(trans, str) and trans == "drop"):
            continue
        inner = _output_sources(trans, len(idx))
        sources += [idx[i] for i in inner]
    return sources


def map_preprocessor(preprocessor: Any, raw_columns: Sequence[str]) -> FeatureMapping:
    """Mapping from the outputs of a fitted preprocessor (all pipeline steps but the model) to raw columns.

    Raises
    ------
    MappingUnavailable : with the reason, when a step has no ``get_feature_names_out`` or mixes columns.
    """
    raw = [str(c) for c in raw_columns]
    try:
        names = [str(n) for n in preprocessor.get_feature_names_out()]
    except Exception as exc:  # AttributeError, NotImplementedError, or a step's own refusal
        raise MappingUnavailable(
            f"the pipeline's get_feature_names_out failed ({type(exc).__name__}: {str(exc)[:120]})"
        ) from exc
    steps = getattr(preprocessor, "steps", None) or [("step", preprocessor)]
    first_in = getattr(steps[0][1], "feature_names_in_", None)
    first_names = raw if first_in is None else [str(c) for c in first_in]
    missing = [c for c in first_names if c not in raw]
    if missing:
        raise MappingUnavailable(
            f"the pipeline expects columns {missing[:5]} that are not among the features"
        )
    sources = list(range(len(first_names)))
    for _, step in steps:
        if type(step).__name__ == "ColumnTransformer":
            # Its column lists name the step's own inputs (the raw columns when it comes first).
            inner = _column_transformer_sources(step, _input_names(step, len(sources)))
        else:
            inner = _output_sources(step, len(sources))
        sources = [sources[i] for i in inner]
    if len(sources) != len(names):
        raise MappingUnavailable(
            f"the structure gives {len(sources)} transformed columns but get_feature_names_out names {len(names)}"
        )
    # Indices so far refer to the first step's inputs; express them in the caller's column order.
    sources = [raw.index(first_names[s]) for s in sources]
    return FeatureMapping(raw_columns=tuple(raw), transformed_names=tuple(names), sources=tuple(sources))


def _input_names(step: Any, n: int) -> list[str]:
    names = getattr(step, "feature_names_in_", None)
    return [str(x) for x in names] if names is not None else [f"x{i}" for i in range(n)]
