"""The row ledger: a compact per-row record of an audit, so that two audits of the same rows can be compared paired.

A result keeps intervals, not rows. Two audits of the same data (two model versions on this month's rows) have
correlated sampling errors, and a paired comparison needs that correlation. The ledger keeps, for the audited
rows in row order, what the covariance of two audits' estimates is computed from:

* the label and the prediction: binary tasks 1 bit each (``numpy.packbits``), multiclass tasks the class code
  (uint8, uint16 above 256 classes);
* the sample weight, when the audit had one (float32);
* the group code of each protected attribute (uint8/uint16/uint32 by the number of groups) with its group names;
  intersections are derived by combining the codes of their attributes.

The arrays are concatenated in the order of ``arrays`` in the ledger's dict, compressed with zlib and encoded in
base64 (``payload``). ``label_sha256`` is the SHA-256 of the classes (JSON) followed by the label codes as
little-endian uint16: two audits whose dataset hashes, label hashes and row counts agree scored the same rows.

Regression audits keep no ledger: a float32 prediction per row hardly compresses (about 4 bytes a row, 8 MB at two
million rows) and no closed-form paired covariance of MAE, RMSE or R² is implemented, so their comparison uses
the independent standard error. Above :data:`MAX_ROWS` rows or :data:`MAX_COMPRESSED_BYTES` compressed bytes
there is no ledger either; the result says why (``status: "absent"`` and ``reason``).

:func:`rate_influence` gives the influence values of a rate (or a combination of rates) over the ledger's rows:
the delta-method linearisation from which :mod:`audits.compare` computes covariances.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from audits.group_labels import INTERSECTION_SEP

LEDGER_VERSION = 1
MAX_ROWS = 2_000_000
MAX_COMPRESSED_BYTES = 8 * 1024 * 1024
PRESENT = "present"
ABSENT = "absent"

NO_LEDGER_REGRESSION = (
    "a regression audit keeps no row ledger (float predictions hardly compress and MAE, RMSE and R² have no "
    "closed-form paired covariance here)"
)

_DTYPES = {"bits": None, "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "float32": np.float32}


def absent(reason: str) -> dict[str, Any]:
    """The ledger entry of a result that has none, with the reason."""
    return {"status": ABSENT, "reason": reason}


def _code_dtype(k: int) -> str:
    return "uint8" if k <= 2**8 else "uint16" if k <= 2**16 else "uint32"


def label_sha256(labels: np.ndarray, classes: tuple[str, ...]) -> str:
    """SHA-256 of the classes (JSON) and the label codes (little-endian uint16)."""
    h = hashlib.sha256(json.dumps(list(classes), ensure_ascii=False).encode("utf-8"))
    h.update(np.ascontiguousarray(labels, dtype="<u2").tobytes())
    return h.hexdigest()


def _raw_bytes(kind: str, n: int) -> int:
    if kind == "bits":
        return (n + 7) // 8
    return n * np.dtype(_DTYPES[kind]).itemsize


def _encode(kind: str, values: np.ndarray) -> bytes:
    if kind == "bits":
        return np.packbits(np.asarray(values, dtype=bool)).tobytes()
    return np.ascontiguousarray(values, dtype=np.dtype(_DTYPES[kind]).newbyteorder("<")).tobytes()


def _decode(kind: str, raw: bytes, n: int) -> np.ndarray:
    if kind == "bits":
        return np.unpackbits(np.frombuffer(raw, dtype=np.uint8), count=n).astype(np.int8)
    return np.frombuffer(raw, dtype=np.dtype(_DTYPES[kind]).newbyteorder("<")).astype(_DTYPES[kind])


def build_ledger(
    *,
    task: str,
    classes: tuple[Any, ...],
    y_true: np.ndarray,
    y_pred: np.ndarray,
    sample_weight: np.ndarray | None,
    groups: Mapping[str, tuple[np.ndarray, tuple[str, ...]]],
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_COMPRESSED_BYTES,
) -> dict[str, Any]:
    """The JSON-safe ledger of one audit, or :func:`absent` with the reason.

    ``y_true``/``y_pred`` are encoded as in :class:`audits.context.AuditContext` (binary 0/1, multiclass class
    indices); ``groups`` maps each protected attribute to (group code per row, group names).
    """
    n = len(y_true)
    if task == "regression":
        return absent(NO_LEDGER_REGRESSION)
    if task not in ("binary", "multiclass"):
        return absent(f"task {task!r} has no row ledger")
    if n > max_rows:
        return absent(f"{n:,} rows is above the row ledger's cap of {max_rows:,} rows")
    names = tuple(str(c) for c in classes) if task == "multiclass" else ("0", "1")
    code = "bits" if task == "binary" else _code_dtype(len(names))
    arrays: list[tuple[str, str, np.ndarray]] = [("label", code, y_true), ("prediction", code, y_pred)]
    if sample_weight is not None:
        arrays.append(("weight", "float32", sample_weight))
    group_names: dict[str, list[str]] = {}
    for col, (codes, gnames) in groups.items():
        arrays.append((f"group:{col}", _code_dtype(len(gnames)), codes))
        group_names[col] = [str(g) for g in gnames]
    payload = zlib.compress(b"".join(_encode(kind, values) for _, kind, values in arrays), 6)
    if len(payload) > max_bytes:
        return absent(
            f"the row ledger compresses to {len(payload):,} bytes, above its cap of {max_bytes:,} bytes"
        )
    return {
        "status": PRESENT,
        "version": LEDGER_VERSION,
        "task": task,
        "rows": n,
        "classes": list(names),
        "label_sha256": label_sha256(y_true, names),
        "groups": group_names,
        "arrays": [{"name": name, "dtype": kind} for name, kind, _ in arrays],
        "encoding": "zlib+base64",
        "compressed_bytes": len(payload),
        "payload": base64.b64encode(payload).decode("ascii"),
    }


def ledger_from_context(ctx: Any) -> dict[str, Any]:
    """The ledger of an audit context (:class:`audits.context.AuditContext`)."""
    groups = {}
    for col in ctx.protected_columns:
        s = ctx.sensitive[col]
        groups[col] = (np.asarray(s.cat.codes), tuple(str(c) for c in s.cat.categories))
    return build_ledger(
        task=ctx.task,
        classes=tuple(ctx.classes),
        y_true=np.asarray(ctx.y_true),
        y_pred=np.asarray(ctx.y_pred),
        sample_weight=None if ctx.sample_weight is None else np.asarray(ctx.sample_weight),
        groups=groups,
    )


# --- reading ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RowLedger:
    """A decoded ledger: per-row labels, predictions, weights and group codes."""

    task: str
    rows: int
    classes: tuple[str, ...]
    label_sha256: str
    labels: np.ndarray
    predictions: np.ndarray
    weights: np.ndarray | None
    groups: Mapping[str, tuple[np.ndarray, tuple[str, ...]]]

    def group_mask(self, column: str, group: str) -> np.ndarray | None:
        """Rows of ``group`` in a protected attribute or an intersection (``"sex × race"``); None if unknown."""
        parts = column.split(INTERSECTION_SEP)
        if any(p not in self.groups for p in parts):
            return None
        labels = group.split(INTERSECTION_SEP)
        if len(labels) != len(parts):
            return None
        mask = np.ones(self.rows, dtype=bool)
        for part, label in zip(parts, labels, strict=True):
            codes, names = self.groups[part]
            if label not in names:
                return None
            mask &= codes == names.index(label)
        return mask


def read_ledger(d: Mapping[str, Any] | None) -> RowLedger | str:
    """The decoded ledger of a result's ``row_ledger`` entry, or the reason there is none."""
    if d is None:
        return "it records no row ledger (the Spark engine keeps none)"
    if not isinstance(d, Mapping) or d.get("status") != PRESENT:
        return str(d.get("reason") if isinstance(d, Mapping) else "") or "it records no row ledger"
    try:
        n = int(d["rows"])
        specs = [(str(a["name"]), str(a["dtype"])) for a in d["arrays"]]
        # the announced row count bounds the inflation below, so it is itself bounded first
        if n < 0 or n > MAX_ROWS or any(kind not in _DTYPES for _, kind in specs):
            return "its row ledger is malformed"
        sizes = [_raw_bytes(kind, n) for _, kind in specs]
        # Inflate at most the expected size: a tampered payload cannot blow up memory.
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.b64decode(d["payload"], validate=True), sum(sizes) + 1)
        if len(raw) != sum(sizes):
            return "its row ledger does not hold the rows it announces"
        arrays, offset = {}, 0
        for (name, kind), size in zip(specs, sizes, strict=True):
            arrays[name] = _decode(kind, raw[offset : offset + size], n)
            offset += size
        groups = {
            col: (arrays[f"group:{col}"], tuple(str(g) for g in names))
            for col, names in dict(d.get("groups") or {}).items()
        }
        return RowLedger(
            task=str(d["task"]),
            rows=n,
            classes=tuple(str(c) for c in d["classes"]),
            label_sha256=str(d["label_sha256"]),
            labels=arrays["label"],
            predictions=arrays["prediction"],
            weights=arrays.get("weight"),
            groups=groups,
        )
    except (KeyError, TypeError, ValueError, zlib.error, base64.binascii.Error):
        return "its row ledger is malformed"


