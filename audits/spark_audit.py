"""The audit on Apache Spark: validate, predict and aggregate where the data lives.

``run_spark_audit`` takes Parquet files or folders, a Spark table name or a ``pyspark.sql.DataFrame``. It checks
the inputs with Spark aggregations (the same rules and messages as :func:`audits.context.build_context`), turns
labels, predictions and protected groups into a prepared DataFrame, and asks the
:class:`~audits.engines.spark_engine.SparkEngine` for confusion counts, score histograms and column aggregates:
only (groups × cells) and (groups × bins) rows reach the driver. Predictions-only mode moves no rows; with a
model, its file's bytes are broadcast and each executor loads them with the same safe loader
(:func:`audits.inputs.load_model`) and scores its partitions with ``mapInPandas``.

Sections on Spark (binary classification): performance, fairness and the data-quality aggregations on all rows.
Explanations, the proxy check of data quality and the emissions re-fit need rows on one machine: they run on a
seeded, bounded sample collected to the driver (:mod:`audits.engines.driver_sample`), and their results state it
(codecarbon measures the driver only, and the emissions result says so). See docs/spark.md.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import platform
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

import pandas as pd

from audits import errors as E
from audits.config import AuditConfig
from audits.context import _fmt_values, _match_label, _positive_label
from audits.engines.base import OVERALL
from audits.engines.driver_sample import SampleSections
from audits.engines.sections import (
    AggregateContext,
    data_quality_from_aggregates,
    eligible_groups,
    fairness_from_aggregates,
    performance_from_aggregates,
)
from audits.engines.spark_engine import SparkEngine
from audits.errors import AuditInputError
from audits.group_labels import AUTO_BIN_MIN_DISTINCT, INTERSECTION_SEP, MISSING_GROUP, bin_labels
from audits.inputs import ModelAdapter, load_model
from audits.limits import Limits, default_limits
from audits.results import AuditResult, Provenance, SectionResult, new_run_id

MAX_GROUPS = 50_000  # distinct groups of one protected attribute; more is an identifier, not a grouping
EXECUTOR_LOAD_FAILED = "RAI_AUDIT_EXECUTOR_MODEL_LOAD_FAILED: "
ProgressFn = Callable[[str, float, str], None]


def is_spark_frame(obj: Any) -> bool:
    """True for a ``pyspark.sql.DataFrame`` (classic or Connect), without importing pyspark."""
    return type(obj).__module__.startswith("pyspark.sql") and type(obj).__name__ == "DataFrame"


# --- session and input ----------------------------------------------------------------------------------------
def spark_session(
    master: str = "local[*]", *, app_name: str = "rai-audit", conf: dict[str, str] | None = None
) -> Any:
    """A Spark session on ``master`` (``conf``: extra Spark settings, e.g. ``spark.driver.memory``); an
    :class:`AuditInputError` naming Java when the JVM cannot start."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise AuditInputError(
            "the Spark engine needs pyspark, which is not installed. Install it with "
            "pip install 'rai-audit[spark]' (and a Java 17 runtime, e.g. Debian openjdk-17-jre-headless)."
        ) from exc
    java_home = os.environ.get("JAVA_HOME")
    if java_home and not Path(java_home, "bin", "java").exists():
        raise AuditInputError(
            f"Spark could not start: JAVA_HOME is {java_home!r}, which holds no bin/java. Spark needs a Java 17 "
            "runtime: point JAVA_HOME at it (e.g. /usr/lib/jvm/java-17-openjdk-amd64) or unset it to use the java "
            "on PATH."
        )
    if not java_home and shutil.which("java") is None:
        raise AuditInputError(
            "Spark could not start: no Java runtime found (JAVA_HOME is not set and java is not on PATH). Install "
            "Java 17 (Debian: apt-get install openjdk-17-jre-headless, or make system-deps)."
        )
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
    )
    if master.startswith("local"):
        # The aggregates are small (groups × cells): Spark's default 200 shuffle partitions only add tasks. Local
        # Python workers run this interpreter (its packages: audits, pyarrow, the model's library).
        builder = builder.config("spark.sql.shuffle.partitions", "8")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # read when the SparkContext starts
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # the gateway's own error says little; name Java and the master
        detail = " ".join(str(exc).split())[:300]
        raise AuditInputError(
            f"Spark could not start on master {master!r}: {detail}. Check the Java 17 runtime (JAVA_HOME="
            f"{java_home or 'unset'}, java on PATH: {shutil.which('java') or 'none'}) and the master URL."
        ) from exc


def _parquet_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(
        p for p in path.rglob("*") if p.is_file() and not p.name.startswith(("_", ".")) and p.suffix != ".crc"
    )


