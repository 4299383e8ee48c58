"""Model files that try to run code, read files or exhaust memory are refused before anything runs."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path

import numpy as np
import onnx
import pandas as pd
import pytest
import skops.io as sio
from onnx import TensorProto, helper
from sklearn.linear_model import LogisticRegression
from skops.io._protocol import PROTOCOL

from audits import AuditInputError, load_model
from audits.limits import Limits
from audits.model_trust import allowed_types, is_denied

ROOT = Path(__file__).resolve().parents[3]


# --- hand-written skops schemas -------------------------------------------------------------------------------
def _json(v):
    return {
        "__class__": type(v).__name__,
        "__module__": "builtins",
        "__loader__": "JsonNode",
        "content": json.dumps(v),
        "is_json": True,
    }


def _tuple(*items):
    return {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode", "content": list(items)}


def _list(*items):
    return {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode", "content": list(items)}


def _dict(content, key_types):
    return {
        "__class__": "dict",
        "__module__": "builtins",
        "__loader__": "DictNode",
        "content": content,
        "key_types": _list(*key_types),
    }


def _call(module, name, *args):
    """A node skops builds by calling ``module.name(*args)`` (the loss-function loader)."""
    return {
        "__class__": name,
        "__module__": module,
        "__loader__": "LossNode",
        "__reduce__": {"args": _tuple(*args)},
        "content": _dict({}, []),
    }


def _skops_bytes(schema: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("schema.json", json.dumps({**schema, "protocol": PROTOCOL}))
    return buf.getvalue()


def _payloads(marker: Path) -> dict[str, dict]:
    code = f"open({str(marker)!r}, 'w').write('pwned')"
    return {
        "builtins.eval": _dict(
            {code: _json(1)}, [{"__class__": "eval", "__module__": "builtins", "__loader__": "TypeNode"}]
        ),
        "builtins.exec": _call("builtins", "exec", _json(code)),
        "builtins.open": _call("builtins", "open", _json(str(marker)), _json("w")),
        "builtins.getattr": _call("builtins", "getattr", _json("x"), _json("upper")),
        "numpy.load": _call("numpy", "load", _json(str(marker))),
        "os.system": _call("os", "system", _json(f"touch {marker}")),
        "operator.attrgetter": {
            "__class__": "attrgetter",
            "__module__": "operator",
            "__loader__": "OperatorFuncNode",
            "attrs": _tuple(_json("x")),
        },
        "functools.partial": {
            "__class__": "partial",
            "__module__": "functools",
            "__loader__": "PartialNode",
            "content": {
                "func": {"__class__": "exec", "__module__": "builtins", "__loader__": "FunctionNode"},
                "args": _tuple(_json(code)),
                "kwds": _dict({}, []),
                "namespace": _dict({}, []),
            },
        },
    }


WRITES_MARKER = ["builtins.eval", "builtins.exec", "builtins.open", "os.system", "functools.partial"]


@pytest.mark.parametrize("name", WRITES_MARKER)
def test_payload_is_live_when_skops_trusts_it(tmp_path, name):
    """Control: trusted blindly (what the prefix list did for builtins.*), the payload writes its marker."""
    marker = tmp_path / "marker"
    raw = _skops_bytes(_payloads(marker)[name])
    obj = sio.loads(raw, trusted=sio.get_untrusted_types(data=raw))
    if name == "functools.partial":
        obj()
    assert marker.exists()


@pytest.mark.parametrize(
    "name",
    [
        "builtins.eval",
        "builtins.exec",
        "builtins.open",
        "builtins.getattr",
        "numpy.load",
        "os.system",
        "operator.attrgetter",
    ],
)
def test_callables_that_reach_code_or_files_are_denied(tmp_path, name):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.skops"
    path.write_bytes(_skops_bytes(_payloads(marker)[name]))
    with pytest.raises(AuditInputError) as err:
        load_model(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: ") and name in msg
    assert "never loads" in msg
    assert not marker.exists()


def test_partial_wrapping_exec_is_refused_and_names_both(tmp_path):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.skops"
    path.write_bytes(_skops_bytes(_payloads(marker)["functools.partial"]))
    with pytest.raises(AuditInputError, match="builtins.exec") as err:
        load_model(path, trusted_types=["functools.partial"])
    assert "never loads" in str(err.value)
    assert not marker.exists()


def test_partial_of_an_allowed_function_still_needs_trust(tmp_path):
    schema = {
        "__class__": "partial",
        "__module__": "functools",
        "__loader__": "PartialNode",
        "content": {
            "func": {"__class__": "log1p", "__module__": "numpy", "__loader__": "FunctionNode"},
            "args": _tuple(),
            "kwds": _dict({}, []),
            "namespace": _dict({}, []),
        },
    }
    path = tmp_path / "p.skops"
    path.write_bytes(_skops_bytes(schema))
    with pytest.raises(AuditInputError) as err:
        load_model(path)
    msg = str(err.value)
    assert "functools.partial" in msg and "not on RAI Audit's allow list" in msg
    for switch in ("trusted_types=", "--trust-type NAME", "trusted_types: list"):
        assert switch in msg


def test_deny_list_wins_over_trusted_types(tmp_path):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.skops"
    path.write_bytes(_skops_bytes(_payloads(marker)["builtins.eval"]))
    with pytest.raises(AuditInputError) as err:
        load_model(path, trusted_types=["builtins.eval"])
    assert "even when these names are given in trusted_types" in str(err.value)
    assert not marker.exists()


class CustomScaler(LogisticRegression):
    """A benign estimator defined outside scikit-learn: refused by default, accepted when trusted by name."""


def test_trusted_types_extends_the_allow_list_by_exact_name(tmp_path):
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    path = tmp_path / "custom.skops"
    sio.dump(CustomScaler().fit(X, [0, 0, 1, 1]), path)
    name = f"{CustomScaler.__module__}.CustomScaler"
    with pytest.raises(AuditInputError, match="CustomScaler"):
        load_model(path)
    with pytest.raises(AuditInputError, match="CustomScaler"):  # a prefix is not a name
        load_model(path, trusted_types=[CustomScaler.__module__])
    model = load_model(path, trusted_types=[name])
    assert type(model.estimator) is CustomScaler
    np.testing.assert_array_equal(model.predict(X), [0, 0, 1, 1])


def test_trusted_types_must_be_names(tmp_path):
    with pytest.raises(AuditInputError, match="trusted_types: 'eval; rm' is not a fully-qualified"):
        load_model(tmp_path / "x.skops", trusted_types=["eval; rm"])


def test_allow_list_is_exact_names_without_dangerous_callables():
    allowed = allowed_types()
    assert "sklearn.linear_model._logistic.LogisticRegression" in allowed
    assert "sklearn.tree._tree.Tree" in allowed and "numpy.float64" in allowed and "numpy.log1p" in allowed
    for name in (
        "builtins.eval",
        "builtins.map",
        "builtins.getattr",
        "numpy.load",
        "numpy.fromfile",
        "os.system",
    ):
        assert name not in allowed and is_denied(name)
    assert not any(n.endswith(".") for n in allowed)
    assert is_denied("operator.methodcaller") and is_denied("subprocess.Popen")
    assert not is_denied("sklearn.tree._tree.Tree")


# --- zip bombs -------------------------------------------------------------------------------------------------
def _zip_with_member(name: bytes, data: bytes, *, declared_size: int, method: int = 8) -> bytes:
    """A one-member zip written by hand, so the declared size can differ from what the data inflates to."""
    crc = 0
    local = struct.pack(
        "<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(data), declared_size, len(name), 0
    )
    central = struct.pack(
        "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0, crc, len(data), declared_size, len(name), 0, 0, 0, 0,
        0, 0,
    )  # fmt: skip
    body = local + name + data
    cd = central + name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(cd), len(body), 0)
    return body + cd + end


BOMB_BYTES = 1600 * 1024 * 1024  # more than the 1.5 GB address-space cap the refusal runs under


@pytest.fixture(scope="module")
def deflated_zeros() -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 9, zlib.Z_RLE)
    chunk = bytes(16 * 1024 * 1024)
    parts = [packer.compress(chunk) for _ in range(BOMB_BYTES // len(chunk))]
    return b"".join(parts) + packer.flush()


def _load_under_memory_cap(path: Path, *, control: bool = False) -> subprocess.CompletedProcess:
    script = textwrap.dedent(
        f"""
        import resource, sys, zipfile
        resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024, 1536 * 1024 * 1024))
        from audits import AuditInputError, load_model
        if {control!r}:
            try:
                zipfile.ZipFile({str(path)!r}).read("schema.json")
            except MemoryError:
                print("MEMORYERROR")
            sys.exit(0)
        try:
            load_model({str(path)!r})
        except AuditInputError as exc:
            print("REFUSED", exc)
            sys.exit(0)
        print("LOADED")
        sys.exit(3)
        """
    )
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )


@pytest.mark.slow
def test_zip_bomb_is_refused_from_its_directory_under_a_memory_cap(tmp_path, deflated_zeros):
    path = tmp_path / "bomb.skops"
    path.write_bytes(_zip_with_member(b"schema.json", deflated_zeros, declared_size=BOMB_BYTES))
    assert path.stat().st_size < 5 * 1024 * 1024
    done = _load_under_memory_cap(path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "REFUSED" in done.stdout and "compression ratio" in done.stdout
    assert "RAI_AUDIT_MAX_MODEL_COMPRESSION_RATIO" in done.stdout


@pytest.mark.slow
def test_zip_member_lying_about_its_size_is_refused_under_a_memory_cap(tmp_path, deflated_zeros):
    path = tmp_path / "liar.skops"
    path.write_bytes(_zip_with_member(b"schema.json", deflated_zeros, declared_size=1000))
    control = _load_under_memory_cap(path, control=True)
    assert "MEMORYERROR" in control.stdout  # zipfile alone would inflate it past the cap
    done = _load_under_memory_cap(path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "REFUSED" in done.stdout and "inflates past its declared size" in done.stdout


def test_oversized_uncompressed_total_and_schema_are_refused(tmp_path, adult_paths):
    raw = adult_paths["logreg"].read_bytes()
    with pytest.raises(AuditInputError, match="RAI_AUDIT_MAX_MODEL_UNCOMPRESSED_BYTES"):
        load_model(raw, name="m.skops", limits=Limits(max_model_uncompressed_bytes=100_000))
    small_schema = Limits(max_model_uncompressed_bytes=32 * 1024 * 1024 - 1)  # schema cap is 1/32: ~1 MB
    assert load_model(raw, name="m.skops", limits=small_schema).kind == "sklearn"


def test_model_file_size_is_checked_before_reading(tmp_path, adult_paths):
    with pytest.raises(AuditInputError, match="RAI_AUDIT_MAX_MODEL_BYTES"):
        load_model(adult_paths["gbm"], limits=Limits(max_model_bytes=1000))
    with pytest.raises(AuditInputError, match="RAI_AUDIT_MAX_MODEL_BYTES"):
        load_model(b"x" * 2000, name="m.onnx", limits=Limits(max_model_bytes=1000))
    with pytest.raises(AuditInputError, match="not a regular file"):
        load_model(tmp_path)


def test_bzip2_members_are_refused(tmp_path, adult_paths):
    est = load_model(adult_paths["logreg"]).estimator
    path = tmp_path / "bz.skops"
    sio.dump(est, path, compression=zipfile.ZIP_BZIP2)
    with pytest.raises(AuditInputError, match="compression method 12"):
        load_model(path)
    sio.dump(est, path, compression=zipfile.ZIP_DEFLATED)
    assert load_model(path).kind == "sklearn"


# --- ONNX -----------------------------------------------------------------------------------------------------
def _onnx_linear(weight: TensorProto, *, nodes=None, opsets=None) -> onnx.ModelProto:
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 2])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 1])
    graph = helper.make_graph(
        nodes or [helper.make_node("MatMul", ["X", "W"], ["Y"])], "g", [x], [y], [weight]
    )
    return helper.make_model(graph, opset_imports=opsets or [helper.make_opsetid("", 17)])


def _external(tensor: TensorProto, location: str) -> TensorProto:
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "8")):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return tensor


@pytest.fixture()
def secret_file(tmp_path, monkeypatch):
    """A server file an uploaded ONNX model would try to read, in the working directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.bin").write_bytes(b"SECRET!!")
    return tmp_path / "secret.bin"


