"""What a model file may contain before RAI Audit loads it, and checks of what was loaded before it predicts.

``.skops`` files name the Python types they are built from; building a type runs its code. A file is loaded only
when every type it names is on an allow list of EXACT fully-qualified names (never a module prefix): the
scikit-learn estimators and transformers, the internal helper types fitted estimators store, the numpy and scipy
data types and numpy ufuncs, and the LightGBM/XGBoost model classes. A DENY list of callables that reach code or
files (``builtins.eval``, ``numpy.load``, ``os.system``, ...) wins even over a user's ``trusted_types``.

Before skops parses anything, the zip's central directory is checked (total and per-member inflated size,
compression ratio, schema size), so a zip bomb is refused from a few hundred bytes of metadata.

Decision trees (``sklearn.tree._tree.Tree``), HistGradientBoosting ``TreePredictor`` and neighbour search trees
are compiled code that indexes its node arrays without bounds checks; a crafted file could crash the process at
predict time. Their node arrays are validated right after loading, before any prediction.

``.onnx`` models that read external data files or use custom operator domains are refused before a session is
created.
"""

from __future__ import annotations

import functools
import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from audits import errors as E
from audits.errors import AuditInputError
from audits.limits import Limits, human_bytes, refuse

# ------------------------------------------------------------------------------------------------------------
# Messages
# ------------------------------------------------------------------------------------------------------------
TRUST_SWITCHES = (
    "trusted_types=[...] (Python), --trust-type NAME (CLI, once per name) or the trusted_types: list in the "
    "audit YAML"
)
SKOPS_UNTRUSTED = (
    "{file}: the model contains types that are not on RAI Audit's allow list: {types}. Building a type runs its "
    "code, so the file was not loaded. If you trust the file and its author, allow each name exactly with "
    + TRUST_SWITCHES
    + "."
)
SKOPS_DENIED = (
    "{file}: the model names {types}, which can run code or read and write files. RAI Audit never loads such a "
    "file, even when these names are given in trusted_types / --trust-type / the trusted_types: YAML key. "
    "Re-save the model from its fitted estimator with skops.io.dump, or export it to .onnx."
)
SKOPS_BAD_ZIP = (
    "{file}: {detail}. A .skops file written by skops.io.dump does not look like this; it was not loaded."
)
MODEL_TREE_INVALID = (
    "{file}: {where} is invalid: {detail}. The node arrays are corrupt or were crafted to make the prediction "
    "code read outside its memory, so the model was not used. Re-save it from the fitted estimator."
)
ONNX_EXTERNAL_DATA = (
    "{file}: the ONNX model stores {n} tensor(s) as external data ({names}). ONNX Runtime would read those from "
    "files next to the working directory, so RAI Audit refuses it. Save the model with all tensors inside the "
    "file (onnx.save_model(model, path, save_as_external_data=False))."
)
ONNX_CUSTOM_DOMAIN = (
    "{file}: the ONNX model uses operator domain(s) {domains}; only the standard domains ('' / ai.onnx and "
    "ai.onnx.ml) are allowed, because custom operators run native code from libraries outside the model. "
    "Export the model with standard operators only."
)
TRUSTED_TYPE_INVALID = (
    "trusted_types: {value} is not a fully-qualified type name. Give names such as "
    "'mypackage.module.MyEstimator' (exactly as the refusal message lists them), one per entry."
)