def same_rows(a: RowLedger, b: RowLedger) -> str:
    """'' when two ledgers describe the same rows with the same labels, else what differs."""
    if a.rows != b.rows:
        return f"the row counts differ ({a.rows:,} and {b.rows:,})"
    if a.task != b.task or a.classes != b.classes:
        return "the tasks or classes differ"
    if a.label_sha256 != b.label_sha256:
        return "the label columns differ (different label hashes)"
    return ""


# --- influence values ---------------------------------------------------------------------------------------

# Binary rates as (event, denominator) of the label y and the prediction p (0/1 arrays): rate = Σ w·event /
# Σ w·denominator. f1 = 2·TP / (2·TP + FP + FN) is the same kind of ratio with non-indicator terms.
_BINARY: dict[str, Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]] = {
    "accuracy": lambda y, p: (y == p, np.ones_like(y, dtype=bool)),
    "error_rate": lambda y, p: (y != p, np.ones_like(y, dtype=bool)),
    "selection_rate": lambda y, p: (p == 1, np.ones_like(y, dtype=bool)),
    "base_rate": lambda y, p: (y == 1, np.ones_like(y, dtype=bool)),
    "prevalence": lambda y, p: (y == 1, np.ones_like(y, dtype=bool)),
    "tpr": lambda y, p: ((y == 1) & (p == 1), y == 1),
    "recall": lambda y, p: ((y == 1) & (p == 1), y == 1),
    "fnr": lambda y, p: ((y == 1) & (p == 0), y == 1),
    "fpr": lambda y, p: ((y == 0) & (p == 1), y == 0),
    "tnr": lambda y, p: ((y == 0) & (p == 0), y == 0),
    "specificity": lambda y, p: ((y == 0) & (p == 0), y == 0),
    "precision": lambda y, p: ((y == 1) & (p == 1), p == 1),
    "fdr": lambda y, p: ((y == 0) & (p == 1), p == 1),
    "npv": lambda y, p: ((y == 0) & (p == 0), p == 0),
    "for_": lambda y, p: ((y == 1) & (p == 0), p == 0),
    "f1": lambda y, p: (2.0 * ((y == 1) & (p == 1)), (y == 1).astype(float) + (p == 1)),
}
_CLASS_METRIC = re.compile(r"^(selection_rate|tpr|fpr)\[(.*)\]$")