def test_onnx_sample_still_loads(adult_paths):
    assert load_model(adult_paths["onnx"]).kind == "onnx"


def test_onnx_embedded_initializer_loads(tmp_path):
    w = helper.make_tensor("W", TensorProto.FLOAT, [2, 1], [1.0, 2.0])
    model = load_model(_onnx_linear(w).SerializeToString(), name="ok.onnx")
    np.testing.assert_allclose(model.predict(pd.DataFrame({"a": [1.0], "b": [1.0]})), [3.0])


def test_onnx_external_initializer_is_refused_before_a_session(tmp_path, secret_file):
    w = _external(helper.make_tensor("W", TensorProto.FLOAT, [2, 1], [1.0, 2.0]), "secret.bin")
    raw = _onnx_linear(w).SerializeToString()
    with pytest.raises(AuditInputError) as err:
        load_model(raw, name="ext.onnx")
    msg = str(err.value)
    assert msg.startswith("ext.onnx: ") and "external data" in msg and "SECRET" not in msg


def test_onnx_external_data_written_by_onnx_helper_is_refused(tmp_path, secret_file):
    from onnx.external_data_helper import convert_model_to_external_data

    raw_weights = np.array([1.0, 2.0], dtype=np.float32).tobytes()
    w = helper.make_tensor("W", TensorProto.FLOAT, [2, 1], raw_weights, raw=True)
    model = _onnx_linear(w)
    convert_model_to_external_data(
        model, all_tensors_to_one_file=True, location="weights.bin", size_threshold=0
    )
    onnx.save_model(model, tmp_path / "m.onnx")
    assert (tmp_path / "weights.bin").exists()
    with pytest.raises(AuditInputError, match="external data"):
        load_model(tmp_path / "m.onnx")


