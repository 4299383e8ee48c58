"""Cost of refusing hostile model files: time and peak RSS of each refusal, through the Python API in-process.

Cases: a 1.6 MB ``.skops`` zip bomb whose schema inflates to 1.6 GB (refused from the zip directory), the same
bomb with a member that lies about its size (refused while inflating in 1 MB chunks), a ``.skops`` schema that
names ``builtins.eval`` (refused from the schema), an ONNX model with an external-data initializer (refused from
the graph), and for reference the accepted load of the bundled Adult gradient-boosting model.

Each case runs in a fresh interpreter: RSS is read after the imports (start-up) and as the peak after the load,
so the figure is what the refusal itself costs. Target: at most 1 s and 300 MB beyond start-up per refusal.

Run: ``.venv/bin/python benchmarks/security_models.py``
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S, TARGET_MB = 1.0, 300.0
BOMB_BYTES = 1600 * 1024 * 1024

CHILD = """
import resource, sys, time, warnings
from audits import AuditInputError, load_model
import skops.io, onnx, onnxruntime, sklearn.ensemble  # start-up: every import a load may need
def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
before = rss_mb()
start = time.perf_counter()
try:
    load_model(sys.argv[1])
    outcome = "loaded"
except AuditInputError as exc:
    outcome = "refused: " + str(exc).split(": ", 1)[1][:60]
elapsed = time.perf_counter() - start
print(f"{elapsed:.4f}\\t{rss_mb() - before:.1f}\\t{outcome}")
"""


def _zip_member(name: bytes, data: bytes, declared: int) -> bytes:
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, 0, len(data), declared, len(name), 0)
    central = struct.pack(
        "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, 0, len(data), declared, len(name), 0, 0, 0, 0, 0, 0
    )
    body, cd = local + name + data, central + name
    return body + cd + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(cd), len(body), 0)


def build_cases(folder: Path) -> dict[str, Path]:
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 9, zlib.Z_RLE)
    chunk = bytes(16 * 1024 * 1024)
    zeros = b"".join(packer.compress(chunk) for _ in range(BOMB_BYTES // len(chunk))) + packer.flush()
    cases = {}
    cases["skops zip bomb (ratio)"] = folder / "bomb.skops"
    cases["skops zip bomb (ratio)"].write_bytes(_zip_member(b"schema.json", zeros, BOMB_BYTES))
    cases["skops zip bomb (lying size)"] = folder / "liar.skops"
    cases["skops zip bomb (lying size)"].write_bytes(_zip_member(b"schema.json", zeros, 1000))

    from skops.io._protocol import PROTOCOL

    evil = {
        "__class__": "dict",
        "__module__": "builtins",
        "__loader__": "DictNode",
        "content": {"print('pwned')": {"__class__": "int", "__module__": "builtins", "__loader__": "JsonNode",
                                       "content": "1", "is_json": True}},
        "key_types": {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode",
                      "content": [{"__class__": "eval", "__module__": "builtins", "__loader__": "TypeNode"}]},
        "protocol": PROTOCOL,
    }  # fmt: skip
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("schema.json", json.dumps(evil))
    cases["skops schema naming builtins.eval"] = folder / "eval.skops"
    cases["skops schema naming builtins.eval"].write_bytes(buf.getvalue())

    import onnx
    from onnx import TensorProto, helper

    w = helper.make_tensor("W", TensorProto.FLOAT, [2, 1], [1.0, 2.0])
    w.ClearField("float_data")
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "secret.bin"), ("offset", "0"), ("length", "8")):
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["Y"])],
        "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 2])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 1])],
        [w],
    )
    cases["ONNX external-data initializer"] = folder / "external.onnx"
    onnx.save_model(helper.make_model(graph), cases["ONNX external-data initializer"])
    cases["accepted: Adult GBM .skops (reference)"] = ROOT / "sample_data" / "adult" / "adult_gbm.skops"
    return cases


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cases = build_cases(Path(tmp))
        rows = []
        for name, path in cases.items():
            done = subprocess.run(
                [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, cwd=ROOT, check=True
            )
            seconds, mb, outcome = done.stdout.strip().splitlines()[-1].split("\t")
            size = path.stat().st_size
            rows.append((name, size, float(seconds), float(mb), outcome))
    print(f"{'case':42} {'file':>9} {'time s':>8} {'peak RSS +MB':>13}  target  outcome")
    for name, size, seconds, mb, outcome in rows:
        refusal = outcome.startswith("refused")
        ok = "ok" if not refusal or (seconds <= TARGET_S and mb <= TARGET_MB) else "MISSED"
        size_text = f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"
        print(f"{name:42} {size_text:>9} {seconds:8.3f} {mb:13.1f}  {ok:6}  {outcome}")


if __name__ == "__main__":
    main()