def _ratio_influence(
    event: np.ndarray, denom: np.ndarray, w: np.ndarray | None, mask: np.ndarray | None
) -> tuple[float, np.ndarray] | None:
    """(value, influence per row) of Σ w·e / Σ w·d over the rows in ``mask``; None when undefined.

    The influence ψ_i = w_i (e_i − r d_i) / mean(w·d) is the delta-method linearisation: Var(r) ≈ Σ ψ² / n², and
    Cov(r_A, r_B) ≈ Σ ψ_A ψ_B / n² for two estimates on the same rows (for a plain rate over rows R this is
    (share of R where both count the row − p_A p_B) / |R|, with weights on the Kish effective size).
    """
    e, d = np.asarray(event, dtype=float), np.asarray(denom, dtype=float)
    if mask is not None:
        e, d = e * mask, d * mask
    if w is not None:
        e, d = e * w, d * w
    total = d.sum()
    if total <= 0:
        return None
    r = float(e.sum() / total)
    return r, (e - r * d) / (total / len(d))


def _binary_influence(
    led: RowLedger, metric: str, mask: np.ndarray | None, favourable_is_positive: bool | None
) -> tuple[float, np.ndarray] | None:
    y, p = led.labels, led.predictions
    if metric == "favourable_rate":
        if favourable_is_positive is None:
            return None
        return _ratio_influence(
            p == int(favourable_is_positive), np.ones_like(p, dtype=bool), led.weights, mask
        )
    if metric == "balanced_accuracy":
        tpr = _binary_influence(led, "tpr", mask, favourable_is_positive)
        tnr = _binary_influence(led, "tnr", mask, favourable_is_positive)
        if tpr is None or tnr is None:
            return None
        return (tpr[0] + tnr[0]) / 2, (tpr[1] + tnr[1]) / 2
    spec = _BINARY.get(metric)
    if spec is None:
        return None
    return _ratio_influence(*spec(y, p), led.weights, mask)