def test_onnx_external_tensor_inside_a_subgraph_is_refused(tmp_path, secret_file):
    secret = _external(helper.make_tensor("S", TensorProto.FLOAT, [2, 1], [0.0, 0.0]), "secret.bin")
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 1])
    branch = helper.make_graph([helper.make_node("Constant", [], ["Y"], value=secret)], "b", [], [y])
    w = helper.make_tensor("W", TensorProto.FLOAT, [2, 1], [1.0, 2.0])
    nodes = [
        helper.make_node("ReduceSum", ["X"], ["s"], keepdims=0),
        helper.make_node("Greater", ["s", "s"], ["c"]),
        helper.make_node("If", ["c"], ["Y"], then_branch=branch, else_branch=branch),
    ]
    with pytest.raises(AuditInputError, match="external data") as err:
        load_model(_onnx_linear(w, nodes=nodes).SerializeToString(), name="sub.onnx")
    assert "SECRET" not in str(err.value)


@pytest.mark.parametrize("domain", ["com.example.evil", "com.microsoft"])
def test_onnx_custom_domain_is_refused(domain):
    w = helper.make_tensor("W", TensorProto.FLOAT, [2, 1], [1.0, 2.0])
    nodes = [helper.make_node("Evil", ["X", "W"], ["Y"], domain=domain)]
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid(domain, 1)]
    with pytest.raises(AuditInputError) as err:
        load_model(_onnx_linear(w, nodes=nodes, opsets=opsets).SerializeToString(), name="c.onnx")
    assert domain in str(err.value) and "standard domains" in str(err.value)


def test_onnx_garbage_message_carries_no_file_bytes():
    with pytest.raises(AuditInputError) as err:
        load_model(b"\x08\x01SECRET\xff\xfe" * 10, name="g.onnx")
    assert "SECRET" not in str(err.value) and "could not be read" in str(err.value)


# --- pickle ---------------------------------------------------------------------------------------------------
def test_trusted_pickle_warns_that_it_runs_code(tmp_path, monkeypatch):
    import pickle

    monkeypatch.delenv("RAI_AUDIT_ALLOW_PICKLE", raising=False)
    path = tmp_path / "m.pkl"
    path.write_bytes(pickle.dumps(LogisticRegression().fit([[0.0], [1.0]], [0, 1])))
    with pytest.warns(UserWarning, match=r"m\.pkl: loading a pickle/joblib model runs the code"):
        load_model(path, trust_pickle=True)
    monkeypatch.setenv("RAI_AUDIT_ALLOW_PICKLE", "1")
    with pytest.warns(UserWarning, match="RAI_AUDIT_ALLOW_PICKLE"):
        load_model(path)
