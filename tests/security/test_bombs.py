"""Small inputs that would exhaust the machine are refused before the work, under a 2 GB address-space cap.

Each load runs in a child process capped with ``resource.setrlimit(RLIMIT_AS)``: a defence that fails ends in a
MemoryError (or a kill) in the child, which the assertions report, instead of taking the test runner down.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from audits import AuditConfig
from audits.errors import AuditInputError
from tests.security import payloads as P
from tests.security.conftest import (
    GERMAN_DATA,
    GERMAN_MODEL,
    MEMORY_CAP,
    assert_capped_refused,
    assert_cli_refused,
    german_run_args,
    run_capped,
    run_cli,
    write,
)

GB = 1024**3


# --- YAML alias bomb -----------------------------------------------------------------------------------------------
@pytest.fixture()
def yaml_bomb(tmp_path: Path) -> Path:
    text = P.yaml_alias_bomb()
    assert len(text.encode()) < 600
    return write(tmp_path / "bomb.yaml", text)


def test_from_yaml_refuses_an_alias_bomb(yaml_bomb: Path) -> None:
    started = time.perf_counter()
    proc = run_capped(f"from audits import AuditConfig\nAuditConfig.from_yaml({str(yaml_bomb)!r})")
    assert_capped_refused(proc, str(yaml_bomb))
    assert time.perf_counter() - started < 30


def test_from_upload_refuses_an_alias_bomb(yaml_bomb: Path) -> None:
    proc = run_capped(
        f"from audits import AuditConfig\nAuditConfig.from_upload(open({str(yaml_bomb)!r}, 'rb').read(), 'up.yaml')"
    )
    assert_capped_refused(proc, "up.yaml")


def test_the_cli_refuses_an_alias_bomb(yaml_bomb: Path, tmp_path: Path) -> None:
    proc = run_cli(
        *german_run_args(GERMAN_MODEL, "--config", yaml_bomb, out=tmp_path / "out"), cap=MEMORY_CAP
    )
    assert_cli_refused(proc, "bomb.yaml")


# --- .skops zip bomb -----------------------------------------------------------------------------------------------
def test_the_zip_bomb_is_small_on_disk(zip_bomb: Path) -> None:
    assert zip_bomb.stat().st_size < 3 * 1024**2


def test_load_model_refuses_a_skops_zip_bomb(zip_bomb: Path) -> None:
    started = time.perf_counter()
    proc = run_capped(f"from audits import load_model\nload_model({str(zip_bomb)!r})")
    assert_capped_refused(proc, str(zip_bomb))
    assert time.perf_counter() - started < 30


def test_the_cli_refuses_a_skops_zip_bomb(zip_bomb: Path, tmp_path: Path) -> None:
    proc = run_cli(*german_run_args(zip_bomb, out=tmp_path / "out"), cap=MEMORY_CAP)
    assert_cli_refused(proc, "bomb.skops", "RAI_AUDIT_MAX_MODEL")


# --- Parquet of 40M constant rows ------------------------------------------------------------------------------------
def test_the_parquet_bomb_is_small_on_disk(parquet_bomb: Path) -> None:
    assert parquet_bomb.stat().st_size < 3 * 1024**2


def test_load_dataset_refuses_a_parquet_over_the_cell_budget(parquet_bomb: Path) -> None:
    proc = run_capped(f"from audits import load_dataset\nload_dataset({str(parquet_bomb)!r})")
    assert_capped_refused(proc, str(parquet_bomb), "RAI_AUDIT_MAX_CELLS")


def test_the_cli_refuses_a_parquet_over_the_cell_budget(parquet_bomb: Path, tmp_path: Path) -> None:
    proc = run_cli(
        "run", "--data", parquet_bomb, "--target", "c0", "--protected", "c1", "--prediction", "c2",
        "--out", tmp_path / "out", "--quiet", cap=MEMORY_CAP,
    )  # fmt: skip
    assert_cli_refused(proc, "constant.parquet", "RAI_AUDIT_MAX_CELLS")


# --- oversized files (sparse: they cost no disk) ------------------------------------------------------------------
def test_load_model_refuses_an_oversized_model_before_reading_it(tmp_path: Path) -> None:
    model = P.sparse_file(tmp_path / "huge.skops", int(1.5 * GB))
    proc = run_capped(f"from audits import load_model\nload_model({str(model)!r})", cap=GB)
    assert_capped_refused(proc, str(model), "RAI_AUDIT_MAX_MODEL_BYTES")


def test_load_dataset_refuses_an_oversized_file_before_reading_it(tmp_path: Path) -> None:
    data = P.sparse_file(tmp_path / "huge.csv", int(2.5 * GB))
    proc = run_capped(f"from audits import load_dataset\nload_dataset({str(data)!r})", cap=GB)
    assert_capped_refused(proc, str(data), "RAI_AUDIT_MAX_DATA_BYTES")


def test_the_cli_refuses_an_oversized_model(tmp_path: Path) -> None:
    model = P.sparse_file(tmp_path / "huge.onnx", int(1.5 * GB))
    proc = run_cli(*german_run_args(model, out=tmp_path / "out"), cap=GB)
    assert_cli_refused(proc, "huge.onnx", "RAI_AUDIT_MAX_MODEL_BYTES")


def test_an_oversized_config_is_refused(tmp_path: Path) -> None:
    cfg = write(tmp_path / "big.yaml", "target: credit_risk\nprotected: [sex]\n" + "# padding\n" * 300_000)
    proc = run_capped(f"from audits import AuditConfig\nAuditConfig.from_yaml({str(cfg)!r})")
    assert_capped_refused(proc, str(cfg), "RAI_AUDIT_MAX_CONFIG_BYTES")


# --- configs that ask for unbounded work ---------------------------------------------------------------------------
HUGE_VALUES = {
    "n_bootstrap": "policy:\n  n_bootstrap: 1000000000\n",
    "explain_sample_size": "explain_sample_size: 1000000000000\n",
    "bins": "protected:\n  - column: age\n    bins: [" + ", ".join(str(i) for i in range(50_000)) + "]\n",
    "bootstrap_row_cap": "policy:\n  bootstrap_row_cap: 100000000000\n",
    "seed": "seed: 1267650600228229401496703205376\n",
}


@pytest.mark.parametrize("key", sorted(HUGE_VALUES))
def test_from_yaml_refuses_an_unbounded_value(key: str, tmp_path: Path) -> None:
    # Parsing these is cheap; the work they ask for comes later, so the refusal is checked in-process.
    body = HUGE_VALUES[key]
    head = "target: credit_risk\n" + ("" if body.startswith("protected") else "protected: [sex]\n")
    cfg = write(tmp_path / "huge.yaml", head + body)
    with pytest.raises(AuditInputError) as info:
        AuditConfig.from_yaml(cfg)
    assert str(cfg) in str(info.value) and key in str(info.value)


def test_the_cli_refuses_a_billion_bootstrap_resamples(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "boot.yaml", "target: credit_risk\nprotected: [sex]\npolicy:\n  n_bootstrap: 1000000000\n"
    )
    proc = run_cli(
        "run", "--data", GERMAN_DATA, "--model", GERMAN_MODEL, "--config", cfg, "--sections", "fairness",
        "--out", tmp_path / "out", "--quiet", cap=MEMORY_CAP, timeout=60,
    )  # fmt: skip
    assert_cli_refused(proc, "n_bootstrap")
