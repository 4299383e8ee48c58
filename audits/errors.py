"""Errors raised at the entry of an audit.

Input errors stop an audit before any work is done; their message names the file, the column and what to do.
Message templates are constants so tests can check their text.
"""

from __future__ import annotations


class AuditInputError(ValueError):
    """A user-supplied input (file, column, option) cannot be audited as given."""


EMPTY_FILE = (
    "{file}: the file is empty. Choose a CSV or Parquet file with a header row and at least one data row."
)
HEADER_ONLY = "{file}: the file has a header but no data rows. Add rows, or choose another file."
NOT_TABULAR = "{file}: could not be read as {kind} ({detail}). Save the data as a UTF-8 CSV with a header row, or as Parquet."
DUPLICATE_COLUMNS = (
    "{file}: duplicate column name(s) {columns}. Each column needs a unique name; rename or drop the copies "
    "so the audit cannot silently use the wrong one."
)
UNKNOWN_DATA_FORMAT = "{file}: unknown data format '{suffix}'. Use .csv, .txt, .tsv or .parquet."
COLUMN_MISSING = "{file}: column '{column}' ({role}) is not in the data. Available columns: {available}."
TARGET_ONE_CLASS = (
    "{file}: target column '{column}' has a single value ({value!r}); a classification audit needs at least two "
    "classes. Choose another target or another dataset."
)
TARGET_TOO_MANY_CLASSES = (
    "{file}: target column '{column}' has {n} distinct values; a binary audit needs 2. "
    "Set task='multiclass' (or 'regression' for a numeric target)."
)
POSITIVE_LABEL_UNKNOWN = (
    "{file}: positive label {label!r} does not occur in target column '{column}' (values: {values}). "
    "Set positive_label to one of those values."
)
PROTECTED_ALL_MISSING = (
    "{file}: protected column '{column}' has no values (all missing). Choose a protected attribute with data."
)
MODEL_MISSING_COLUMNS = (
    "{file}: the model expects {n} column(s) that the data lacks: {columns}. Add them to the data or choose the "
    "dataset the model was trained on."
)
MODEL_FILE_MISSING = "{file}: the model file does not exist. Check the path."
MODEL_UNKNOWN_TYPE = (
    "{file}: unknown model format '{suffix}'. Use .skops (scikit-learn via skops), .onnx, or — only if you trust "
    "the file — .pkl/.joblib with trust_pickle."
)
MODEL_CORRUPT = (
    "{file}: the model file could not be read ({detail}). The file may be truncated or not a {kind} file."
)
PICKLE_NOT_TRUSTED = (
    "{file}: pickle/joblib files run code when they are loaded, so a malicious file can take over this machine. "
    "RAI Audit refuses them by default. Convert the model to .skops (skops.io.dump) or .onnx, or — only if you "
    "trust the file — pass --trust-pickle (CLI), trust_pickle=True (Python) or set RAI_AUDIT_ALLOW_PICKLE=1 "
    "(server)."
)
PREDICTION_OUTSIDE_LABELS = (
    "{file}: prediction column '{column}' has value(s) {values} that are not labels of target '{target}' "
    "(labels: {labels}). Predictions must use the same labels as the target."
)
PREDICTION_LOOKS_LIKE_SCORES = (
    "{file}: prediction column '{column}' holds fractional numbers between 0 and 1 — these look like scores, not "
    "labels. Pass it as the score column (--score {column}) and give hard predictions in --prediction, or give a model."
)
SCORE_OUT_OF_RANGE = (
    "{file}: score column '{column}' must hold probabilities between 0 and 1; found values from {lo} to {hi}."
)
NO_MODEL_NO_PREDICTIONS = (
    "No model and no prediction column were given. Give a model file (--model) or name the column that holds the "
    "model's predictions (--prediction)."
)
NO_PROTECTED = (
    "No protected attribute was given. Name at least one column (--protected COL), e.g. sex or race."
)
NO_FEATURES = (
    "{file}: no feature columns are left after removing the target, predictions and excluded columns."
)
PREDICT_FAILED = (
    "{file}: the model failed to predict on the data ({detail}). Check that the data has the columns and types the "
    "model was trained on."
)
REGRESSION_TARGET_NOT_NUMERIC = (
    "{file}: target column '{column}' is not numeric, so it cannot be audited as a regression. Use task='binary' or "
    "'multiclass'."
)
TARGET_MISSING_VALUES = (
    "{file}: target column '{column}' has {n} missing value(s). Drop or fill those rows before the audit."
)