def check_parquet_schemas(path: Path) -> list[Path]:
    """The Parquet files under ``path``; refuses files whose columns or types differ (Spark would read the
    first file's schema and silently drop or null the others' columns)."""
    import pyarrow.parquet as pq

    files = _parquet_files(path)
    if not files:
        raise AuditInputError(
            f"{path}: holds no Parquet files. Give a Parquet file, a folder of them or a table name."
        )
    first = None
    for f in files:
        try:
            schema = pq.read_schema(f)
        except Exception as exc:
            raise AuditInputError(
                f"{f}: is not a readable Parquet file ({exc}). Remove it from {path}."
            ) from exc
        fields = {n: str(schema.field(n).type) for n in schema.names}
        if first is None:
            first = (f, fields)
            continue
        f0, ref = first
        missing = sorted(set(ref) - set(fields))
        extra = sorted(set(fields) - set(ref))
        typed = sorted(n for n in set(ref) & set(fields) if ref[n] != fields[n])
        if missing or extra or typed:
            parts = []
            if missing:
                parts.append(f"lacks column(s) {', '.join(missing)}")
            if extra:
                parts.append(f"has extra column(s) {', '.join(extra)}")
            if typed:
                parts.append("types differ for " + ", ".join(f"{n} ({fields[n]} vs {ref[n]})" for n in typed))
            raise AuditInputError(
                f"{path}: the Parquet files have different schemas: {f.name} {'; '.join(parts)} compared with "
                f"{f0.name}. Rewrite the files with one schema (or audit them separately)."
            )
    return files


def read_spark_input(spark: Any, source: Any, *, name: str | None = None) -> tuple[Any, dict[str, Any]]:
    """A DataFrame and its provenance from a Spark DataFrame, a Parquet file or folder, or a table name."""
    if is_spark_frame(source):
        return source, {"name": name or "Spark DataFrame", "format": "spark DataFrame"}
    text = str(source)
    path = Path(text)
    if path.exists():
        files = check_parquet_schemas(path)
        digest = hashlib.sha256()
        for f in files:
            st = f.stat()
            digest.update(f"{f.relative_to(path) if path.is_dir() else f.name}\0{st.st_size}\n".encode())
        return spark.read.parquet(str(path)), {
            "name": name or str(path),
            "format": "parquet",
            "files": len(files),
            "bytes": sum(f.stat().st_size for f in files),
            "sha256": digest.hexdigest(),
            "sha256_of": "the Parquet file names and sizes (the rows are not hashed on the Spark engine)",
        }
    if spark.catalog.tableExists(text):
        return spark.table(text), {"name": name or text, "format": "spark table"}
    raise AuditInputError(
        f"{text}: is neither a Parquet file or folder nor a table of the Spark catalog. Give a Parquet path or a "
        "table name (spark.catalog.listTables() lists them)."
    )


# --- validation and preparation -------------------------------------------------------------------------------
def _require(columns: Sequence[str], column: str, role: str, file: str) -> None:
    if column not in columns:
        raise AuditInputError(
            E.COLUMN_MISSING.format(file=file, column=column, role=role, available=_fmt_values(columns, 30))
        )


def _check_columns(df: Any, config: AuditConfig, model: ModelAdapter | None, file: str) -> None:
    cols = df.columns
    _require(cols, config.target, "target", file)
    for attr in config.protected:
        _require(cols, attr.column, "protected attribute", file)
        if attr.column == config.target:
            raise AuditInputError(
                f"{file}: column '{attr.column}' is both the target and a protected attribute. Choose a different "
                "protected column."
            )
    for col, role in (
        (config.prediction_column, "prediction"),
        (config.score_column, "score"),
        (config.sample_weight_column, "sample weight"),
    ):
        if col is not None:
            _require(cols, col, role, file)
    for col in config.categorical:
        _require(cols, col, "listed under 'categorical' in the config; fix or remove it", file)
    if model is None and config.prediction_column is None:
        raise AuditInputError(E.NO_MODEL_NO_PREDICTIONS)
    if config.task not in ("auto", "binary"):
        raise AuditInputError(
            f"config: task {config.task!r}: the Spark engine audits binary classification only. Use the pandas "
            "engine (--engine pandas) for multiclass and regression audits."
        )


def _is_numeric_type(dt: Any) -> bool:
    from pyspark.sql import types as T

    return isinstance(dt, T.NumericType) and not isinstance(dt, T.BooleanType)


def _null(col: Any, dt: Any) -> Any:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    return col.isNull() | (F.isnan(col) if isinstance(dt, T.FloatType | T.DoubleType) else F.lit(False))


