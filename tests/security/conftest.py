"""Fixtures of the security corpus: the CLI in a subprocess, a memory-capped Python, and the hostile files.

Every case asserts three things: the input is refused (or ends in a clean error) with a message that names the
file or key, the exit code is the documented one where it is the CLI, and the file a payload would write does
not exist. Bombs run in a child process whose address space is capped (``resource.setrlimit``), so a defence
that fails costs a MemoryError in the child, not the test runner.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest

from tests.security import payloads as P

ROOT = Path(__file__).resolve().parents[2]
CLI = str(ROOT / ".venv" / "bin" / "rai-audit")
PYTHON = sys.executable
GERMAN = ROOT / "sample_data" / "german_credit"
ADULT = ROOT / "sample_data" / "adult"
GERMAN_DATA = GERMAN / "german_credit_test.csv"
GERMAN_MODEL = GERMAN / "german_logreg.skops"
MEMORY_CAP = 2 * 1024**3

EXIT_PASS, EXIT_FAIL, EXIT_INPUT_ERROR, EXIT_SECTION_ERROR = 0, 1, 2, 3


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    # one BLAS thread: fewer reserved arenas under the address-space cap, and 2 cores shared by the team
    env.update(
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONPATH=str(ROOT),
        CODECARBON_LOG_LEVEL="error",
    )
    env.pop("RAI_AUDIT_ALLOW_PICKLE", None)
    env.update(extra or {})
    return env


def _cap_memory(cap: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def run_cli(
    *args: str | Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    cap: int | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``rai-audit ARGS`` in a subprocess (optionally under an address-space cap)."""
    return subprocess.run(
        [CLI, *map(str, args)],
        cwd=cwd or ROOT,
        env=_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=(lambda: _cap_memory(cap)) if cap else None,
    )


def run_capped(
    code: str, *, cap: int = MEMORY_CAP, timeout: float = 120, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a Python snippet in a child capped at ``cap`` bytes of address space.

    The snippet runs inside ``try``: an AuditInputError prints ``REFUSED: <message>``; finishing prints ``DONE``.
    """
    body = textwrap.indent(textwrap.dedent(code), "    ")
    script = (
        "import sys\nfrom audits.errors import AuditInputError\ntry:\n"
        f"{body}\n"
        "except AuditInputError as exc:\n    print('REFUSED: ' + str(exc))\nelse:\n    print('DONE')\n"
    )
    return subprocess.run(
        [PYTHON, "-c", script],
        cwd=cwd or ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=lambda: _cap_memory(cap),
    )


def assert_cli_refused(
    proc: subprocess.CompletedProcess[str], *needles: str, code: int = EXIT_INPUT_ERROR
) -> None:
    """The CLI ended with ``code``, a message naming each needle, and no traceback."""
    both = proc.stdout + proc.stderr
    assert "Traceback" not in both, both[-3000:]
    assert proc.returncode == code, f"exit {proc.returncode}, expected {code}\n{both[-3000:]}"
    for needle in needles:
        assert needle in proc.stderr, f"{needle!r} not in stderr:\n{proc.stderr[-3000:]}"


def assert_capped_refused(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    """The capped child refused the input cleanly (no MemoryError, no crash) with a message naming each needle."""
    assert proc.returncode == 0, f"child exit {proc.returncode}\n{(proc.stdout + proc.stderr)[-3000:]}"
    assert "REFUSED: " in proc.stdout, (proc.stdout + proc.stderr)[-3000:]
    message = proc.stdout.split("REFUSED: ", 1)[1]
    for needle in needles:
        assert needle in message, f"{needle!r} not in: {message[:2000]}"


def german_run_args(model: str | Path, *extra: str | Path, out: Path) -> list[str | Path]:
    """CLI arguments of a quick German credit audit (performance only) with ``model``."""
    return [
        "run",
        "--data",
        GERMAN_DATA,
        "--model",
        model,
        "--target",
        "credit_risk",
        "--positive-label",
        "good",
        "--protected",
        "sex",
        "--sections",
        "performance",
        "--out",
        out,
        "--quiet",
        *extra,
    ]


def no_file_contains(folder: Path, needle: str) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert needle.encode() not in path.read_bytes(), f"{needle!r} leaked into {path}"


# ------------------------------------------------------------------------------------------------------------
# fixtures
# ------------------------------------------------------------------------------------------------------------
@pytest.fixture()
def targets(tmp_path: Path) -> P.Targets:
    return P.make_targets(tmp_path / "server")


@pytest.fixture(scope="session")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bomb.skops"
    path.write_bytes(P.skops_zip_bomb())
    return path


@pytest.fixture(scope="session")
def parquet_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return P.constant_parquet(tmp_path_factory.mktemp("pq") / "constant.parquet")


@pytest.fixture(scope="session")
def tree_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return P.decision_tree_skops(tmp_path_factory.mktemp("tree"))


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


__all__: Sequence[str] = (
    "assert_capped_refused",
    "assert_cli_refused",
    "german_run_args",
    "no_file_contains",
    "run_capped",
    "run_cli",
    "write",
)


def injected_frame() -> pd.DataFrame:
    """The German credit test split with hostile group values: Markdown images, HTML and formula cells."""
    frame = pd.read_csv(GERMAN_DATA)
    frame["sex"] = frame["sex"].map({"male": P.IMG_INJECTION, "female": P.HTML_INJECTION})
    frame["region"] = [P.FORMULA_CELLS[i % len(P.FORMULA_CELLS)] for i in range(len(frame))]
    return frame


@pytest.fixture(scope="session")
def injected_result():
    """A real audit (performance, data quality, fairness) whose group values, model and dataset names are
    hostile strings."""
    from audits import AuditConfig, Policy, run_audit

    cfg = AuditConfig(
        target="credit_risk",
        positive_label="good",
        protected=("sex", "region"),
        sections=("performance", "data_quality", "fairness"),
        model_name=P.FENCE_BREAKER,
        dataset_name=P.SCRIPT_INJECTION,
        policy=Policy(n_bootstrap=50),
    )
    return run_audit(injected_frame(), model=GERMAN_MODEL, config=cfg, data_name=P.IMG_INJECTION + ".csv")
