"""Benchmark of the refusals decided from a file's metadata: what refusing a hostile input costs.

Target (issue 11): each refusal decided from metadata (file size, zip members, Parquet metadata, YAML, skops
schema, ONNX graph) costs at most 1 s and 300 MB of peak RSS beyond the process's start-up, through the API
in-process and through the CLI in a subprocess.

How it is measured:

- API: one fresh Python process per case. It imports the libraries the loaders use (that is start-up), reads its
  RSS, then calls the loader once while a thread samples RSS every 2 ms; the peak is the larger of that sample and
  ``ru_maxrss``. Reported: wall time of the call and peak RSS beyond the RSS before it.
- CLI: ``rai-audit`` in a subprocess; wall time and the child's ``ru_maxrss`` (``os.wait4``). A baseline run
  refused at once (a data file that does not exist) gives the CLI's own start-up, which is subtracted, and so is
  the cost of the libraries the CLI imports only when it meets that kind of file (skops and scikit-learn,
  onnx/onnxruntime, pyarrow; measured as ``python -c "import reports.cli; import ..."``): that is start-up too.
  On a loaded machine these differences of whole-process timings are noisy (they can come out negative).

Each figure is the median of ``--repeats`` runs (default 3). The hostile files are built in a temporary folder
(sparse files cost no disk; the zip and Parquet bombs are about 1 MB each).

Run:  .venv/bin/python benchmarks/security.py [--repeats 3] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import print_table  # noqa: E402
from tests.security import payloads as P  # noqa: E402

CLI = str(ROOT / ".venv" / "bin" / "rai-audit")
GERMAN_DATA = ROOT / "sample_data" / "german_credit" / "german_credit_test.csv"
GERMAN_MODEL = ROOT / "sample_data" / "german_credit" / "german_logreg.skops"
SKOPS_IMPORTS = "skops.io, sklearn.pipeline"
ONNX_IMPORTS = "onnx, onnxruntime"
PARQUET_IMPORTS = "pyarrow.parquet"
TARGET_S = 1.0
TARGET_MB = 300.0
GB = 1024**3

# The child that measures one API call: start-up imports, then the call under an RSS sampler.
_API_HARNESS = r"""
import json, resource, sys, threading, time
import psutil
import numpy, pandas, yaml, pyarrow.parquet, skops.io, onnx, onnxruntime  # start-up: the loaders' libraries
from audits import AuditConfig, load_dataset, load_model
from audits.errors import AuditInputError

proc = psutil.Process()
before = proc.memory_info().rss
maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
peak = [before]
stop = threading.Event()

def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], proc.memory_info().rss)
        time.sleep(0.002)

t = threading.Thread(target=sample, daemon=True)
t.start()
outcome = "accepted"
t0 = time.perf_counter()
try:
    CALL
except AuditInputError as exc:
    outcome = "refused"
except MemoryError:
    outcome = "MemoryError"
except Exception as exc:
    outcome = type(exc).__name__