def _distinct(df: Any, column: str, limit: int) -> list[Any]:
    rows = df.select(column).where(df[column].isNotNull()).distinct().limit(limit + 1).collect()
    return [r[0] for r in rows]


def _labels(df: Any, config: AuditConfig, model: ModelAdapter | None, file: str) -> tuple[tuple, Any, str]:
    observed = sorted(_distinct(df, config.target, 3), key=lambda v: (str(type(v)), v))
    if not observed:
        raise AuditInputError(E.TARGET_MISSING_VALUES.format(file=file, column=config.target, n="every"))
    if len(observed) < 2:
        raise AuditInputError(E.TARGET_ONE_CLASS.format(file=file, column=config.target, value=observed[0]))
    if len(observed) > 2:
        raise AuditInputError(
            f"{file}: target '{config.target}' has more than two values; the Spark engine audits binary "
            "classification only. Use the pandas engine (--engine pandas) for multiclass and regression audits."
        )
    positive, note = _positive_label(config, observed, model, file)
    return tuple(observed), positive, note


def _score_udf_schema(df: Any) -> Any:
    from pyspark.sql import types as T

    return T.StructType(
        [*df.schema.fields, T.StructField("__pred", T.StringType()), T.StructField("__score", T.DoubleType())]
    )


def _model_predictions(
    df: Any,
    model: ModelAdapter,
    raw: bytes,
    *,
    features: tuple[str, ...],
    positive: Any,
    trust_pickle: bool,
    trusted_types: tuple[str, ...],
) -> Any:
    """``df`` with ``__pred`` (the predicted label as text) and ``__score`` (probability of ``positive``),
    computed on the executors: the model file's bytes are broadcast and loaded there by the safe loader."""
    from audits.context import _class_column

    blob = df.sparkSession.sparkContext.broadcast(raw)
    name = model.name
    label_list = None if model.classes is None else list(model.classes)
    pos_col = None
    if model.has_proba and label_list is not None:
        pos_col = _class_column(model, label_list, positive, len(label_list) - 1)
    feats = list(features)

    def score(batches: Any) -> Any:
        import numpy as np

        from audits.inputs import load_model as _load

        try:
            m = _load(blob.value, name=name, trust_pickle=trust_pickle, trusted_types=trusted_types)
        except Exception as exc:  # noqa: BLE001 - reported to the driver with a marker, then named there
            raise RuntimeError(f"{EXECUTOR_LOAD_FAILED}{type(exc).__name__}: {exc}") from exc
        for pdf in batches:
            labels, proba = m.predict_both(pdf[feats])
            out = pdf.copy()
            out["__pred"] = [str(v) for v in np.asarray(labels).ravel()]
            out["__score"] = (
                np.asarray(proba, dtype=float)[:, pos_col]
                if proba is not None and pos_col is not None
                else None
            )
            yield out

    return df.mapInPandas(score, _score_udf_schema(df))


def _executor_error(exc: Exception, model: ModelAdapter) -> AuditInputError | None:
    text = str(exc)
    if EXECUTOR_LOAD_FAILED not in text:
        return None
    detail = text.split(EXECUTOR_LOAD_FAILED, 1)[1].splitlines()[0][:300]
    return AuditInputError(
        f"{model.name}: the model loaded on the driver but not on the Spark executors ({detail}). Install the "
        "model's library (and rai-audit) in the executors' Python environment: cluster libraries on Databricks, "
        "bootstrap actions on EMR, or spark-submit --archives with a packed virtual environment."
    )