def _multiclass_influence(
    led: RowLedger, metric: str, mask: np.ndarray | None
) -> tuple[float, np.ndarray] | None:
    y, p = led.labels, led.predictions
    if metric == "accuracy":
        return _ratio_influence(y == p, np.ones_like(y, dtype=bool), led.weights, mask)
    if metric == "balanced_accuracy":  # the mean recall of the classes present
        parts = [_multiclass_influence(led, f"tpr[{c}]", mask) for c in led.classes]
        parts = [x for x in parts if x is not None]
        if not parts:
            return None
        return float(np.mean([v for v, _ in parts])), np.mean([psi for _, psi in parts], axis=0)
    m = _CLASS_METRIC.match(metric)
    if m is None or m.group(2) not in led.classes:
        return None
    c = led.classes.index(m.group(2))
    if m.group(1) == "selection_rate":
        return _ratio_influence(p == c, np.ones_like(p, dtype=bool), led.weights, mask)
    if m.group(1) == "tpr":
        return _ratio_influence((y == c) & (p == c), y == c, led.weights, mask)
    return _ratio_influence((y != c) & (p == c), y != c, led.weights, mask)


def rate_influence(
    led: RowLedger,
    metric: str,
    *,
    mask: np.ndarray | None = None,
    favourable_is_positive: bool | None = None,
) -> tuple[float, np.ndarray] | None:
    """(value, influence values over all rows) of ``metric`` on the rows in ``mask`` (all rows when None).

    None for a metric without a closed-form linearisation here (ROC AUC, log loss, Brier score, calibration
    error, macro averages) or an empty denominator.
    """
    if led.task == "binary":
        return _binary_influence(led, metric, mask, favourable_is_positive)
    if led.task == "multiclass":
        return _multiclass_influence(led, metric, mask)
    return None


def correlation(psi_a: np.ndarray, psi_b: np.ndarray) -> float | None:
    """Correlation of two estimates from their influence values on the same rows; None when one is exact."""
    # Elementwise sums, not ``@``: a BLAS call per item costs milliseconds of thread start-up on a busy machine.
    va, vb = float(np.sum(psi_a * psi_a)), float(np.sum(psi_b * psi_b))
    if va <= 0 or vb <= 0 or not math.isfinite(va * vb):
        return None
    return float(np.clip(np.sum(psi_a * psi_b) / math.sqrt(va * vb), -1.0, 1.0))
