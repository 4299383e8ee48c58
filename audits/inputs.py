"""Loading datasets and models safely, and a uniform model adapter.

Datasets: CSV (delimiter and encoding sniffed, configured missing-value spellings) and Parquet.
Models: ``.skops`` (skops.io with a trusted-types allow list; unknown types are refused and named),
``.onnx`` (onnxruntime), and pickle/joblib only when the operator trusts them, because loading a pickle
runs code.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from audits import errors as E
from audits.errors import AuditInputError
from audits.limits import Limits, check_bytes, default_limits, refuse

DATA_SUFFIXES = {".csv": "CSV", ".txt": "CSV", ".tsv": "CSV", ".parquet": "Parquet", ".pq": "Parquet"}
SKOPS_SUFFIXES = {".skops"}
ONNX_SUFFIXES = {".onnx"}
PICKLE_SUFFIXES = {".pkl", ".pickle", ".joblib"}
MODEL_SUFFIXES = SKOPS_SUFFIXES | ONNX_SUFFIXES | PICKLE_SUFFIXES
PICKLE_ENV_VAR = "RAI_AUDIT_ALLOW_PICKLE"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pickle_allowed_by_operator() -> bool:
    """Whether the operator enabled pickle models for this process (``RAI_AUDIT_ALLOW_PICKLE=1``)."""
    return os.environ.get(PICKLE_ENV_VAR, "").strip().lower() in {"1", "true", "yes"}


# ------------------------------------------------------------------------------------------------------------
# Datasets
# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoadedData:
    """A dataset with where it came from."""

    frame: pd.DataFrame
    name: str
    sha256: str
    n_bytes: int
    format: str
    details: dict[str, Any] = field(default_factory=dict)

    def provenance(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sha256": self.sha256,
            "bytes": self.n_bytes,
            "format": self.format,
            "rows": int(len(self.frame)),
            "columns": int(self.frame.shape[1]),
            **self.details,
        }


def _read_source(
    source: str | Path | bytes | BinaryIO, name: str | None, limits: Limits
) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray):
        check_bytes(name or "uploaded data", len(source), field="max_data_bytes", limits=limits)
        return bytes(source), name or "uploaded data"
    if hasattr(source, "read"):
        # Read one byte past the cap: enough to know the file is too large without reading all of it.
        data = source.read(limits.max_data_bytes + 1)
        check_bytes(
            name or getattr(source, "name", "uploaded data"), len(data), field="max_data_bytes", limits=limits
        )
        return (data.encode() if isinstance(data, str) else data), name or getattr(
            source, "name", "uploaded data"
        )
    path = Path(source)
    if not path.exists():
        raise AuditInputError(f"{path}: the data file does not exist. Check the path.")
    if path.is_dir():
        raise AuditInputError(f"{path}: is a folder, not a data file. Choose a .csv or .parquet file.")
    # The size is checked from the file system before a byte is read.
    check_bytes(str(path), path.stat().st_size, field="max_data_bytes", limits=limits)
    return path.read_bytes(), name or str(path)


def _decode(raw: bytes, name: str) -> tuple[str, str]:
    if b"\x00" in raw[:8192]:
        raise AuditInputError(E.NOT_TABULAR.format(file=name, kind="CSV", detail="it contains binary bytes"))
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AuditInputError(E.NOT_TABULAR.format(file=name, kind="CSV", detail="unknown text encoding"))


def _sniff_delimiter(text: str) -> str:
    head = "\n".join(text[:65536].splitlines()[:50])  # never split the whole file to read 50 lines
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _duplicates(names: Sequence[Any]) -> list[str]:
    seen: set[str] = set()
    dupes: list[str] = []
    for n in map(str, names):
        if n in seen and n not in dupes:
            dupes.append(n)
        seen.add(n)
    return dupes


def _check_shape(n_rows: int, n_cols: int, label: str, limits: Limits, *, how: str) -> None:
    if n_cols > limits.max_columns:
        raise refuse(
            label,
            field="max_columns",
            detail=f"its {n_cols:,} columns",
            limit=f"{limits.max_columns:,} columns",
            why="Wide files are refused before they are parsed.",
        )
    if n_rows * n_cols > limits.max_cells:
        raise refuse(
            label,
            field="max_cells",
            detail=f"{n_rows:,} rows x {n_cols:,} columns ({how})",
            limit=f"{limits.max_cells:,} cells",
            why="A small compressed file can hold billions of cells; it is refused before it is decompressed.",
        )


def _check_parquet_metadata(raw: bytes, label: str, limits: Limits) -> None:
    """Rows, columns and duplicate names from the Parquet footer, before any column is decompressed."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(io.BytesIO(raw))
    except Exception as exc:  # pyarrow raises many types for bad bytes
        raise AuditInputError(
            E.NOT_TABULAR.format(file=label, kind="Parquet", detail=str(exc)[:200])
        ) from exc
    names = meta.schema_arrow.names
    dupes = _duplicates(names)
    if dupes:
        raise AuditInputError(E.DUPLICATE_COLUMNS.format(file=label, columns=dupes))
    n_rows, n_cols = meta.metadata.num_rows, len(names)
    _check_shape(n_rows, n_cols, label, limits, how="from the Parquet metadata")
    in_memory = n_rows * n_cols * 8
    if in_memory > 256 * 1024 * 1024 and in_memory / max(len(raw), 1) > limits.max_parquet_expansion:
        raise refuse(
            label,
            field="max_parquet_expansion",
            detail=f"its expansion from {len(raw):,} bytes on disk to about {in_memory / 1024**2:,.0f} MB in "
            f"memory ({n_rows:,} rows x {n_cols:,} columns, {in_memory / max(len(raw), 1):,.0f}x)",
            limit=f"{limits.max_parquet_expansion:,.0f}x",
            why="A compression bomb is refused from its metadata, before it is decompressed.",
        )