def _group_label_column(
    df: Any, attr: Any, config: AuditConfig, notes: list[str], file: str
) -> tuple[Any, Any]:
    """The Spark expression of one protected attribute's group labels (as audits.group_labels) and its binning."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    col = F.col(f"`{attr.column}`")
    dt = df.schema[attr.column].dataType
    categorical = attr.column in config.categorical
    numeric = _is_numeric_type(dt) and not (categorical and attr.bins is None)
    bins, info = attr.bins, None
    if bins is None and numeric:
        n_distinct = df.select(F.countDistinct(col)).collect()[0][0]
        if n_distinct > AUTO_BIN_MIN_DISTINCT:
            # Exact quartiles with linear interpolation, as numpy's nanquantile in the pandas path.
            qs = df.select(F.percentile(col.cast("double"), [0.25, 0.5, 0.75])).collect()[0][0]
            integral = (
                df.where(col.isNotNull() & ~F.isnan(col.cast("double")) & (col.cast("double") % 1 != 0))
                .limit(1)
                .count()
                == 0
            )
            import numpy as np

            qs = np.unique(np.floor(qs) if integral else np.round(qs, 6))
            bins = tuple(float(q) for q in qs)
            notes.append(
                f"Protected column '{attr.column}' is numeric with {n_distinct} distinct values and no bins were "
                f"given; it was binned at its quartiles {list(bins)}. Set bins in the config to choose the groups."
            )
            info = {"edges": list(bins), "how": "quartiles (automatic)"}
    elif bins is not None:
        info = {"edges": list(bins), "how": "configured"}
    missing = _null(col, dt)
    if bins is not None:
        if not numeric:
            raise AuditInputError(
                f"protected column '{attr.column}' has bins {list(bins)} but is not numeric. Remove the bins or "
                "choose a numeric column."
            )
        labels = list(attr.labels) if attr.labels else bin_labels(bins)
        info["labels"] = labels
        x = col.cast("double")
        expr = F.when(missing, F.lit(MISSING_GROUP))
        for edge, lab in zip(bins, labels, strict=False):
            expr = expr.when(x <= F.lit(float(edge)), F.lit(str(lab)))
        return expr.otherwise(F.lit(str(labels[-1]))), info
    if isinstance(dt, T.StringType):
        return F.when(missing, F.lit(MISSING_GROUP)).otherwise(col), None
    if isinstance(dt, T.BooleanType):
        return F.when(missing, F.lit(MISSING_GROUP)).when(col, F.lit("True")).otherwise(F.lit("False")), None
    if isinstance(dt, T.IntegralType):
        return F.when(missing, F.lit(MISSING_GROUP)).otherwise(col.cast("long").cast("string")), None
    # other types (non-integral numbers, dates): the labels of the distinct values, computed as in pandas
    from audits.group_labels import group_str

    values = _distinct(df, attr.column, MAX_GROUPS)
    mapping = F.create_map(*[F.lit(x) for v in values for x in (v, group_str(v))]) if values else None
    return (
        F.lit(MISSING_GROUP)
        if mapping is None
        else F.when(missing, F.lit(MISSING_GROUP)).otherwise(mapping[col])
    ), None


def _input_stats(
    df: Any,
    config: AuditConfig,
    model: ModelAdapter | None,
    types: dict[str, Any],
    pred_col: str,
    score_col: str | None,
) -> dict[str, Any]:
    """One aggregation pass of every input check: rows, missing targets and predictions, present and distinct
    protected values, fractional predictions, score range, weight validity."""
    from pyspark.sql import functions as F

    c = {n: F.col(f"`{n}`") for n in df.columns}
    aggs = [
        F.count(F.lit(1)).alias("rows"),
        F.sum(_null(c[config.target], types[config.target]).cast("long")).alias("target_missing"),
        F.sum(_null(c[pred_col], types[pred_col]).cast("long")).alias("pred_missing"),
    ]
    for i, attr in enumerate(config.protected):
        aggs.append(F.sum((~_null(c[attr.column], types[attr.column])).cast("long")).alias(f"present{i}"))
        aggs.append(F.approx_count_distinct(c[attr.column], rsd=0.05).alias(f"distinct{i}"))
    if model is None and _is_numeric_type(types[pred_col]):
        p = c[pred_col].cast("double")
        aggs.append(F.sum(((p > 0) & (p < 1) & (p % 1 != 0)).cast("long")).alias("pred_fractional"))
    if score_col is not None:
        s = c[score_col].cast("double")
        aggs += [
            F.sum((s.isNull() | F.isnan(s)).cast("long")).alias("score_bad"),
            F.min(s).alias("score_min"),
            F.max(s).alias("score_max"),
        ]
    if config.sample_weight_column:
        w = c[config.sample_weight_column].cast("double")
        aggs += [
            F.sum((w.isNull() | F.isnan(w) | (w < 0)).cast("long")).alias("w_bad"),
            F.sum(w).alias("w_sum"),
        ]
    try:
        stats = df.agg(*aggs).collect()[0].asDict()
    except Exception as exc:
        err = None if model is None else _executor_error(exc, model)
        if err is not None:
            raise err from exc
        raise
    return stats


def _refuse_bad_inputs(
    stats: dict[str, Any],
    config: AuditConfig,
    model: ModelAdapter | None,
    file: str,
    types: dict[str, Any],
    pred_col: str,
    score_col: str | None,
) -> None:
    """The input errors the aggregation pass found, each naming the file, the column and what to do."""
    if stats["target_missing"]:
        raise AuditInputError(
            E.TARGET_MISSING_VALUES.format(file=file, column=config.target, n=int(stats["target_missing"]))
        )
    for i, attr in enumerate(config.protected):
        if not stats[f"present{i}"]:
            raise AuditInputError(E.PROTECTED_ALL_MISSING.format(file=file, column=attr.column))
        if (
            stats[f"distinct{i}"] > MAX_GROUPS
            and attr.bins is None
            and not _is_numeric_type(types[attr.column])
        ):
            raise AuditInputError(
                f"{file}: protected column '{attr.column}' has about {stats[f'distinct{i}']:,} distinct values; at "
                f"most {MAX_GROUPS:,} groups are audited. It looks like an identifier: choose a grouping column "
                "or bin it."
            )
    if stats["pred_missing"]:
        raise AuditInputError(
            f"{file}: prediction column '{pred_col}' has {int(stats['pred_missing'])} missing value(s). Every row "
            "needs a prediction."
        )
    if stats.get("pred_fractional"):
        raise AuditInputError(E.PREDICTION_LOOKS_LIKE_SCORES.format(file=file, column=pred_col))
    if score_col is not None and (
        stats["score_bad"] or stats["score_min"] is None or stats["score_min"] < 0 or stats["score_max"] > 1
    ):
        if model is not None:
            raise AuditInputError(
                f"{model.name}: predict_proba returned values from {stats['score_min']} to {stats['score_max']} or "
                "missing values; probabilities must lie between 0 and 1."
            )
        raise AuditInputError(
            E.SCORE_OUT_OF_RANGE.format(
                file=file, column=score_col, lo=stats["score_min"], hi=stats["score_max"]
            )
        )
    if config.sample_weight_column and (stats["w_bad"] or not (stats["w_sum"] or 0) > 0):
        raise AuditInputError(
            f"{file}: sample weight column '{config.sample_weight_column}' must hold non-negative numbers with no "
            "gaps, and at least one positive weight."
        )


def _positive_predictions(
    df: Any,
    config: AuditConfig,
    model: ModelAdapter | None,
    file: str,
    observed: Any,
    positive: Any,
    pred_col: str,
) -> list[Any]:
    """The prediction values that mean the positive class; predictions outside the labels are refused."""
    # labels and predictions against the observed classes, matched as the pandas path matches them
    label_list = list(observed)
    preds = _distinct(df, pred_col, 50)
    mapped = {v: _match_label(v, label_list) for v in preds}
    bad = [v for v, m in mapped.items() if m is None]
    if bad or len(preds) > 50:
        raise AuditInputError(
            E.PREDICTION_OUTSIDE_LABELS.format(
                file=file if model is None else model.name,
                column=config.prediction_column or "model output",
                values=_fmt_values(bad or preds),
                target=config.target,
                labels=_fmt_values(label_list),
            )
        )
    pos_preds = [v for v, m in mapped.items() if m == positive]
    return pos_preds


def _group_columns(
    out: Any, config: AuditConfig, notes: list[str], file: str, stats: dict[str, Any]
) -> tuple[Any, dict[str, Any], dict[str, str], dict[str, tuple[str, ...]], list[str], int]:
    """Group-label columns ``__g<i>`` of every protected attribute and pairwise intersection, with the binning,
    each group column's parts, the intersections and an upper estimate of the joint groups."""
    from pyspark.sql import functions as F

    binning: dict[str, Any] = {}
    group_cols: dict[str, str] = {}
    exprs = []
    for i, attr in enumerate(config.protected):
        expr, info = _group_label_column(out, attr, config, notes, file)
        if info:
            binning[attr.column] = info
        group_cols[attr.column] = f"__g{i}"
        exprs.append(expr.alias(f"__g{i}"))
    out = out.select("*", *exprs)
    columns = [a.column for a in config.protected]
    # an upper estimate of the attributes' joint groups (each: its bins, or its distinct values, plus 'missing')
    combos = 1
    for i, attr in enumerate(config.protected):
        edges = binning.get(attr.column, {}).get("edges")
        combos *= (len(edges) + 2) if edges else int(stats[f"distinct{i}"] * 1.2) + 2
    parts: dict[str, tuple[str, ...]] = {col: (col,) for col in columns}
    intersections: list[str] = []
    if config.intersections and len(columns) >= 2:
        for combo in combinations(columns, 2 if len(columns) > 2 else len(columns)):
            name = INTERSECTION_SEP.join(combo)
            k = f"__g{len(group_cols)}"
            out = out.withColumn(
                k, F.concat_ws(INTERSECTION_SEP, *[F.col(group_cols[part]) for part in combo])
            )
            group_cols[name] = k
            parts[name] = combo
            intersections.append(name)
    return out, binning, group_cols, parts, intersections, combos


