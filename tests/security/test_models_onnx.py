"""An ONNX model cannot read server files (external data) or load native code (custom-op domains)."""

from __future__ import annotations

from pathlib import Path

import pytest

from audits import load_model
from audits.errors import AuditInputError
from tests.security import payloads as P
from tests.security.conftest import (
    ADULT,
    assert_cli_refused,
    german_run_args,
    no_file_contains,
    run_cli,
    write,
)


@pytest.fixture()
def server_dir(tmp_path: Path) -> Path:
    """A working directory holding the file an external-data initializer points at."""
    folder = tmp_path / "server"
    folder.mkdir()
    P.external_data_file(folder)
    return folder


@pytest.mark.parametrize("location", ["weights.bin", "./weights.bin", "sub/../weights.bin"])
def test_load_model_refuses_external_data_at_a_relative_path(
    location: str, server_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(server_dir)
    with pytest.raises(AuditInputError) as info:
        load_model(P.onnx_external_data(location), name="leaky.onnx")
    message = str(info.value)
    assert "leaky.onnx" in message and "external" in message.lower()
    assert P.SECRET not in message


def test_load_model_refuses_external_data_at_an_absolute_path(server_dir: Path) -> None:
    with pytest.raises(AuditInputError, match="leaky.onnx") as info:
        load_model(P.onnx_external_data(str(server_dir / "weights.bin")), name="leaky.onnx")
    assert P.SECRET not in str(info.value)


def test_load_model_refuses_external_data_read_from_a_path(server_dir: Path) -> None:
    # a model file beside its "weights": the file's own folder is no more trusted than the working directory
    model = write(server_dir / "leaky.onnx", P.onnx_external_data("weights.bin"))
    with pytest.raises(AuditInputError, match="leaky.onnx") as info:
        load_model(model)
    assert P.SECRET not in str(info.value)


def test_the_cli_refuses_external_data_and_never_shows_the_secret(server_dir: Path, tmp_path: Path) -> None:
    model = write(tmp_path / "leaky.onnx", P.onnx_external_data("weights.bin"))
    out = tmp_path / "out"
    proc = run_cli(*german_run_args(model, "--format", "json,md,html", out=out), cwd=server_dir)
    assert_cli_refused(proc, "leaky.onnx")
    assert P.SECRET not in proc.stdout + proc.stderr
    if out.exists():
        no_file_contains(out, P.SECRET)


def test_load_model_refuses_a_custom_op_domain() -> None:
    with pytest.raises(AuditInputError) as info:
        load_model(P.onnx_custom_op("com.attacker.ops"), name="custom.onnx")
    message = str(info.value)
    assert "custom.onnx" in message and "com.attacker.ops" in message


def test_the_cli_refuses_a_custom_op_domain(tmp_path: Path) -> None:
    model = write(tmp_path / "custom.onnx", P.onnx_custom_op("ai.onnx.contrib"))
    proc = run_cli(*german_run_args(model, out=tmp_path / "out"))
    assert_cli_refused(proc, "custom.onnx", "ai.onnx.contrib")


def test_the_bundled_onnx_model_still_loads() -> None:
    adapter = load_model(ADULT / "adult_logreg.onnx")
    assert adapter.kind == "onnx" and adapter.is_classifier