def _check_csv_header(text: str, delimiter: str, n_lines: int, label: str, limits: Limits) -> None:
    """Duplicate names in the header as written (pandas would rename the second 'sex' to 'sex.1' and audit
    the first copy silently), and the rows x columns budget, before the file is parsed."""
    end = text.find("\n")
    first = (text if end < 0 else text[:end]).rstrip("\r")
    try:
        header = next(csv.reader([first], delimiter=delimiter, skipinitialspace=True), [])
    except csv.Error:
        return  # pandas reports the malformed file with its own message
    header = [h.strip() for h in header]
    dupes = _duplicates(h for h in header if h)
    if dupes:
        raise AuditInputError(E.DUPLICATE_COLUMNS.format(file=label, columns=dupes))
    _check_shape(n_lines, len(header), label, limits, how="counted from the header and the line count")


def load_dataset(
    source: str | Path | bytes | BinaryIO,
    *,
    name: str | None = None,
    na_values: Sequence[str] = ("",),
    format: str | None = None,
    limits: Limits | None = None,
) -> LoadedData:
    """Read a CSV or Parquet dataset.

    Parameters
    ----------
    source : path, raw bytes or a binary file object (e.g. a dashboard upload).
    name : name used in messages and provenance (default: the path).
    na_values : cell spellings read as missing in CSV files; only these (default: the empty cell), never pandas' own list
        ("None", "NA", ... stay values). ``"?"`` is the UCI spelling; add it for UCI files.
    format : ``"csv"`` or ``"parquet"``; default from the file suffix, else sniffed from the bytes.
    limits : size caps (default :func:`audits.limits.default_limits`), checked before parsing: the file size,
        the column count and rows x columns (from a Parquet file's metadata, from a CSV's header and line
        count).

    Raises
    ------
    AuditInputError : empty file, header only, binary or unparseable content, unknown suffix, duplicate column
        names, an input over a limit.
    """
    limits = limits or default_limits()
    raw, label = _read_source(source, name, limits)
    suffix = Path(label).suffix.lower()
    if format is None:
        if raw[:4] == b"PAR1":
            format = "parquet"
        elif suffix in DATA_SUFFIXES:
            format = DATA_SUFFIXES[suffix].lower()
        elif suffix and isinstance(source, str | Path):
            raise AuditInputError(E.UNKNOWN_DATA_FORMAT.format(file=label, suffix=suffix))
        else:
            format = "csv"
    if len(raw.strip()) == 0:
        raise AuditInputError(E.EMPTY_FILE.format(file=label))
    details: dict[str, Any] = {}
    if format == "parquet":
        _check_parquet_metadata(raw, label, limits)
        try:
            frame = pd.read_parquet(io.BytesIO(raw))
        except Exception as exc:  # pyarrow raises many types for bad bytes
            raise AuditInputError(
                E.NOT_TABULAR.format(file=label, kind="Parquet", detail=str(exc)[:200])
            ) from exc
    else:
        text, encoding = _decode(raw, label)
        delimiter = "\t" if suffix == ".tsv" else _sniff_delimiter(text)
        _check_csv_header(text, delimiter, raw.count(b"\n") + 1, label, limits)
        # exactly the spellings read as missing: the empty cell and the configured ones; pandas' own list
        # ("None", "NA", "null", ...) is off, so a category spelled "None" stays a category
        missing_tokens = list(dict.fromkeys(["", *map(str, na_values)]))
        details.update(
            encoding=encoding, delimiter=delimiter, na_values=missing_tokens, pandas_default_na_values=False
        )
        try:
            frame = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                na_values=missing_tokens,
                keep_default_na=False,
                skipinitialspace=True,
                low_memory=False,
            )
        except pd.errors.EmptyDataError as exc:
            raise AuditInputError(E.EMPTY_FILE.format(file=label)) from exc
        except (pd.errors.ParserError, ValueError) as exc:
            raise AuditInputError(
                E.NOT_TABULAR.format(file=label, kind="CSV", detail=str(exc).strip()[:200])
            ) from exc
        frame.columns = [str(c).strip() for c in frame.columns]
    if frame.shape[1] == 0:
        raise AuditInputError(E.EMPTY_FILE.format(file=label))
    if len(frame) == 0:
        raise AuditInputError(E.HEADER_ONLY.format(file=label))
    dupes = _duplicates(frame.columns)
    if dupes:
        raise AuditInputError(E.DUPLICATE_COLUMNS.format(file=label, columns=dupes))
    return LoadedData(
        frame=frame, name=label, sha256=sha256_bytes(raw), n_bytes=len(raw), format=format, details=details
    )