seconds = time.perf_counter() - t0
stop.set()
t.join()
maxrss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
top = max(peak[0], maxrss_after if maxrss_after > maxrss_before else 0)
print(json.dumps({"seconds": seconds, "extra_bytes": top - before, "outcome": outcome}))
"""


@dataclass(frozen=True)
class Case:
    name: str
    decided_from: str
    api: str  # the call, with {path} for the hostile file
    cli: list[str] | None  # CLI arguments, with {path} and {out}
    build: Callable[[Path], Path]
    lazy: str = ""  # libraries the CLI imports only when it meets this kind of file (start-up, not refusal)


def _write(path: Path, data: bytes | str) -> Path:
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def _german_run(flag: str = "--model") -> list[str]:
    args = ["run", "--data", str(GERMAN_DATA), "--target", "credit_risk", "--protected", "sex"]
    args += ["--sections", "performance", "--out", "{out}", "--quiet"]
    if flag == "--model":
        return [*args, "--model", "{path}"]
    return [*args, "--model", str(GERMAN_MODEL), flag, "{path}"]


def _cases() -> list[Case]:
    data_run = ["run", "--data", "{path}", "--target", "c0", "--protected", "c1", "--prediction", "c2"]
    data_run += ["--out", "{out}", "--quiet"]
    return [
        Case(
            "oversized model (1.5 GB, sparse)",
            "file size",
            "load_model({path!r})",
            _german_run(),
            lambda d: P.sparse_file(d / "huge.skops", int(1.5 * GB)),
        ),
        Case(
            "oversized dataset (2.5 GB, sparse)",
            "file size",
            "load_dataset({path!r})",
            data_run,
            lambda d: P.sparse_file(d / "huge.csv", int(2.5 * GB)),
        ),
        Case(
            ".skops zip bomb (1 MB -> 1 GB)",
            "zip members",
            "load_model({path!r})",
            _german_run(),
            lambda d: _write(d / "bomb.skops", P.skops_zip_bomb()),
            SKOPS_IMPORTS,
        ),
        Case(
            "Parquet, 40M constant rows x 11",
            "Parquet metadata",
            "load_dataset({path!r})",
            data_run,
            lambda d: P.constant_parquet(d / "constant.parquet"),
            PARQUET_IMPORTS,
        ),
        Case(
            "YAML alias bomb (~500 bytes)",
            "YAML",
            "AuditConfig.from_yaml({path!r})",
            _german_run("--config"),
            lambda d: _write(d / "bomb.yaml", P.yaml_alias_bomb()),
        ),
        Case(
            "YAML upload naming a server file (!!omap)",
            "YAML",
            "AuditConfig.from_upload(open({path!r}, 'rb').read(), 'upload.yaml')",
            None,
            lambda d: _write(
                d / "omap.yaml",
                "target: credit_risk\nprotected: [sex]\nemissions: !!omap\n  - training_data: /etc/passwd\n",
            ),
        ),
        Case(
            ".skops naming builtins.eval",
            "skops schema",
            "load_model({path!r})",
            _german_run(),
            lambda d: _write(d / "eval.skops", P.payload_skops("eval", P.make_targets(d / "t"))),
            SKOPS_IMPORTS,
        ),
        Case(
            "ONNX with external data",
            "ONNX graph",
            "load_model({path!r})",
            _german_run(),
            lambda d: _write(d / "leaky.onnx", P.onnx_external_data("weights.bin")),
            ONNX_IMPORTS,
        ),
        Case(
            "ONNX with a custom-op domain",
            "ONNX graph",
            "load_model({path!r})",
            _german_run(),
            lambda d: _write(d / "custom.onnx", P.onnx_custom_op()),
            ONNX_IMPORTS,
        ),
    ]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", CODECARBON_LOG_LEVEL="error"
    )
    return env


def measure_api(call: str, cwd: Path) -> dict[str, float | str]:
    proc = subprocess.run(
        [sys.executable, "-c", _API_HARNESS.replace("CALL", call)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_env(),
        timeout=600,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {
            "seconds": float("nan"),
            "extra_bytes": float("nan"),
            "outcome": f"crashed ({proc.returncode})",
        }
    return json.loads(lines[-1])


def measure_cli(args: list[str], cwd: Path) -> dict[str, float | str]:
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        child = subprocess.Popen([CLI, *args], cwd=cwd, env=_env(), stdout=subprocess.DEVNULL, stderr=err)
        # wait4 gives the child's own peak RSS (ru_maxrss), which subprocess.run does not
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read()
    outcome = {2: "refused (2)"}.get(child.returncode, f"exit {child.returncode}")
    if b"Traceback" in text:
        outcome += ", traceback"
    return {"seconds": seconds, "peak_bytes": usage.ru_maxrss * 1024, "outcome": outcome}


def measure_imports(modules: str) -> dict[str, float]:
    """Wall time and peak RSS of a Python that imports the CLI and ``modules`` (empty: the CLI alone)."""
    code = "import reports.cli" + (f"; import {modules}" if modules else "")
    t0 = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=_env())
    _, _, usage = os.wait4(child.pid, 0)
    return {"seconds": time.perf_counter() - t0, "peak_bytes": usage.ru_maxrss * 1024}


def _median(values: list[float]) -> float:
    return statistics.median(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="substrings of case names to run")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        P.external_data_file(work)  # what an external-data initializer would read from the working directory
        base_runs = [
            measure_cli(
                [
                    "run",
                    "--data",
                    str(work / "missing.csv"),
                    "--target",
                    "a",
                    "--protected",
                    "b",
                    "--prediction",
                    "p",
                    "--out",
                    str(work / "out"),
                    "--quiet",
                ],
                work,
            )  # fmt: skip
            for _ in range(args.repeats)
        ]
        base_s = _median([float(r["seconds"]) for r in base_runs])
        base_rss = _median([float(r["peak_bytes"]) for r in base_runs])
        imports: dict[str, tuple[float, float]] = {}
        for modules in ("", SKOPS_IMPORTS, ONNX_IMPORTS, PARQUET_IMPORTS):
            runs = [measure_imports(modules) for _ in range(args.repeats)]
            imports[modules] = (
                _median([r["seconds"] for r in runs]),
                _median([r["peak_bytes"] for r in runs]),
            )
        rows = []
        worst_ok = True
        for case in _cases():
            if args.only and not any(s in case.name for s in args.only):
                continue
            path = case.build(work)
            api = [measure_api(case.api.format(path=str(path)), work) for _ in range(args.repeats)]
            api_s = _median([float(r["seconds"]) for r in api])
            api_mb = _median([float(r["extra_bytes"]) for r in api]) / 1e6
            row = [case.name, case.decided_from, f"{api_s:.3f}", f"{api_mb:.0f}", str(api[-1]["outcome"])]
            ok = api_s <= TARGET_S and api_mb <= TARGET_MB and api[-1]["outcome"] == "refused"
            if case.cli is not None:
                cli_args = [a.format(path=str(path), out=str(work / "out")) for a in case.cli]
                cli = [measure_cli(cli_args, work) for _ in range(args.repeats)]
                lazy_s = imports[case.lazy][0] - imports[""][0]
                lazy_b = imports[case.lazy][1] - imports[""][1]
                cli_s = _median([float(r["seconds"]) for r in cli]) - base_s - lazy_s
                cli_mb = (_median([float(r["peak_bytes"]) for r in cli]) - base_rss - lazy_b) / 1e6
                row += [f"{cli_s:+.3f}", f"{cli_mb:+.0f}", f"{lazy_s:.2f} s / {lazy_b / 1e6:.0f} MB"]
                row.append(str(cli[-1]["outcome"]))
                ok = ok and cli_s <= TARGET_S and cli_mb <= TARGET_MB and cli[-1]["outcome"] == "refused (2)"
            else:
                row += ["n/a", "n/a", "n/a", "n/a"]
            row.append("yes" if ok else "NO")
            worst_ok = worst_ok and ok
            rows.append(row)
            if path.exists() and path.is_file():
                path.unlink()
        print_table(
            f"Refusals decided from metadata (median of {args.repeats}; target <= {TARGET_S:.0f} s and "
            f"<= {TARGET_MB:.0f} MB beyond start-up). CLI start-up baseline: {base_s:.2f} s, {base_rss / 1e6:.0f} MB "
            "peak RSS.",
            ["case", "decided from", "API s", "API +MB", "API outcome", "CLI +s", "CLI +MB",
             "lazy imports (excluded)", "CLI outcome", "on target"],
            rows,
        )  # fmt: skip
    return 0 if worst_ok else 1


if __name__ == "__main__":
    sys.exit(main())