# ------------------------------------------------------------------------------------------------------------
# The DENY list: names that reach code, the file system, processes or the network. It wins over trusted_types.
# ------------------------------------------------------------------------------------------------------------
DENIED_MODULES = frozenset(
    {
        "os", "posix", "nt", "posixpath", "ntpath", "subprocess", "sys", "shutil", "socket", "ssl", "select",
        "signal", "pty", "tty", "fcntl", "resource", "mmap", "ctypes", "_ctypes", "cffi", "importlib", "imp",
        "pkgutil", "runpy", "zipimport", "code", "codeop", "compileall", "py_compile", "pickle", "_pickle",
        "pickletools", "copyreg", "marshal", "shelve", "dbm", "joblib", "dill", "cloudpickle", "io", "_io",
        "pathlib", "tempfile", "glob", "fileinput", "zipfile", "tarfile", "gzip", "bz2", "lzma", "sqlite3",
        "webbrowser", "urllib", "http", "ftplib", "smtplib", "telnetlib", "xmlrpc", "asyncio", "threading",
        "_thread", "multiprocessing", "concurrent", "operator", "_operator", "inspect", "types", "gc", "atexit",
        "pdb", "bdb", "trace", "timeit", "profile", "cProfile", "logging", "platform", "builtins.__loader__",
        "numpy.ctypeslib", "numpy.testing", "numpy.distutils", "numpy.f2py", "numpy.lib.npyio",
        "numpy.lib._npyio_impl", "numpy.lib.format", "numpy.lib._format_impl", "numpy.lib._datasource",
        "numpy.lib.utils", "numpy._core.memmap", "numpy.core.memmap", "scipy.io", "scipy.weave", "pandas.io",
        "sklearn.utils._testing", "sklearn.datasets", "sklearn.externals",
    }
)  # fmt: skip
DENIED_NAMES = frozenset(
    {
        # builtins that evaluate code, import modules, open files or reach any attribute of any object
        "builtins.eval", "builtins.exec", "builtins.compile", "builtins.open", "builtins.__import__",
        "builtins.getattr", "builtins.setattr", "builtins.delattr", "builtins.map", "builtins.filter",
        "builtins.input", "builtins.breakpoint", "builtins.globals", "builtins.locals", "builtins.vars",
        "builtins.help", "builtins.exit", "builtins.quit", "builtins.type", "builtins.super",
        "builtins.memoryview", "builtins.classmethod", "builtins.staticmethod", "builtins.property",
        "builtins.__build_class__",
        # numpy functions that read or write files, map memory or wrap arbitrary Python callables
        "numpy.load", "numpy.loadtxt", "numpy.genfromtxt", "numpy.fromfile", "numpy.fromregex", "numpy.save",
        "numpy.savez", "numpy.savez_compressed", "numpy.savetxt", "numpy.memmap", "numpy.frompyfunc",
        "numpy.vectorize", "numpy.piecewise", "numpy.apply_along_axis", "numpy.apply_over_axes",
        "numpy.fromfunction", "numpy.DataSource",
        # functools combinators that call what they are given
        "functools.reduce", "functools.singledispatch", "functools.cached_property",
        "pandas.read_csv", "pandas.read_pickle", "pandas.read_parquet", "pandas.read_json", "pandas.eval",
        "pandas.read_table", "pandas.read_sql", "pandas.read_excel", "pandas.read_html", "pandas.read_feather",
        "sklearn.utils.validation.check_memory", "joblib.Memory",
    }
)  # fmt: skip


def is_denied(name: str) -> bool:
    """True for a name on the DENY list, or inside a denied module."""
    if name in DENIED_NAMES:
        return True
    parts = name.split(".")
    return any(".".join(parts[:i]) in DENIED_MODULES for i in range(1, len(parts) + 1))