def _prepare(
    df: Any,
    config: AuditConfig,
    model: ModelAdapter | None,
    model_raw: bytes | None,
    file: str,
    *,
    trust_pickle: bool,
    trusted_types: tuple[str, ...],
) -> tuple[Any, AggregateContext, dict[str, str], dict[str, Any]]:
    """Validate on Spark and build the prepared frame (``__y``, ``__p``, ``__s``, ``__w`` and group labels)."""
    from pyspark.sql import functions as F

    from audits.context import _features, _validate_check_options, _validate_emissions_inputs

    df_in = df  # the input rows as given: the driver sample is drawn from them, not from the scored frame
    _check_columns(df, config, model, file)
    _validate_check_options(config.policy)
    if "emissions" in config.sections and config.emissions.enabled:
        _validate_emissions_inputs(config)
    observed, positive, label_note = _labels(df, config, model, file)
    features = _features(pd.DataFrame(columns=df.columns), config, model, file)
    t0 = time.perf_counter()
    if model is not None:
        needed = list(
            dict.fromkeys(
                [*features, config.target, *(a.column for a in config.protected)]
                + [c for c in (config.sample_weight_column,) if c]
            )
        )
        df = _model_predictions(
            df.select(*needed),
            model,
            model_raw or b"",
            features=features,
            positive=positive,
            trust_pickle=trust_pickle,
            trusted_types=trusted_types,
        )
        pred_col, score_col = "__pred", ("__score" if model.has_proba else None)
        from pyspark import StorageLevel

        # Score once: the checks and every aggregation read the scored rows from executor disk.
        df = df.persist(StorageLevel.DISK_ONLY)
    else:
        pred_col, score_col = config.prediction_column, config.score_column
    types = {f.name: f.dataType for f in df.schema.fields}
    c = {n: F.col(f"`{n}`") for n in df.columns}
    stats = _input_stats(df, config, model, types, pred_col, score_col)
    seconds = time.perf_counter() - t0 if model is not None else None
    n_rows = int(stats["rows"])
    _refuse_bad_inputs(stats, config, model, file, types, pred_col, score_col)
    pos_preds = _positive_predictions(df, config, model, file, observed, positive, pred_col)
    out = df.select(
        *[c[n] for n in df.columns if not n.startswith("__")],
        F.when(c[config.target] == F.lit(positive), 1).otherwise(0).cast("int").alias("__y"),
        (c[pred_col].isin(pos_preds) if pos_preds else F.lit(False)).cast("int").alias("__p"),
        *([c[score_col].cast("double").alias("__s")] if score_col else []),
        *(
            [c[config.sample_weight_column].cast("double").alias("__w")]
            if config.sample_weight_column
            else []
        ),
    )
    notes: list[str] = [label_note]
    out, binning, group_cols, parts, intersections, combos = _group_columns(out, config, notes, file, stats)
    columns = [a.column for a in config.protected]
    actx = AggregateContext(
        config=config,
        target=config.target,
        positive_label=positive,
        classes=tuple(observed),
        protected_columns=tuple(columns),
        intersection_columns=tuple(intersections),
        n_rows=n_rows,
        threshold=0.5 if score_col is not None else None,
        prediction_source="model" if model is not None else "column",
        prediction_seconds=seconds,
        weighted=config.sample_weight_column is not None,
        features=tuple(features),
        notes=tuple(notes),
        binning=binning,
    )
    flags = {
        "score": score_col is not None,
        "cached": df if model is not None else None,
        "parts": parts,
        "combinations": combos,
        "raw": df_in,
    }
    return out, actx, group_cols, flags


