"""Compute SHAP values in the user's raw columns with the chosen explainer.

:class:`ShapEngine` holds one explainer (built once per audit with its background sample) and explains any rows
of the audited data. Every call returns :class:`Attributions`: raw-column SHAP values, the base value, the
model's own output for those rows in the explained output space and hence the additivity error
(sum of SHAP values + base value - model output).
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from audits.context import AuditContext
from audits.explain.choose import ExplainerChoice
from audits.explain.mapping import FeatureMapping
from audits.explain.sampling import BACKGROUND_SIZE, LINEAR_BACKGROUND_SIZE, background_rows

FALLBACK_BACKGROUND_SIZE = 50  # each explained row costs max_evals x background predictions
FALLBACK_ROW_CAP = 300  # model-agnostic explainers never explain more rows than this
TREE_CHUNK_ROWS = 250  # progress granularity of Tree SHAP
PARALLEL_MIN_ROWS = 400  # below this, forking workers costs more than it saves
PROCESSES_ENV = "RAI_AUDIT_SHAP_PROCESSES"  # set to 1 to keep Tree SHAP in this process

ProgressFn = Callable[[float, str], None]


def _no_progress(fraction: float, message: str) -> None:
    return None


@dataclass
class Attributions:
    """SHAP values of some rows, in raw columns and one output space.

    Attributes
    ----------
    rows : positions of the explained rows in ``ctx.data``.
    values : (n, p) SHAP values per raw column.
    base : (n,) base value (expected output over the background) for each row's explained output.
    output : (n,) the model's output for each row in the explained space (computed from the model itself).
    explained_class : for multiclass models, the class explained for each row (its predicted class).
    """

    rows: np.ndarray
    values: np.ndarray
    base: np.ndarray
    output: np.ndarray
    explained_class: list[str] | None = None
    seconds: float = 0.0

    @property
    def additivity_error(self) -> np.ndarray:
        return np.abs(self.values.sum(axis=1) + self.base - self.output)


class CategoryCodec:
    """Integer codes for non-numeric columns, so model-agnostic maskers can mix rows (shap cannot mix strings).

    Codes index the column's categories; -1 is a missing value. ``decode`` rebuilds a frame the model accepts.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.columns = list(frame.columns)
        self.categories: dict[str, np.ndarray] = {}
        self.numeric_dtypes: dict[str, Any] = {}
        for c in self.columns:
            s = frame[c]
            if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
                self.numeric_dtypes[c] = s.dtype
            else:
                cats = pd.unique(s.dropna().astype(object))
                self.categories[c] = np.asarray(cats, dtype=object)

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(frame), len(self.columns)), dtype=float)
        for j, c in enumerate(self.columns):
            s = frame[c]
            if c in self.categories:
                codes = pd.Categorical(s.astype(object), categories=self.categories[c]).codes
                out[:, j] = codes
            else:
                out[:, j] = s.to_numpy(dtype=float, na_value=np.nan)
        return out

    def decode(self, codes: np.ndarray) -> pd.DataFrame:
        codes = np.asarray(codes, dtype=float)
        data = {}
        for j, c in enumerate(self.columns):
            col = codes[:, j]
            if c in self.categories:
                cats = np.append(self.categories[c], np.nan)  # code -1 reads the last entry: missing
                data[c] = cats[np.rint(col).astype(int)]
            else:
                dtype = self.numeric_dtypes[c]
                if pd.api.types.is_integer_dtype(dtype) and not np.isnan(col).any():
                    data[c] = col.astype(dtype)
                else:
                    data[c] = col
        return pd.DataFrame(data, columns=self.columns)


def _dense(a: Any) -> np.ndarray:
    if hasattr(a, "toarray"):
        a = a.toarray()
    if isinstance(a, pd.DataFrame):
        a = a.to_numpy()
    return np.asarray(a, dtype=float)