def frame_as_data(frame: pd.DataFrame, *, name: str = "DataFrame") -> LoadedData:
    """Wrap an in-memory DataFrame; its hash is computed from the values so provenance stays meaningful."""
    if frame.shape[1] == 0 or len(frame) == 0:
        raise AuditInputError(
            E.HEADER_ONLY.format(file=name) if frame.shape[1] else E.EMPTY_FILE.format(file=name)
        )
    dupes = _duplicates(frame.columns)
    if dupes:
        raise AuditInputError(E.DUPLICATE_COLUMNS.format(file=name, columns=dupes))
    try:
        hashed = pd.util.hash_pandas_object(frame, index=False)
    except TypeError:  # unhashable cells (lists, dicts): hash their text form instead
        hashed = pd.util.hash_pandas_object(frame.astype(str), index=False)
    digest = hashlib.sha256(hashed.values.tobytes())
    digest.update("|".join(map(str, frame.columns)).encode())
    return LoadedData(
        frame=frame,
        name=name,
        sha256=digest.hexdigest(),
        n_bytes=int(frame.memory_usage(deep=False).sum()),
        format="dataframe",
    )


# ------------------------------------------------------------------------------------------------------------
# Models
# ------------------------------------------------------------------------------------------------------------
def describe_estimator(est: Any) -> str:
    """A short human name: ``Pipeline(ColumnTransformer → GradientBoostingClassifier)``."""
    steps = getattr(est, "steps", None)
    if steps:
        return f"Pipeline({' → '.join(type(s).__name__ for _, s in steps)})"
    return type(est).__name__


def final_estimator(est: Any) -> Any:
    steps = getattr(est, "steps", None)
    return steps[-1][1] if steps else est


# Row count from which a prediction pass is split into chunks predicted in parallel threads. A scikit-learn
# pipeline's preprocessing (imputers, encoders on text columns) runs on one core; chunks in threads overlap it
# with the estimator's own (OpenMP) work. Measured on this project's 2-core machine, Adult GBM on 1,000,000 rows:
# 15.6 s in one call, 11.6 s in 4 chunks over 2 threads, identical probabilities.
PARALLEL_PREDICT_ROWS = 200_000
# Bytes of (transformed) features the final estimator is given per call. A tree ensemble walks every row once per
# tree: 1,000,000 one-hot rows of Adult are 650 MB, read from memory 150 times by a 150-tree model, while a block
# of a few MB stays in the CPU cache across the trees. Measured on the 2-core machine, Adult GBM's final step on
# 1,000,000 rows: 9.8 s in one call, 3.5 s in blocks of 8,000 rows (5 MB), identical probabilities.
CACHE_BLOCK_BYTES = 4 << 20
MIN_BLOCK_ROWS = 1024