def _group_notes(actx: AggregateContext, counts: dict[str, Any], file: str) -> tuple[str, ...]:
    notes = list(actx.notes)
    for attr in actx.config.protected:
        cc = counts[attr.column]
        if len(cc.names) < 2:
            notes.append(
                f"Protected column '{attr.column}' has a single group ({cc.names[0]!r}); disparities between "
                "groups are not defined."
            )
        if attr.reference_group is not None and str(attr.reference_group) not in cc.names:
            raise AuditInputError(
                f"{file}: reference_group {attr.reference_group!r} of protected column '{attr.column}' is not one "
                f"of its groups ({_fmt_values(sorted(cc.names))}). Set reference_group to one of them."
            )
        if MISSING_GROUP in cc.names:
            n = int(cc.sizes[cc.names.index(MISSING_GROUP)])
            notes.append(
                f"Protected column '{attr.column}' has {n} missing value(s), audited as the group '{MISSING_GROUP}'."
            )
    return tuple(notes)


# --- the audit ---------------------------------------------------------------------------------------------------
def run_spark_audit(
    data: Any,
    *,
    config: AuditConfig,
    model: Any = None,
    spark: Any = None,
    master: str = "local[*]",
    progress: ProgressFn | None = None,
    trust_pickle: bool = False,
    trusted_types: Sequence[str] = (),
    limits: Limits | None = None,
    data_name: str | None = None,
    model_name: str | None = None,
    run_id: str | None = None,
) -> AuditResult:
    """Audit a binary model (or its logged predictions) on data that Spark reads.

    Parameters
    ----------
    data : a ``pyspark.sql.DataFrame``, a Parquet file or folder, or a table name of the Spark catalog.
    config : what to audit and the policy (binary classification).
    model : a model file (.skops / .onnx / pickle when trusted) or None for predictions-only mode.
    spark : a running SparkSession (default: one on ``master``).
    master : the Spark master URL used when no session is given (``local[*]``, ``yarn``, ``spark://…``).
    limits : size caps of the model file (default :func:`audits.limits.default_limits`); the data's caps do not
        apply here: its rows are never read into this process, only aggregates are.

    Raises
    ------
    AuditInputError : an input cannot be audited (the message names the file, the column and what to do), Spark
        cannot start (the message names Java), or the model does not load on the executors.
    """
    progress = progress or (lambda s, f, m: None)
    started = _dt.datetime.now(_dt.UTC)
    t_start = time.perf_counter()
    limits = limits or default_limits()
    progress("setup", 0.0, "Starting Spark and reading the input")
    if spark is None:
        spark = data.sparkSession if is_spark_frame(data) else spark_session(master)
    df, data_info = read_spark_input(spark, data, name=data_name)
    file = data_info["name"]
    adapter, raw = None, None
    if model is not None:
        if isinstance(model, ModelAdapter) or not isinstance(model, str | Path | bytes):
            raise AuditInputError(
                "the Spark engine takes a model file (.skops, .onnx, or a trusted pickle): its bytes are shipped to "
                "the executors and loaded there by the safe loader. Give the file path."
            )
        if isinstance(model, bytes):
            raw = model
        else:
            p = Path(model)
            adapter = load_model(
                p,
                name=model_name,
                trust_pickle=trust_pickle,
                trusted_types=tuple(trusted_types),
                limits=limits,
            )
            raw = p.read_bytes()
        if adapter is None:
            adapter = load_model(
                raw,
                name=model_name,
                trust_pickle=trust_pickle,
                trusted_types=tuple(trusted_types),
                limits=limits,
            )
    trusted = tuple((*config.trusted_types, *trusted_types))
    prepared, actx, group_cols, flags = _prepare(
        df, config, adapter, raw, file, trust_pickle=trust_pickle, trusted_types=trusted
    )
    cached = flags["cached"]
    try:
        result = _audit(prepared, actx, group_cols, flags, file, progress, adapter)
    finally:
        if cached is not None:
            cached.unpersist()
    provenance = Provenance(
        started_at=started.isoformat(timespec="seconds"),
        duration_s=time.perf_counter() - t_start,
        data={**data_info, "rows": actx.n_rows, "columns": len(df.columns), "engine": "spark"},
        model=adapter.provenance()
        if adapter is not None
        else {
            "name": None,
            "kind": "predictions only",
            "column": config.prediction_column,
            "score_column": config.score_column,
        },
        reference=None,
        config=config.to_dict(),
        versions=_versions(spark),
        seed=config.seed,
        platform={
            "system": platform.system(),
            "machine": platform.machine(),
            "python": platform.python_version(),
            "engine": "spark",
            "spark_master": spark.sparkContext.master,
            "context": {**actx.describe(), "notes": list(result[1])},
        },
        prediction_seconds=actx.prediction_seconds,
        run_id=run_id or new_run_id(),
    )
    return AuditResult(sections=result[0], provenance=provenance)