# ------------------------------------------------------------------------------------------------------------
# The allow list
# ------------------------------------------------------------------------------------------------------------
# Plain data containers and scalars. No callable that runs user-supplied code is here.
_BUILTIN_TYPES = (
    "builtins.dict", "builtins.list", "builtins.tuple", "builtins.set", "builtins.frozenset", "builtins.str",
    "builtins.int", "builtins.float", "builtins.bool", "builtins.complex", "builtins.bytes",
    "builtins.bytearray", "builtins.slice", "collections.OrderedDict", "collections.defaultdict",
)  # fmt: skip
_NUMPY_TYPES = (
    "numpy.ndarray", "numpy.dtype", "numpy.ma.MaskedArray", "numpy.ma.core.MaskedArray",
    "numpy.random.mtrand.RandomState", "numpy.random.RandomState", "numpy.random._generator.Generator",
    "numpy.random.Generator", "numpy.random.PCG64", "numpy.random.PCG64DXSM", "numpy.random.MT19937",
    "numpy.random.Philox", "numpy.random.SFC64",
)  # fmt: skip
_SCIPY_SPARSE_TYPES = tuple(
    f"scipy.sparse._{fmt}.{fmt}_{kind}"
    for fmt in ("csr", "csc", "coo", "bsr", "dia", "lil", "dok")
    for kind in ("matrix", "array")
)
# Helper types fitted scikit-learn estimators store, found by dumping fitted estimators with skops and reading
# the names in their schema (LogisticRegression ... Pipeline, see tests/audits/inputs/test_model_loading.py).
# Each holds parameters and arrays; the tree types are also validated after loading (validate_loaded_model).
_SKLEARN_HELPER_TYPES = (
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
    # Parameter-free distance metrics only: the weighted ones hold arrays that are indexed without checks.
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.metrics._dist_metrics.EuclideanDistance32",
    "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.metrics._dist_metrics.ManhattanDistance32",
    "sklearn.metrics._dist_metrics.ChebyshevDistance64",
    "sklearn.metrics._dist_metrics.ChebyshevDistance32",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "sklearn.utils._bunch.Bunch",
    # Feature-selection score functions and the array validator HistGradientBoosting wraps in a partial.
    "sklearn.utils.validation.check_array",
    "sklearn.feature_selection._univariate_selection.f_classif",
    "sklearn.feature_selection._univariate_selection.f_regression",
    "sklearn.feature_selection._univariate_selection.chi2",
    "sklearn.feature_selection._univariate_selection.r_regression",
    "sklearn.feature_selection._mutual_info.mutual_info_classif",
    "sklearn.feature_selection._mutual_info.mutual_info_regression",
)
# Loss, link and SGD-loss classes: small objects with a few float parameters.
_SKLEARN_HELPER_MODULES = (
    "sklearn._loss.loss",
    "sklearn._loss.link",
    "sklearn._loss._loss",
    "sklearn.linear_model._sgd_fast",
)
# Exact model classes of the boosting libraries (their boosters are rebuilt from a model string).
_BOOSTING_TYPES = (
    "lightgbm.sklearn.LGBMClassifier", "lightgbm.sklearn.LGBMRegressor", "lightgbm.sklearn.LGBMRanker",
    "lightgbm.sklearn.LGBMModel", "lightgbm.basic.Booster",
    "xgboost.sklearn.XGBClassifier", "xgboost.sklearn.XGBRegressor", "xgboost.sklearn.XGBRanker",
    "xgboost.sklearn.XGBRFClassifier", "xgboost.sklearn.XGBRFRegressor", "xgboost.core.Booster",
)  # fmt: skip
# functools.partial is refused in general (it makes any callable callable with stored arguments); the one
# partial scikit-learn itself stores is HistGradientBoosting's partial(check_array, ...), allowed by its function.
PARTIAL_FUNCTIONS = frozenset({"sklearn.utils.validation.check_array"})


def _type_name(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__name__}"


def _classes_defined_in(module_name: str) -> set[str]:
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return set()
    return {
        _type_name(obj)
        for obj in vars(module).values()
        if isinstance(obj, type) and obj.__module__ == module_name
    }


@functools.cache
def allowed_types() -> frozenset[str]:
    """The exact type names a ``.skops`` file may name without ``trusted_types``."""
    from sklearn.utils import all_estimators

    names: set[str] = set(_BUILTIN_TYPES) | set(_NUMPY_TYPES) | set(_SCIPY_SPARSE_TYPES)
    names |= set(_SKLEARN_HELPER_TYPES) | set(_BOOSTING_TYPES)
    # Every public scikit-learn estimator and transformer, by the exact name of the class defined in sklearn.
    names |= {_type_name(cls) for _, cls in all_estimators() if cls.__module__.startswith("sklearn.")}
    for module in _SKLEARN_HELPER_MODULES:
        names |= _classes_defined_in(module)
    # numpy scalar types (numpy.float64, numpy.int64, numpy.str_, ...) and ufuncs (numpy.log1p, ...): pure data
    # and pure arithmetic, addressed by their public numpy name as skops writes them.
    for scalar in set(np.sctypeDict.values()):
        if getattr(np, scalar.__name__, None) is scalar:
            names.add(f"numpy.{scalar.__name__}")
    names |= {f"numpy.{n}" for n in dir(np) if isinstance(getattr(np, n, None), np.ufunc)}
    return frozenset(n for n in names if not is_denied(n))


def normalise_trusted_types(trusted_types: Iterable[Any]) -> tuple[str, ...]:
    """The user's extra trusted names as exact strings; a type object is turned into its name."""
    out: list[str] = []
    for t in trusted_types or ():
        name = _type_name(t) if isinstance(t, type) else t
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", name.strip()):
            raise AuditInputError(TRUSTED_TYPE_INVALID.format(value=_safe(repr(t))))
        out.append(name.strip())
    return tuple(out)