def _rows(X: Any, start: int, stop: int) -> Any:
    return X.iloc[start:stop] if isinstance(X, pd.DataFrame | pd.Series) else X[start:stop]


def _blocked(est: Any, method: str, X: Any) -> np.ndarray:
    """``getattr(est, method)(X)``; a scikit-learn pipeline transforms ``X`` in one go and its final step predicts
    cache-sized row blocks (same values: scikit-learn predicts each row on its own)."""
    from sklearn.pipeline import Pipeline

    final, Xt = est, X
    if isinstance(est, Pipeline) and len(est.steps) > 1:
        final, Xt = est.steps[-1][1], est[:-1].transform(X)
    n, width = Xt.shape[0], (Xt.shape[1] if len(Xt.shape) > 1 else 1)
    rows = max(MIN_BLOCK_ROWS, CACHE_BLOCK_BYTES // (8 * max(1, width)))
    call = getattr(final, method)
    if n <= 2 * rows:
        return np.asarray(call(Xt))
    return np.concatenate([np.asarray(call(_rows(Xt, a, a + rows))) for a in range(0, n, rows)], axis=0)


def _in_chunks(predict: Any, X: pd.DataFrame) -> np.ndarray:
    """``predict(X)``, in 2 chunks per core predicted in threads when ``X`` is large (rows kept in order)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(X) < PARALLEL_PREDICT_ROWS or workers < 2:
        return predict(X)
    from concurrent.futures import ThreadPoolExecutor

    cuts = np.linspace(0, len(X), 2 * workers + 1).astype(int)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rai-predict") as pool:
        parts = list(
            pool.map(lambda ab: predict(X.iloc[ab[0] : ab[1]]), zip(cuts[:-1], cuts[1:], strict=True))
        )
    return np.concatenate(parts, axis=0)


@dataclass
class ModelAdapter:
    """One interface over scikit-learn-like estimators and ONNX sessions.

    Attributes
    ----------
    kind : ``sklearn`` (any object with ``predict``) or ``onnx``.
    estimator : the fitted estimator for ``sklearn`` models (explainers and re-fits need it), else None.
    classes : class labels in the order of ``predict_proba`` columns, or None (regression / unknown).
    feature_names : columns the model expects, when it records them.
    """

    kind: str
    name: str
    description: str
    estimator: Any = None
    session: Any = None
    classes: np.ndarray | None = None
    feature_names: list[str] | None = None
    sha256: str | None = None
    n_bytes: int | None = None
    path: str | None = None
    load_format: str = "object"
    _onnx_inputs: list[Any] = field(default_factory=list, repr=False)
    _onnx_outputs: list[str] = field(default_factory=list, repr=False)

    @property
    def has_proba(self) -> bool:
        if self.kind == "onnx":
            return len(self._onnx_outputs) > 1
        return hasattr(self.estimator, "predict_proba")

    @property
    def is_refittable(self) -> bool:
        return (
            self.kind == "sklearn"
            and hasattr(self.estimator, "fit")
            and hasattr(self.estimator, "get_params")
        )

    @property
    def is_classifier(self) -> bool:
        return self.classes is not None

    def provenance(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "format": self.load_format,
            "description": self.description,
            "sha256": self.sha256,
            "bytes": self.n_bytes,
            "classes": None if self.classes is None else [str(c) for c in self.classes],
            "n_features": None if self.feature_names is None else len(self.feature_names),
        }

    # --- prediction -----------------------------------------------------------------------------------------
    def predict(self, X: pd.DataFrame) -> np.ndarray:
        if self.kind == "onnx":
            return self._run_onnx(X)[0]
        return _in_chunks(lambda part: _blocked(self.estimator, "predict", part), X)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray | None:
        if not self.has_proba:
            return None
        if self.kind == "onnx":
            return self._run_onnx(X)[1]
        return _in_chunks(
            lambda part: np.asarray(_blocked(self.estimator, "predict_proba", part), dtype=float), X
        )

    def predict_both(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """Labels and probabilities in one pass where the model allows it."""
        if self.kind == "onnx":
            labels, proba = self._run_onnx(X)
            return labels, proba
        proba = self.predict_proba(X)
        # scikit-learn classifiers predict the argmax of predict_proba: reuse it and save a second pass.
        if (
            proba is not None
            and self.classes is not None
            and len(self.classes) == proba.shape[1]
            and _predict_is_argmax(self.estimator)
        ):
            return np.asarray(self.classes)[np.argmax(proba, axis=1)], proba
        return self.predict(X), proba

    def _onnx_feed(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        inputs = self._onnx_inputs
        if len(inputs) == 1 and (self.feature_names is None or inputs[0].name not in X.columns):
            arr = X.to_numpy(dtype=np.float32)
            return {inputs[0].name: arr}
        feed = {}
        for inp in inputs:
            col = X[inp.name]
            if "string" in inp.type:
                feed[inp.name] = (
                    col.astype(object).where(col.notna(), "").astype(str).to_numpy().reshape(-1, 1)
                )
            elif "int64" in inp.type:
                feed[inp.name] = col.to_numpy(dtype=np.int64).reshape(-1, 1)
            elif "double" in inp.type:
                feed[inp.name] = col.to_numpy(dtype=np.float64).reshape(-1, 1)
            else:
                feed[inp.name] = col.to_numpy(dtype=np.float32).reshape(-1, 1)
        return feed

    def _run_onnx(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        out = self.session.run(self._onnx_outputs, self._onnx_feed(X))
        labels = np.asarray(out[0]).ravel()
        proba = None
        if len(out) > 1:
            p = out[1]
            if isinstance(p, list):  # ZipMap output: list of {class: prob}
                keys = list(p[0].keys())
                p = np.array([[row[k] for k in keys] for row in p], dtype=float)
            proba = np.asarray(p, dtype=float)
        return labels, proba


def _predict_is_argmax(est: Any) -> bool:
    """True for estimators whose predict is the argmax of predict_proba (scikit-learn classifiers)."""
    mod = type(final_estimator(est)).__module__
    return mod.startswith("sklearn.") and hasattr(est, "classes_")


def adapt_estimator(
    est: Any,
    *,
    name: str = "model",
    sha256: str | None = None,
    n_bytes: int | None = None,
    path: str | None = None,
    load_format: str = "object",
) -> ModelAdapter:
    """Wrap a fitted scikit-learn-compatible estimator."""
    if not hasattr(est, "predict"):
        raise AuditInputError(
            f"{name}: the object has no predict method ({type(est).__name__}); it is not a fitted model."
        )
    classes = getattr(est, "classes_", None)
    features = getattr(est, "feature_names_in_", None)
    return ModelAdapter(
        kind="sklearn",
        name=name,
        description=describe_estimator(est),
        estimator=est,
        classes=None if classes is None else np.asarray(classes),
        feature_names=None if features is None else [str(f) for f in features],
        sha256=sha256,
        n_bytes=n_bytes,
        path=path,
        load_format=load_format,
    )


def _load_skops(raw: bytes, label: str, trusted_types: Sequence[str], limits: Limits) -> Any:
    """skops with an exact-name allow list; zip sizes checked before skops reads, trees validated after."""
    import skops.io as sio

    from audits import model_trust as T

    schema = T.check_skops_zip(raw, label, limits)
    try:
        untrusted = sio.get_untrusted_types(data=raw)
    except Exception as exc:
        raise AuditInputError(
            E.MODEL_CORRUPT.format(file=label, detail=T.safe_detail(exc), kind="skops")
        ) from exc
    accepted = T.check_skops_types(schema, untrusted, label, trusted_types)
    try:
        est = sio.loads(raw, trusted=accepted)
    except Exception as exc:
        raise AuditInputError(
            E.MODEL_CORRUPT.format(file=label, detail=T.safe_detail(exc), kind="skops")
        ) from exc
    T.validate_loaded_model(est, label)
    return est


def _onnx_classes(model: Any) -> np.ndarray | None:
    for node in model.graph.node:
        for attr in node.attribute:
            if attr.name == "classlabels_strings" and attr.strings:
                return np.array([s.decode() for s in attr.strings], dtype=object)
            if attr.name in ("classlabels_int64s", "classlabels_ints") and attr.ints:
                return np.array(list(attr.ints))
    return None


def _load_onnx(raw: bytes, label: str, path: str | None, n_bytes: int) -> ModelAdapter:
    import onnx
    import onnxruntime as ort

    from audits import model_trust as T

    # Parsed from bytes, which never reads external data; checked before a session exists.
    try:
        model = onnx.load_model_from_string(raw)
    except Exception as exc:
        raise AuditInputError(
            E.MODEL_CORRUPT.format(file=label, detail="not a valid ONNX protobuf", kind="ONNX")
        ) from exc
    T.check_onnx_model(model, label)
    try:
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        session = ort.InferenceSession(raw, sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise AuditInputError(
            E.MODEL_CORRUPT.format(file=label, detail=T.safe_detail(exc), kind="ONNX")
        ) from exc
    inputs = list(session.get_inputs())
    outputs = [o.name for o in session.get_outputs()]
    try:
        classes = _onnx_classes(model)
    except Exception:  # metadata is optional; predictions still work
        classes = None
    features = [i.name for i in inputs] if len(inputs) > 1 else None
    return ModelAdapter(
        kind="onnx",
        name=label,
        description=f"ONNX graph ({len(inputs)} input(s), outputs {', '.join(outputs)})",
        session=session,
        classes=classes,
        feature_names=features,
        sha256=sha256_bytes(raw),
        n_bytes=n_bytes,
        path=path,
        load_format="onnx",
        _onnx_inputs=inputs,
        _onnx_outputs=outputs[:2],
    )


def load_model(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    trust_pickle: bool = False,
    trusted_types: Sequence[str] = (),
    limits: Limits | None = None,
) -> ModelAdapter:
    """Load a model file without running code from it.

    Parameters
    ----------
    source : path, or raw bytes with ``name`` giving the file name (its suffix selects the format).
    trust_pickle : allow ``.pkl``/``.joblib`` files, which run code when loaded. Also enabled by the
        ``RAI_AUDIT_ALLOW_PICKLE=1`` environment variable (for a server operator). A warning says so.
    trusted_types : extra exact, fully-qualified type names to accept in a ``.skops`` file (never the names on
        the DENY list of :mod:`audits.model_trust`).
    limits : size caps (default :func:`audits.limits.default_limits`), checked before the file is read.

    Raises
    ------
    AuditInputError : missing/truncated/unknown/oversized file, untrusted or denied types, invalid tree nodes,
        ONNX external data or custom operators, or pickle without trust.
    """
    import warnings

    from audits import model_trust as T

    limits = limits or default_limits()
    extra_types = T.normalise_trusted_types(trusted_types)
    if isinstance(source, bytes | bytearray):
        label, path = name or "uploaded model", None
        check_bytes(label, len(source), field="max_model_bytes", limits=limits)
        raw = bytes(source)
    else:
        p = Path(source)
        if not p.exists():
            raise AuditInputError(E.MODEL_FILE_MISSING.format(file=p))
        if not p.is_file():  # a folder, a FIFO or a device would block or never end
            raise AuditInputError(f"{p}: is not a regular file. Give the path of a model file.")
        label, path = name or str(p), str(p)
        # The size comes from the file system before a byte is read.
        check_bytes(label, p.stat().st_size, field="max_model_bytes", limits=limits)
        raw = p.read_bytes()
    suffix = Path(label).suffix.lower()
    if suffix not in MODEL_SUFFIXES:
        raise AuditInputError(E.MODEL_UNKNOWN_TYPE.format(file=label, suffix=suffix or "(none)"))
    if not raw:
        raise AuditInputError(
            E.MODEL_CORRUPT.format(file=label, detail="the file is empty", kind=suffix.lstrip("."))
        )
    digest = sha256_bytes(raw)
    if suffix in ONNX_SUFFIXES:
        return _load_onnx(raw, label, path, len(raw))
    if suffix in SKOPS_SUFFIXES:
        est = _load_skops(raw, label, extra_types, limits)
        return adapt_estimator(
            est, name=label, sha256=digest, n_bytes=len(raw), path=path, load_format="skops"
        )
    if not (trust_pickle or pickle_allowed_by_operator()):
        raise AuditInputError(E.PICKLE_NOT_TRUSTED.format(file=label))
    import joblib

    warnings.warn(
        f"{label}: loading a pickle/joblib model runs the code inside the file; it is loaded only because "
        "pickle was trusted (trust_pickle / --trust-pickle / RAI_AUDIT_ALLOW_PICKLE).",
        UserWarning,
        stacklevel=2,
    )
    try:
        est = joblib.load(io.BytesIO(raw))
    except Exception as exc:
        raise AuditInputError(
            E.MODEL_CORRUPT.format(file=label, detail=str(exc)[:200], kind="pickle/joblib")
        ) from exc
    return adapt_estimator(est, name=label, sha256=digest, n_bytes=len(raw), path=path, load_format="pickle")