def _class_index(classes: Any, label: Any) -> int | None:
    if classes is None:
        return None
    for i, c in enumerate(list(classes)):
        if str(c) == str(label):
            return i
    return None


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed numpy's global generator (shap's permutation and kernel explainers draw from it), then restore it."""
    state = np.random.get_state()
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        np.random.set_state(state)


_FORK_STATE: dict[str, Any] = {}


def _fork_shap_chunk(bounds: tuple[int, int]) -> np.ndarray:
    explainer, data = _FORK_STATE["explainer"], _FORK_STATE["data"]
    return np.asarray(explainer.shap_values(data[bounds[0] : bounds[1]], check_additivity=False))


def _n_processes(n_rows: int) -> int:
    env = os.environ.get(PROCESSES_ENV, "").strip()
    if env.isdigit():
        return max(1, int(env))
    if n_rows < PARALLEL_MIN_ROWS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if threading.active_count() > 1:
        return 1  # forking a threaded process (a Streamlit server) can copy held locks: stay serial there
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cpus, 4))


@dataclass
class ShapEngine:
    """One explainer for one audited model, ready to explain rows of ``ctx.data``.

    Build it with :meth:`build`; ``method_name`` and ``output_space`` describe it for the result.
    """

    ctx: AuditContext
    choice: ExplainerChoice
    background: np.ndarray  # positions in ctx.X (or in the reference data, see background_source)
    background_source: str
    output_space: str
    explainer: Any
    max_evals: int | None = None
    codec: CategoryCodec | None = None
    _raw_bg: pd.DataFrame | None = field(default=None, repr=False)
    _fn: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)
    _flip: bool = False
    _pos: int | None = None
    _proba_space: bool = False
    seconds_per_row: float | None = None
    processes: int = 1

    # --- construction -------------------------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        ctx: AuditContext,
        choice: ExplainerChoice,
        *,
        background_size: int | None = None,
        max_evals: int | None = None,
    ) -> ShapEngine:
        """Choose the background and output space and construct the shap explainer.

        Parameters
        ----------
        background_size : rows in the background sample; default 100 (tree), 1,000 (linear), 50 (fallback).
        max_evals : model evaluations per row of the model-agnostic explainers (default: permutation 500 or
            two antithetic passes per feature, whichever is larger; kernel 2p + 2048).
        """
        import shap

        kind = choice.kind
        default = {"linear": LINEAR_BACKGROUND_SIZE, "tree": BACKGROUND_SIZE}.get(
            kind, FALLBACK_BACKGROUND_SIZE
        )
        size = int(background_size or default)
        source_frame, source = ctx.X, "the audited data"
        ref = ctx.reference
        if ref is not None and all(c in ref.columns for c in ctx.features) and len(ref) > 0:
            source_frame, source = ref[list(ctx.features)], "the reference data"
        bg_rows = background_rows(len(source_frame), size=size, seed=ctx.seed)
        raw_bg = source_frame.iloc[bg_rows]
        model = ctx.model
        est = choice.estimator
        pos = _class_index(model.classes, ctx.positive_label) if ctx.task == "binary" else None
        engine_kw: dict[str, Any] = {"_raw_bg": raw_bg, "_pos": pos}
        if kind in ("tree", "linear"):
            try:
                bg_t = (
                    _dense(choice.preprocessor.transform(raw_bg)) if choice.preprocessor is not None else None
                )
                if bg_t is None:
                    bg_t = _dense(raw_bg)
                masker = shap.maskers.Independent(bg_t, max_samples=len(bg_t))
                if kind == "linear":
                    explainer = shap.LinearExplainer(est, masker)
                    space = _linear_space(ctx, est)
                else:
                    explainer, space, proba = _tree_explainer(ctx, est, masker)
                    engine_kw["_proba_space"] = proba
            except Exception as exc:  # shap cannot read this model after all: explain it model-agnostically
                reason = f"shap's {kind} explainer could not read the model ({type(exc).__name__}: {str(exc)[:150]})"
                fallback = dataclasses.replace(
                    choice,
                    kind="permutation",
                    estimator=None,
                    preprocessor=None,
                    mapping=FeatureMapping.identity(ctx.features),
                    reason="model-agnostic permutation explainer on the raw columns (capped)",
                    fallback_reason=reason,
                )
                return cls.build(ctx, fallback, background_size=background_size, max_evals=max_evals)
            # Binary outputs of 1-output models describe classes_[1]; flip when the favourable class is [0].
            engine_kw["_flip"] = ctx.task == "binary" and pos == 0
            return cls(ctx, choice, bg_rows, source, space, explainer, **engine_kw)
        # Categories of both frames: a reference background may hold categories the audited data lacks.
        codec = CategoryCodec(pd.concat([raw_bg, ctx.X], ignore_index=True))
        bg_codes = codec.encode(raw_bg)
        fn, space = _model_function(ctx, codec)
        masker = shap.maskers.Independent(bg_codes, max_samples=len(bg_codes))
        p = len(ctx.features)
        if kind == "kernel":
            explainer = shap.KernelExplainer(fn, bg_codes)
            evals = max_evals or 2 * p + 2048
        else:
            with _seeded(ctx.seed):  # its constructor re-seeds numpy's global generator: restore it after
                explainer = shap.PermutationExplainer(fn, masker, seed=ctx.seed)
            evals = max(max_evals or 500, 2 * p + 1)
        engine_kw["_fn"] = fn
        return cls(ctx, choice, bg_rows, source, space, explainer, max_evals=evals, codec=codec, **engine_kw)

    # --- description ---------------------------------------------------------------------------------------------
    @property
    def method_name(self) -> str:
        return {
            "tree": "TreeExplainer (interventional)",
            "linear": "LinearExplainer (interventional, independent masker)",
            "permutation": "PermutationExplainer (model-agnostic, antithetic permutations)",
            "kernel": "KernelExplainer (model-agnostic, weighted linear regression)",
        }[self.choice.kind]

    def estimate_seconds(self, n_rows: int) -> float | None:
        return None if self.seconds_per_row is None else self.seconds_per_row * n_rows

    def calibrate(self) -> float:
        """Time one explained row of a model-agnostic explainer, so its run time can be stated before it starts."""
        if not self.choice.model_agnostic:
            return 0.0
        from threadpoolctl import threadpool_limits

        probe = self.codec.encode(self.ctx.X.iloc[:1])  # type: ignore[union-attr]
        with threadpool_limits(limits=1, user_api="openmp"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.choice.kind == "permutation":
                # shap's masker is compiled by numba on first use (seconds); pay it here, not in the estimate.
                with _seeded(self.ctx.seed):
                    self.explainer(probe, max_evals=2 * probe.shape[1] + 1, silent=True)
            t0 = time.perf_counter()
            self._agnostic_chunk(probe, seed=self.ctx.seed)
            self.seconds_per_row = time.perf_counter() - t0
        return self.seconds_per_row

    def _agnostic_chunk(self, codes: np.ndarray, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """SHAP values and base values of integer-coded rows with the model-agnostic explainer."""
        with _seeded(seed):
            if self.choice.kind == "kernel":
                v = np.asarray(self.explainer.shap_values(codes, nsamples=self.max_evals, silent=True))
                expected = np.asarray(self.explainer.expected_value, dtype=float)
                return v, np.broadcast_to(expected, (len(codes), *expected.shape))
            e = self.explainer(codes, max_evals=self.max_evals, silent=True)
            return np.asarray(e.values), np.asarray(e.base_values)

    # --- explaining ------------------------------------------------------------------------------------------------
    def explain(
        self,
        rows: np.ndarray,
        *,
        progress: ProgressFn = _no_progress,
        budget_s: float | None = None,
    ) -> Attributions:
        """SHAP values for rows (positions in ``ctx.X``), stopping early when ``budget_s`` would be exceeded."""
        from threadpoolctl import threadpool_limits

        rows = np.asarray(rows, dtype=int)
        t0 = time.perf_counter()
        X = self.ctx.X.iloc[rows]
        # Predictions here are small batches: OpenMP threads (HistGradientBoosting) only add contention.
        with threadpool_limits(limits=1, user_api="openmp"), warnings.catch_warnings():
            # Explainers pass arrays to estimators fitted on frames; sklearn's feature-name warning is noise.
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            if self.choice.model_agnostic:
                values, base, output = self._explain_agnostic(X, progress=progress, budget_s=budget_s, t0=t0)
            else:
                values, base, output = self._explain_fast(X, progress=progress, budget_s=budget_s, t0=t0)
        n = len(values)
        values, base, output, classes = self._select(values, base, output, rows[:n])
        values = self.choice.mapping.group(values)
        return Attributions(
            rows=rows[:n],
            values=values,
            base=base,
            output=output,
            explained_class=classes,
            seconds=time.perf_counter() - t0,
        )

    def _explain_fast(
        self, X: pd.DataFrame, *, progress: ProgressFn, budget_s: float | None, t0: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pre, est = self.choice.preprocessor, self.choice.estimator
        Xt = _dense(pre.transform(X)) if pre is not None else _dense(X)
        codes = getattr(self.explainer, "_rai_codes", None)
        Xs = Xt if codes is None else codes.encode(Xt)
        if self.choice.kind == "linear":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                values = np.asarray(self.explainer.shap_values(Xt))
            progress(1.0, f"Linear SHAP: {len(Xt):,} rows")
            n = len(values)
        else:
            values = self._tree_values(Xs, progress=progress, budget_s=budget_s, t0=t0)
            n = len(values)
        base = np.asarray(self.explainer.expected_value, dtype=float)
        output = _model_output(est, Xt[:n], proba=self._proba_space, task=self.ctx.task)
        return values, base, output

    def _tree_values(
        self, Xt: np.ndarray, *, progress: ProgressFn, budget_s: float | None, t0: float
    ) -> np.ndarray:
        n = len(Xt)
        procs = _n_processes(n)
        self.processes = max(self.processes, procs)
        chunk = TREE_CHUNK_ROWS * procs
        first = min(n, 50)
        # The first small chunk measures the cost, so the rest can be cut to the budget before it starts.
        parts = [np.asarray(self.explainer.shap_values(Xt[:first], check_additivity=False))]
        per_row = (time.perf_counter() - t0) / first
        self.seconds_per_row = per_row / procs
        limit = n
        if budget_s is not None and n > first:
            affordable = first + int(
                max(budget_s - (time.perf_counter() - t0), 0) / max(per_row / procs, 1e-9)
            )
            limit = min(n, affordable)
        done = first
        progress(done / max(limit, 1), f"Tree SHAP: {done:,} of {limit:,} rows")
        if limit > done:
            if procs > 1:
                parts += self._tree_parallel(Xt[done:limit], procs, progress, done, limit)
            else:
                for start in range(done, limit, chunk):
                    stop = min(start + chunk, limit)
                    parts.append(
                        np.asarray(self.explainer.shap_values(Xt[start:stop], check_additivity=False))
                    )
                    progress(stop / limit, f"Tree SHAP: {stop:,} of {limit:,} rows")
        return np.concatenate(parts, axis=0)

    def _tree_parallel(
        self, Xt: np.ndarray, procs: int, progress: ProgressFn, done: int, limit: int
    ) -> list[np.ndarray]:
        # Forked workers inherit the explainer (no pickling, no re-import); shap's C code holds the GIL, so
        # threads would not help.
        n = len(Xt)
        step = max(1, -(-n // (procs * 4)))
        bounds = [(s, min(s + step, n)) for s in range(0, n, step)]
        _FORK_STATE.update(explainer=self.explainer, data=Xt)
        out: list[np.ndarray] = []
        try:
            with multiprocessing.get_context("fork").Pool(procs) as pool:
                for (_, stop), part in zip(bounds, pool.imap(_fork_shap_chunk, bounds), strict=True):
                    out.append(part)
                    progress((done + stop) / limit, f"Tree SHAP: {done + stop:,} of {limit:,} rows")
        finally:
            _FORK_STATE.clear()
        return out

    def _explain_agnostic(
        self, X: pd.DataFrame, *, progress: ProgressFn, budget_s: float | None, t0: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        codes = self.codec.encode(X)  # type: ignore[union-attr]
        n = len(codes)
        if self.seconds_per_row is None:
            self.calibrate()
        limit = n
        if budget_s is not None and self.seconds_per_row:
            limit = min(n, max(1, int(budget_s / self.seconds_per_row)))
        values, bases = [], []
        step = max(1, min(25, limit // 10 or 1))
        for start in range(0, limit, step):
            stop = min(start + step, limit)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # Seeded per chunk: the same rows give the same values whatever the budget cut.
                v, b = self._agnostic_chunk(codes[start:stop], seed=self.ctx.seed + start)
            values.append(v)
            bases.append(b)
            progress(stop / limit, f"{self.choice.kind} explainer: {stop:,} of {limit:,} rows")
            if budget_s is not None and time.perf_counter() - t0 > budget_s and stop < limit:
                limit = stop
                break
        values_a = np.concatenate(values, axis=0)[:limit]
        base_a = np.concatenate(bases, axis=0)[:limit]
        output = np.asarray(self._fn(codes[:limit]), dtype=float)
        return values_a, base_a, output

    def _select(
        self, values: np.ndarray, base: np.ndarray, output: np.ndarray, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str] | None]:
        """Reduce to one output per row: the favourable class (binary) or the predicted class (multiclass)."""
        n = len(values)
        ctx = self.ctx
        base = np.asarray(base, dtype=float)
        classes_out: list[str] | None = None
        if values.ndim == 3:
            if ctx.task == "multiclass":
                model_classes = (
                    list(ctx.model.classes) if ctx.model.classes is not None else list(ctx.classes)
                )
                pred = [ctx.classes[i] for i in np.asarray(ctx.y_pred)[rows]]
                k = np.array([_class_index(model_classes, c) or 0 for c in pred], dtype=int)
                classes_out = [str(c) for c in pred]
            else:
                k = np.full(n, self._pos if self._pos is not None else values.shape[2] - 1, dtype=int)
            idx = np.arange(n)
            base = (base if base.ndim == 2 else np.broadcast_to(base.reshape(-1), (n, values.shape[2])))[
                idx, k
            ]
            values = values[idx, :, k]
            output = output[idx, k] if output.ndim == 2 else output
        else:
            base = np.broadcast_to(base.reshape(-1) if base.size == n else base.reshape(-1)[:1], (n,))
            if output.ndim == 2:
                output = output[:, self._pos if self._pos is not None else -1]
            elif self._flip:
                output = -output  # a decision function describes classes_[1]
            if self._flip:
                values = -values
                base = (1.0 - base) if self._proba_space else -base
        return (
            np.asarray(values, float),
            np.asarray(base, float).copy(),
            np.asarray(output, float),
            classes_out,
        )


class ThresholdCodes:
    """Replace a tree ensemble's float64 thresholds by small integers, exactly.

    shap's interventional Tree SHAP compares inputs with thresholds rounded to float32. HistGradientBoosting
    splits on float64 thresholds that often equal data values, so rounding sends some rows down the wrong branch
    and the values stop adding up (errors of order 1 on small data). Mapping each value x of feature j to
    ``#{thresholds of j below x}`` and threshold number k of j to ``k + 0.5`` keeps every comparison
    (``x <= t_k`` iff ``code(x) <= k + 0.5``) and is exact in float32.
    """

    def __init__(self, explainer: Any) -> None:
        tm = explainer.model
        internal = tm.children_left >= 0
        self.thresholds: dict[int, np.ndarray] = {}
        new = tm.thresholds.copy()
        for j in np.unique(tm.features[internal]):
            mask = internal & (tm.features == j)
            t = np.unique(tm.thresholds[mask])
            self.thresholds[int(j)] = t
            new[mask] = np.searchsorted(t, tm.thresholds[mask], side="left") + 0.5
        tm.thresholds = new
        explainer.data = self.encode(np.asarray(explainer.data, dtype=float))
        explainer.data_missing = np.isnan(explainer.data)

    def encode(self, X: np.ndarray) -> np.ndarray:
        out = np.zeros_like(X, dtype=float)  # features no tree splits on do not matter
        for j, t in self.thresholds.items():
            col = X[:, j]
            out[:, j] = np.where(np.isnan(col), np.nan, np.searchsorted(t, col, side="left"))
        return out


def _linear_space(ctx: AuditContext, est: Any) -> str:
    if ctx.task == "regression" or not hasattr(est, "decision_function"):
        return "predicted value"
    what = "log-odds" if hasattr(est, "predict_proba") and "Logistic" in type(est).__name__ else "margin"
    if ctx.task == "multiclass":
        return f"{what} of each row's predicted class"
    return f"{what} of class {ctx.positive_label_str!r}"


def _tree_explainer(ctx: AuditContext, est: Any, masker: Any) -> tuple[Any, str, bool]:
    import shap

    # Raw output (log-odds for boosting, probability for forests): the same space as Linear SHAP, and about
    # 40% faster than shap's model_output="probability" for the interventional algorithm.
    ex = shap.TreeExplainer(est, data=masker, feature_perturbation="interventional")
    if np.dtype(ex.model.input_dtype) == np.float64 and ex.model.model_type == "internal":
        ex._rai_codes = ThresholdCodes(ex)  # float64 thresholds (HistGradientBoosting): see ThresholdCodes
    if ctx.task == "regression":
        return ex, "predicted value", False
    if hasattr(est, "decision_function"):
        space = "log-odds" if ctx.task == "binary" else "raw score (log-odds scale)"
    else:
        space = "probability"
    if ctx.task == "multiclass":
        return ex, f"{space} of each row's predicted class", not hasattr(est, "decision_function")
    return ex, f"{space} of class {ctx.positive_label_str!r}", not hasattr(est, "decision_function")


def _model_output(est: Any, Xt: np.ndarray, *, proba: bool, task: str) -> np.ndarray:
    """The estimator's own output in the explained space, for the additivity check."""
    if task == "regression":
        return np.asarray(est.predict(Xt), dtype=float)
    if proba and hasattr(est, "predict_proba"):
        return np.asarray(est.predict_proba(Xt), dtype=float)
    if hasattr(est, "decision_function"):
        return np.asarray(est.decision_function(Xt), dtype=float)
    return np.asarray(est.predict_proba(Xt), dtype=float)