def _safe(text: str, limit: int = 120) -> str:
    """A name read from a file, fit for a message: printable characters only and a bounded length."""
    clean = "".join(c if c.isprintable() else "?" for c in str(text))
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def _name_list(names: Iterable[str], limit: int = 20) -> str:
    names = sorted(set(names))
    shown = ", ".join(_safe(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


# ------------------------------------------------------------------------------------------------------------
# The .skops zip: sizes from the central directory, before skops reads a member
# ------------------------------------------------------------------------------------------------------------
# A zip with this many members is not a model; parsing its central directory alone would take gigabytes.
MAX_ZIP_MEMBERS = 200_000
# Below this total, a high compression ratio cannot exhaust memory (a small model full of zeros is harmless).
RATIO_FLOOR_BYTES = 32 * 1024 * 1024
_INFLATE_CHUNK = 1 << 20


def schema_cap(limits: Limits) -> int:
    """The largest ``schema.json`` accepted: 1/32 of the uncompressed budget (64 MB by default)."""
    return max(1 << 20, limits.max_model_uncompressed_bytes // 32)


def check_skops_zip(raw: bytes, label: str, limits: Limits) -> bytes:
    """Refuse a zip bomb from its metadata; return the ``schema.json`` bytes, read within the checked size."""
    try:
        # The end record gives the member count before the central directory is parsed.
        end = zipfile._EndRecData(io.BytesIO(raw))
    except Exception:  # noqa: BLE001 - a private helper; the ZipFile below reports a broken file
        end = None
    if end and end[zipfile._ECD_ENTRIES_TOTAL] > MAX_ZIP_MEMBERS:
        raise AuditInputError(
            SKOPS_BAD_ZIP.format(
                file=label,
                detail=f"the zip declares {end[zipfile._ECD_ENTRIES_TOTAL]:,} members "
                f"(at most {MAX_ZIP_MEMBERS:,} are accepted)",
            )
        )
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise AuditInputError(
            E.MODEL_CORRUPT.format(file=label, detail=f"not a zip archive: {_safe(exc, 80)}", kind="skops")
        ) from exc
    total = sum(i.file_size for i in infos)
    if total > limits.max_model_uncompressed_bytes:
        raise refuse(
            label,
            field="max_model_uncompressed_bytes",
            detail=f"the total uncompressed size of its zip members ({human_bytes(total)})",
            limit=human_bytes(limits.max_model_uncompressed_bytes),
            why="The zip is refused from its directory, before anything is decompressed.",
        )
    ratio = total / max(len(raw), 1)
    if total > RATIO_FLOOR_BYTES and ratio > limits.max_model_compression_ratio:
        raise refuse(
            label,
            field="max_model_compression_ratio",
            detail=f"its compression ratio ({ratio:,.0f}:1, {human_bytes(len(raw))} inflating to "
            f"{human_bytes(total)})",
            limit=f"{limits.max_model_compression_ratio:,.0f}:1",
            why="Such ratios are the signature of a zip bomb.",
        )
    by_name = {i.filename: i for i in infos}
    schema_info = by_name.get("schema.json")
    if schema_info is None:
        raise AuditInputError(
            E.MODEL_CORRUPT.format(file=label, detail="the zip has no schema.json", kind="skops")
        )
    cap = schema_cap(limits)
    if schema_info.file_size > cap:
        raise refuse(
            label,
            field="max_model_uncompressed_bytes",
            detail=f"its schema.json ({human_bytes(schema_info.file_size)})",
            limit=f"{human_bytes(cap)} (1/32 of max_model_uncompressed_bytes)",
            why="The schema is parsed whole, so its size is capped.",
        )
    for info in infos:
        if info.flag_bits & 0x1:
            raise AuditInputError(SKOPS_BAD_ZIP.format(file=label, detail="a zip member is encrypted"))
        if info.compress_type == zipfile.ZIP_DEFLATED:
            _check_inflated_size(raw, info, label)
        elif info.compress_type != zipfile.ZIP_STORED:
            # bzip2/lzma members are decompressed without an output bound by zipfile; re-saving is cheap.
            raise AuditInputError(
                SKOPS_BAD_ZIP.format(
                    file=label,
                    detail=f"a zip member uses compression method {info.compress_type}; only stored and "
                    "deflated members are accepted (skops.io.dump(..., compression=zipfile.ZIP_DEFLATED))",
                )
            )
    try:
        return zf.read(schema_info)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as exc:
        raise AuditInputError(
            E.MODEL_CORRUPT.format(file=label, detail=f"schema.json: {_safe(exc, 80)}", kind="skops")
        ) from exc


def _check_inflated_size(raw: bytes, info: zipfile.ZipInfo, label: str) -> None:
    """Inflate a deflated member in bounded chunks and refuse it when it grows past its declared size.

    zipfile truncates a member to its declared size, but ``read()`` first inflates up to 2 GB in one call, so a
    member that lies about its size is a bomb even under the total-size check.
    """
    off = info.header_offset
    header = raw[off : off + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise AuditInputError(SKOPS_BAD_ZIP.format(file=label, detail="a zip member has no local header"))
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    start = off + 30 + name_len + extra_len
    data = memoryview(raw)[start : start + info.compress_size]
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    try:
        # Input in 1 MB slices and output in 1 MB chunks: memory stays bounded and no tail is copied twice.
        for pos in range(0, len(data), _INFLATE_CHUNK):
            pending: bytes | memoryview = data[pos : pos + _INFLATE_CHUNK]
            while pending and not inflater.eof and produced <= info.file_size:
                produced += len(inflater.decompress(pending, _INFLATE_CHUNK))
                pending = inflater.unconsumed_tail
            if inflater.eof or produced > info.file_size:
                break
        if produced <= info.file_size:
            produced += len(inflater.flush(_INFLATE_CHUNK))
    except zlib.error as exc:
        raise AuditInputError(
            E.MODEL_CORRUPT.format(file=label, detail=f"a zip member does not inflate: {exc}", kind="skops")
        ) from exc
    if produced > info.file_size:
        raise AuditInputError(
            SKOPS_BAD_ZIP.format(
                file=label,
                detail=f"a zip member inflates past its declared size of {human_bytes(info.file_size)} "
                "(a zip bomb)",
            )
        )


# ------------------------------------------------------------------------------------------------------------
# The skops schema: every type it names
# ------------------------------------------------------------------------------------------------------------
def schema_type_names(schema: Any) -> tuple[set[str], set[str]]:
    """Every ``module.class`` the schema asks skops to build, and ``functools.partial`` when it is allowed.

    Walks the whole JSON (iteratively: a deep file cannot exhaust the stack). Counting a dict that is plain data
    as a type can only refuse more, never less. A partial is allowed only when every partial in the file wraps
    one of PARTIAL_FUNCTIONS.
    """
    names: set[str] = set()
    partials_safe = True
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            module, cls = node.get("__module__"), node.get("__class__")
            if isinstance(module, str) and isinstance(cls, str):
                names.add(f"{module}.{cls}")
                loader = node.get("__loader__")
                if loader == "MethodNode":  # a bound method: the method name is a separate, reachable name
                    content = node.get("content")
                    func = content.get("func") if isinstance(content, dict) else None
                    names.add(f"{module}.{cls}.{func}")
                if loader == "PartialNode" and not _partial_is_safe(node):
                    partials_safe = False
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    allowed = {"functools.partial"} if partials_safe and "functools.partial" in names else set()
    return names, allowed


def _partial_is_safe(node: dict[str, Any]) -> bool:
    content = node.get("content")
    func = content.get("func") if isinstance(content, dict) else None
    return (
        isinstance(func, dict)
        and func.get("__loader__") == "FunctionNode"
        and f"{func.get('__module__')}.{func.get('__class__')}" in PARTIAL_FUNCTIONS
    )


def check_skops_types(
    schema_bytes: bytes, skops_untrusted: Sequence[str], label: str, trusted_types: Sequence[str]
) -> list[str]:
    """Refuse denied and unknown types; return the names to pass to ``skops.io.loads(trusted=...)``.

    ``skops_untrusted`` is what skops itself reports (it also declares names hidden in strings, such as a
    bit generator's); every name from either source must be allowed.
    """
    try:
        schema = json.loads(schema_bytes)
    except (ValueError, RecursionError) as exc:
        raise AuditInputError(
            E.MODEL_CORRUPT.format(file=label, detail="schema.json is not valid JSON", kind="skops")
        ) from exc
    names, allowed_partial = schema_type_names(schema)
    names |= set(skops_untrusted)
    denied = {n for n in names if is_denied(n)}
    permitted = allowed_types() | set(trusted_types) | allowed_partial
    refused = names - permitted - denied
    if denied:
        # Name every refused type, not only the denied ones, so one reading of the message tells the whole story.
        message = SKOPS_DENIED.format(file=label, types=_name_list(denied))
        if refused:
            message += f" It also names types outside the allow list: {_name_list(refused)}."
        raise AuditInputError(message)
    if refused:
        raise AuditInputError(SKOPS_UNTRUSTED.format(file=label, types=_name_list(refused)))
    return sorted(set(skops_untrusted))


# ------------------------------------------------------------------------------------------------------------
# Loaded trees: node arrays validated before any prediction
# ------------------------------------------------------------------------------------------------------------
def validate_loaded_model(obj: Any, label: str) -> None:
    """Walk the loaded object graph and validate every decision tree, TreePredictor and neighbour tree."""
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
    from sklearn.neighbors import BallTree, KDTree
    from sklearn.tree._tree import Tree

    seen: set[int] = set()
    stack: list[tuple[Any, str]] = [(obj, "the model")]
    while stack:
        o, where = stack.pop()
        if id(o) in seen or o is None or isinstance(o, str | bytes | int | float | bool):
            continue
        seen.add(id(o))
        if isinstance(o, Tree):
            _check_tree(o, where, label, n_features=None)
            continue
        if isinstance(o, TreePredictor):
            _check_predictor(o, where, label, n_features=None, bin_mapper=None, owned=False)
        if isinstance(o, KDTree | BallTree):
            _check_binary_tree(o, where, label)
            continue
        if isinstance(o, dict):
            stack.extend((v, f"{where}[{_safe(repr(k), 40)}]") for k, v in o.items())
        elif isinstance(o, list | tuple | set | frozenset):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(o))
        elif isinstance(o, np.ndarray):
            if o.dtype == object:
                stack.extend((v, f"{where}[{i}]") for i, v in enumerate(o.ravel()))
        elif hasattr(o, "__dict__"):
            attrs = vars(o)
            _check_owner(o, attrs, where, label)
            stack.extend((v, f"{where}.{k}") for k, v in attrs.items())


def _check_owner(o: Any, attrs: dict[str, Any], where: str, label: str) -> None:
    """Checks that need the estimator holding the trees: its feature count and ensemble shapes."""
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
    from sklearn.tree._tree import Tree

    n_features = attrs.get("n_features_in_")
    n_features = int(n_features) if isinstance(n_features, int | np.integer) else None
    tree = attrs.get("tree_")
    if isinstance(tree, Tree):
        if n_features is None or tree.n_features != n_features:
            raise AuditInputError(
                MODEL_TREE_INVALID.format(
                    file=label,
                    where=f"{where}.tree_",
                    detail=f"the tree has {tree.n_features} features but its estimator expects {n_features}",
                )
            )
        _check_tree(tree, f"{where}.tree_", label, n_features=n_features)
    estimators = attrs.get("estimators_")
    if n_features is not None and isinstance(estimators, list | np.ndarray):
        members = estimators.ravel() if isinstance(estimators, np.ndarray) else estimators
        for i, est in enumerate(members):
            sub = getattr(est, "__dict__", {}).get("n_features_in_")
            # Forests and boosting hand the ensemble's validated X straight to each tree.
            if isinstance(getattr(est, "__dict__", {}).get("tree_"), Tree) and (
                sub is None or sub > n_features
            ):
                raise AuditInputError(
                    MODEL_TREE_INVALID.format(
                        file=label,
                        where=f"{where}.estimators_[{i}]",
                        detail=f"a member tree expects {sub} features, more than the ensemble's {n_features}",
                    )
                )
        k = attrs.get("n_trees_per_iteration_")
        if (
            isinstance(estimators, np.ndarray)
            and estimators.ndim == 2
            and k is not None
            and estimators.shape[1] != k
        ):
            raise AuditInputError(
                MODEL_TREE_INVALID.format(
                    file=label,
                    where=f"{where}.estimators_",
                    detail=f"it has {estimators.shape[1]} trees per stage but the model predicts {k} values per row",
                )
            )
    predictors = attrs.get("_predictors")
    if isinstance(predictors, list):
        bin_mapper = attrs.get("_bin_mapper")
        for i, stage in enumerate(predictors):
            for j, pred in enumerate(stage if isinstance(stage, list) else [stage]):
                if isinstance(pred, TreePredictor):
                    _check_predictor(
                        pred,
                        f"{where}._predictors[{i}][{j}]",
                        label,
                        n_features=n_features,
                        bin_mapper=bin_mapper,
                    )


def _bad(label: str, where: str, detail: str) -> AuditInputError:
    return AuditInputError(MODEL_TREE_INVALID.format(file=label, where=where, detail=detail))


def _check_children(
    left: np.ndarray, right: np.ndarray, internal: np.ndarray, where: str, label: str
) -> None:
    """Children of internal nodes point forward and inside the array: no out-of-range index, no cycle."""
    n = len(left)
    idx = np.arange(n)
    for side, child in (("left", left), ("right", right)):
        c = child[internal].astype(np.int64)
        bad = (c <= idx[internal]) | (c >= n)
        if bad.any():
            node = int(idx[internal][bad][0])
            raise _bad(
                label,
                where,
                f"node {node} has {side} child {int(child[node])}, outside {node + 1}..{n - 1} "
                f"({int(bad.sum())} such node(s))",
            )


def _check_tree(tree: Any, where: str, label: str, *, n_features: int | None) -> None:
    n = int(tree.node_count)
    if n < 1:
        raise _bad(label, where, "it has no nodes")
    left = np.asarray(tree.children_left)
    right = np.asarray(tree.children_right)
    feature = np.asarray(tree.feature)
    threshold = np.asarray(tree.threshold)
    if not (len(left) == len(right) == len(feature) == len(threshold) == n):
        raise _bad(label, where, "its node arrays differ in length from its node count")
    leaf = left == -1
    if np.any(leaf != (right == -1)):
        node = int(np.flatnonzero(leaf != (right == -1))[0])
        raise _bad(label, where, f"node {node} has exactly one child")
    internal = ~leaf
    _check_children(left, right, internal, where, label)
    bound = int(tree.n_features) if n_features is None else min(int(tree.n_features), n_features)
    f = feature[internal]
    out_of_range = (f < 0) | (f >= bound)
    if out_of_range.any():
        raise _bad(label, where, f"a split uses feature {int(f[out_of_range][0])}; the model has {bound}")
    if not np.isfinite(threshold[internal]).all():
        raise _bad(label, where, "a split threshold is not a finite number")
    n_outputs = int(tree.n_outputs)
    n_classes = np.asarray(tree.n_classes)
    value = tree.value
    expected = (n, n_outputs, int(n_classes.max()) if n_classes.size else 1)
    if n_classes.shape != (n_outputs,) or value.shape != expected:
        raise _bad(
            label,
            where,
            f"its value array has shape {value.shape}, expected {expected} from its node and output counts",
        )


def _check_predictor(
    pred: Any, where: str, label: str, *, n_features: int | None, bin_mapper: Any, owned: bool = True
) -> None:
    """``owned``: checked with the HistGradientBoosting estimator that uses it (feature count, bin mapper)."""
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE

    nodes = pred.nodes
    if not isinstance(nodes, np.ndarray) or nodes.dtype != PREDICTOR_RECORD_DTYPE or nodes.ndim != 1:
        raise _bad(label, where, "its node array does not have scikit-learn's predictor record layout")
    n = len(nodes)
    if n < 1:
        raise _bad(label, where, "it has no nodes")
    internal = nodes["is_leaf"] == 0
    _check_children(nodes["left"], nodes["right"], internal, where, label)
    f = nodes["feature_idx"][internal]
    out_of_range = (f < 0) | (f >= n_features if n_features is not None else False)
    if out_of_range.any():
        raise _bad(
            label, where, f"a split uses feature {int(f[out_of_range][0])}; the model has {n_features}"
        )
    categorical = internal & (nodes["is_categorical"] != 0)
    if not np.isfinite(nodes["num_threshold"][internal & ~categorical]).all():
        raise _bad(label, where, "a split threshold is not a finite number")
    if not np.isfinite(nodes["value"]).all():
        raise _bad(label, where, "a leaf value is not a finite number")
    for attr in ("binned_left_cat_bitsets", "raw_left_cat_bitsets"):
        bits = getattr(pred, attr)
        if (
            not isinstance(bits, np.ndarray)
            or bits.ndim != 2
            or bits.shape[1] != 8
            or bits.dtype != np.uint32
        ):
            raise _bad(label, where, f"{attr} is not an (n, 8) array of uint32 bitsets")
        if categorical.any() and nodes["bitset_idx"][categorical].max() >= bits.shape[0]:
            raise _bad(label, where, f"a categorical split points past the {bits.shape[0]} rows of {attr}")
    if categorical.any() and owned:
        is_cat = None if bin_mapper is None else getattr(bin_mapper, "is_categorical_", None)
        cat_features = nodes["feature_idx"][categorical]
        if is_cat is None or cat_features.max() >= len(is_cat) or not np.asarray(is_cat)[cat_features].all():
            raise _bad(
                label, where, "a categorical split is on a feature the model does not treat as categorical"
            )
    if bin_mapper is not None:
        _check_bin_mapper(bin_mapper, where, label, n_features)


def _check_bin_mapper(bin_mapper: Any, where: str, label: str, n_features: int | None) -> None:
    """The categories of categorical features become bit positions in a 256-bit set, written without checks."""
    is_cat = getattr(bin_mapper, "is_categorical_", None)
    if is_cat is None:
        return
    is_cat = np.asarray(is_cat)
    if n_features is not None and len(is_cat) != n_features:
        raise _bad(
            label, where, f"its bin mapper describes {len(is_cat)} features; the model has {n_features}"
        )
    thresholds = getattr(bin_mapper, "bin_thresholds_", None) or []
    for i in np.flatnonzero(is_cat):
        if i >= len(thresholds):
            raise _bad(label, where, f"categorical feature {int(i)} has no known categories")
        cats = np.asarray(thresholds[i], dtype=float)
        if cats.size and (not np.isfinite(cats).all() or cats.min() < 0 or cats.max() > 255):
            raise _bad(label, where, f"categorical feature {int(i)} has categories outside 0..255")


def _check_binary_tree(tree: Any, where: str, label: str) -> None:
    """KD and ball trees: sample indices in range, nodes inside their arrays, bottom nodes are leaves."""
    data, idx_array, node_data, node_bounds = tree.get_arrays()
    data = np.asarray(data)
    if data.ndim != 2:
        raise _bad(label, where, "its data is not a 2-D array")
    n_samples, n_dims = data.shape
    idx = np.asarray(idx_array)
    if idx.shape != (n_samples,) or (n_samples and (idx.min() < 0 or idx.max() >= n_samples)):
        raise _bad(label, where, "its index array points outside its data")
    n_nodes = len(node_data)
    bounds = np.asarray(node_bounds)
    if n_nodes < 1 or bounds.ndim != 3 or bounds.shape[1] != n_nodes or bounds.shape[2] != n_dims:
        raise _bad(label, where, "its node arrays do not match its node count and data width")
    start, end = np.asarray(node_data["idx_start"]), np.asarray(node_data["idx_end"])
    if (start < 0).any() or (end > n_samples).any() or (start > end).any():
        raise _bad(label, where, "a node covers samples outside its data")
    bottom = np.arange(n_nodes) * 2 + 1 >= n_nodes
    if not np.asarray(node_data["is_leaf"])[bottom].all():
        raise _bad(label, where, "a node at the bottom of the tree is not a leaf")
    state = tree.__getstate__()
    weights = state[-1] if isinstance(state, tuple) else None
    if weights is not None and np.asarray(weights).shape != (n_samples,):
        raise _bad(label, where, "its sample weights do not match its data")


# ------------------------------------------------------------------------------------------------------------
# ONNX
# ------------------------------------------------------------------------------------------------------------
STANDARD_ONNX_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml"})


def check_onnx_model(model: Any, label: str) -> None:
    """Refuse external data (anywhere, subgraphs included) and non-standard operator domains."""
    import onnx

    external: list[str] = []
    domains: set[str] = {o.domain for o in model.opset_import if o.domain not in STANDARD_ONNX_DOMAINS}
    domains |= {f.domain for f in model.functions}  # model-local functions define their own domain

    def tensor(t: Any) -> None:
        if t.data_location == onnx.TensorProto.EXTERNAL or len(t.external_data) > 0:
            external.append(t.name)

    def sparse(s: Any) -> None:
        tensor(s.values)
        tensor(s.indices)

    graphs: list[Any] = [model.graph]
    node_lists: list[Any] = [f.node for f in model.functions]
    while graphs or node_lists:
        if graphs:
            g = graphs.pop()
            for t in g.initializer:
                tensor(t)
            for s in g.sparse_initializer:
                sparse(s)
            node_lists.append(g.node)
            continue
        for node in node_lists.pop():
            if node.domain not in STANDARD_ONNX_DOMAINS:
                domains.add(node.domain)
            for attr in node.attribute:
                if attr.HasField("t"):
                    tensor(attr.t)
                for t in attr.tensors:
                    tensor(t)
                if attr.HasField("sparse_tensor"):
                    sparse(attr.sparse_tensor)
                for s in attr.sparse_tensors:
                    sparse(s)
                if attr.HasField("g"):
                    graphs.append(attr.g)
                graphs.extend(attr.graphs)
    if external:
        raise AuditInputError(
            ONNX_EXTERNAL_DATA.format(file=label, n=len(external), names=_name_list(external, limit=3))
        )
    if domains:
        raise AuditInputError(ONNX_CUSTOM_DOMAIN.format(file=label, domains=_name_list(domains, limit=5)))


def safe_detail(exc: BaseException, limit: int = 160) -> str:
    """An exception's text for a message: one line of printable ASCII, so no file bytes ride along."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    clean = "".join(c if 32 <= ord(c) < 127 else "?" for c in first)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"