def _versions(spark: Any) -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version(), "pyspark": spark.version}
    for name in ("rai-audit", "numpy", "pandas", "scipy", "scikit-learn", "skops", "onnxruntime", "pyarrow"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _sections() -> list[tuple[str, str]]:
    """(name, title) of every section in the runner's order (config.SECTION_NAMES, tested equal to it)."""
    from audits import data_quality, emissions, explain, fairness, performance
    from audits.config import SECTION_NAMES

    titles = {m.NAME: m.TITLE for m in (performance, data_quality, fairness, explain, emissions)}
    return [(name, titles[name]) for name in SECTION_NAMES]


def _audit(
    prepared: Any,
    actx: AggregateContext,
    group_cols: dict[str, str],
    flags: dict[str, Any],
    file: str,
    progress: ProgressFn,
    model: ModelAdapter | None,
) -> tuple[tuple[SectionResult, ...], tuple[str, ...]]:
    config = actx.config
    engine = SparkEngine(
        prepared,
        group_cols,
        weighted=actx.weighted,
        with_score=flags["score"],
        n_rows=actx.n_rows,
        parts=flags["parts"],
        combinations=flags["combinations"],
    )
    progress("setup", 0.5, "Aggregating confusion counts per group")
    try:
        counts = engine.confusion_counts(list(actx.group_columns))
    except Exception as exc:
        err = None if model is None else _executor_error(exc, model)
        if err is not None:
            raise err from exc
        raise
    notes = _group_notes(actx, counts, file)
    import dataclasses

    actx = dataclasses.replace(actx, notes=notes)
    hists = None
    agreement = None
    moments = None
    if flags["score"]:
        progress("setup", 0.7, "Score histograms of the groups that meet min_group_size")
        hists = engine.score_histograms(eligible_groups(counts, int(config.policy.min_group_size)))
        moments, agreement = _score_moments(prepared, actx)
    progress("setup", 1.0, f"Aggregated {actx.n_rows:,} rows on Spark")
    # explanations, the proxy check and the emissions re-fit: on one seeded sample, collected when first needed
    sampled = SampleSections(
        flags["raw"],
        config,
        model,
        positive=actx.positive_label,
        binning=actx.binning,
        file=file,
        population=actx.n_rows,
    )
    results: dict[str, SectionResult] = {}
    sections = _sections()
    for name, title in sections:
        if name not in config.sections:
            results[name] = SectionResult.skipped(
                name, title, f"The {title.lower()} section was not selected in the config."
            )
            continue
        t0 = time.perf_counter()
        progress(name, 0.0, f"{title}: starting")
        step = lambda f, m, _n=name: progress(_n, f, m)  # noqa: E731 - the sections' own progress signature
        try:
            if name == "performance":
                first = counts[actx.group_columns[0]]
                res = performance_from_aggregates(
                    actx, first, None if hists is None else hists[OVERALL], moments
                )
            elif name == "data_quality":
                profile_cols = [c for c in prepared.columns if not c.startswith("__")]
                profiles = engine.column_profiles(profile_cols, group_columns=list(actx.protected_columns))
                res = data_quality_from_aggregates(actx, counts, profiles)
                res = sampled.data_quality(res, prior=dict(results), progress=step)
            elif name == "fairness":
                res = fairness_from_aggregates(
                    actx, counts, hists, prior=dict(results), threshold_agreement=agreement
                )
            elif name == "explanation":
                res = sampled.explanation(prior=dict(results), progress=step)
            else:
                res = sampled.emissions(prior=dict(results), progress=step)
        except AuditInputError:
            raise
        except Exception as exc:  # a failing section must not sink the audit (as audits.runner)
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            res = SectionResult.errored(name, title, f"The {title.lower()} section failed: {detail}")
        results[name] = res.with_duration(time.perf_counter() - t0)
        progress(name, 1.0, f"{title}: {results[name].status.value}")
    return tuple(results[name] for name, _ in sections), notes


def _score_moments(prepared: Any, actx: AggregateContext) -> tuple[dict[str, float], dict[str, Any]]:
    """Weighted sums of the per-row log loss and Brier score (and squares), and the threshold agreement."""
    from pyspark.sql import functions as F

    s, y, p = F.col("__s"), F.col("__y"), F.col("__p")
    w = F.col("__w") if actx.weighted else F.lit(1.0)
    eps = 1e-15
    ll = -(y * F.log(F.greatest(s, F.lit(eps))) + (1 - y) * F.log(F.greatest(1 - s, F.lit(eps))))
    br = (s - y) * (s - y)
    t = float(actx.threshold or 0.5)
    row = prepared.agg(
        F.sum(w).alias("w"),
        F.sum(w * w).alias("w2"),
        F.sum(w * ll).alias("log_loss"),
        F.sum(w * ll * ll).alias("log_loss_sq"),
        F.sum(w * br).alias("brier_score"),
        F.sum(w * br * br).alias("brier_score_sq"),
        F.sum(((s >= F.lit(t)).cast("int") == p).cast("long")).alias("agree_ge"),
        F.sum(((s > F.lit(t)).cast("int") == p).cast("long")).alias("agree_gt"),
    ).collect()[0]
    n = max(actx.n_rows, 1)
    agreement = {"threshold": t, "agreement_ge": row["agree_ge"] / n, "agreement_gt": row["agree_gt"] / n}
    return {
        k: float(row[k]) for k in ("w", "w2", "log_loss", "log_loss_sq", "brier_score", "brier_score_sq")
    }, agreement