def _model_function(
    ctx: AuditContext, codec: CategoryCodec
) -> tuple[Callable[[np.ndarray], np.ndarray], str]:
    """The prediction function a model-agnostic explainer calls on integer-coded rows, and its output space."""
    model = ctx.model
    pos = _class_index(model.classes, ctx.positive_label) if ctx.task == "binary" else None
    if ctx.task == "regression":
        return (lambda c: np.asarray(model.predict(codec.decode(c)), dtype=float)), "predicted value"
    if model.has_proba:
        if ctx.task == "multiclass":
            return (
                lambda c: np.asarray(model.predict_proba(codec.decode(c)), dtype=float)
            ), "probability of each row's predicted class"
        j = pos if pos is not None else 1
        return (
            lambda c: np.asarray(model.predict_proba(codec.decode(c)), dtype=float)[:, j]
        ), f"probability of class {ctx.positive_label_str!r}"
    est = model.estimator
    if model.kind == "sklearn" and hasattr(est, "decision_function") and ctx.task == "binary":
        sign = -1.0 if pos == 0 else 1.0
        return (
            lambda c: sign * np.asarray(est.decision_function(codec.decode(c)), dtype=float).ravel()
        ), f"decision function of class {ctx.positive_label_str!r} (the model has no predict_proba)"
    if ctx.task == "binary":
        label = ctx.positive_label

        def fn(c: np.ndarray) -> np.ndarray:
            pred = np.asarray(model.predict(codec.decode(c)))
            return np.array([str(v) == str(label) for v in pred], dtype=float)

        return fn, f"predicted label is {ctx.positive_label_str!r} (0/1; the model has no scores)"
    classes = list(model.classes) if model.classes is not None else list(ctx.classes)

    def fn_multi(c: np.ndarray) -> np.ndarray:
        pred = np.asarray(model.predict(codec.decode(c)))
        return np.array([[float(str(v) == str(k)) for k in classes] for v in pred])

    return fn_multi, "indicator of each row's predicted class (0/1; the model has no scores)"
