"""Configs: no server path from an upload in any YAML shape, no duplicate keys or aliases, strict types."""

from __future__ import annotations

from pathlib import Path

import pytest

from audits import AuditConfig
from audits.errors import AuditInputError
from tests.security import payloads as P
from tests.security.conftest import (
    ADULT,
    GERMAN_DATA,
    GERMAN_MODEL,
    assert_cli_refused,
    run_cli,
    write,
)

HEAD = "target: credit_risk\nprotected: [sex]\n"

# Every YAML spelling of "emissions.<key> = <path>" an upload could use.
PATH_SHAPES = {
    "mapping": "emissions:\n  {key}: {path}\n",
    "flow-mapping": "emissions: {{{key}: {path}}}\n",
    "quoted-key": 'emissions: {{"{key}": "{path}"}}\n',
    "escaped-key": 'emissions: {{"{key_escaped}": "{path}"}}\n',
    "explicit-key": "emissions:\n  ? {key}\n  : {path}\n",
    "list-of-pairs": "emissions:\n  - [{key}, {path}]\n",
    "list-of-mappings": "emissions:\n  - {key}: {path}\n",
    "omap": "emissions: !!omap\n  - {key}: {path}\n",
    "pairs": "emissions: !!pairs\n  - {key}: {path}\n",
    "merge-key": "emissions:\n  <<: {{{key}: {path}}}\n",
    "anchored": "emissions: &em\n  {key}: {path}\n",
    "aliased": "x: &p {path}\nemissions:\n  {key}: *p\n",
    "tagged": "emissions: !!map\n  !!str {key}: !!str {path}\n",
}
FILE_KEYS = ("training_data", "imported_csv")


def _upload_text(shape: str, key: str, path: str) -> bytes:
    escaped = key.replace("_", "\\u005f")
    return (HEAD + PATH_SHAPES[shape].format(key=key, key_escaped=escaped, path=path)).encode()


def _refusal(raw: bytes) -> str:
    with pytest.raises(AuditInputError) as info:
        AuditConfig.from_upload(raw, "uploaded.yaml")
    return str(info.value)


@pytest.fixture()
def server_file(tmp_path: Path) -> Path:
    # a real CSV on the server whose header is the secret: parsing it would put the secret in the message
    return write(tmp_path / "srv" / "existing.csv", f"{P.SECRET},b\n1,2\n")


@pytest.mark.parametrize("key", FILE_KEYS)
@pytest.mark.parametrize("shape", sorted(PATH_SHAPES))
def test_an_uploaded_config_naming_a_server_file_is_refused(shape: str, key: str, server_file: Path) -> None:
    missing = server_file.with_name("missing.csv")
    existing_msg = _refusal(_upload_text(shape, key, str(server_file)))
    missing_msg = _refusal(_upload_text(shape, key, str(missing)))
    assert "uploaded.yaml" in existing_msg
    assert P.SECRET not in existing_msg
    # the refusal must not let anyone probe which server paths exist
    assert existing_msg.replace(str(server_file), "<PATH>") == missing_msg.replace(str(missing), "<PATH>")
    if shape in ("mapping", "flow-mapping", "quoted-key", "explicit-key", "tagged"):
        assert key in existing_msg


def test_config_names_its_file_keys() -> None:
    from audits import config

    assert {"training_data", "imported_csv"} <= {k.split(".")[-1] for k in config.FILE_KEYS}


def test_the_config_offered_for_download_leaves_file_keys_out_and_uploads_again() -> None:
    cfg = AuditConfig.from_yaml(ADULT / "audit.yaml")
    text = cfg.to_yaml(file_keys=False)
    assert "training_data" not in text and "imported_csv" not in text
    again = AuditConfig.from_upload(text.encode(), "audit.yaml")
    assert again.target == cfg.target and again.protected == cfg.protected
    assert again.emissions.training_data is None and again.emissions.imported_csv is None


def test_a_python_tag_in_an_upload_is_refused_and_does_not_run(targets: P.Targets) -> None:
    raw = (HEAD + f'x: !!python/object/apply:os.system ["touch {targets.marker}"]\n').encode()
    message = _refusal(raw)
    assert "uploaded.yaml" in message
    assert not P.marker_written(targets)


# --- duplicate keys and aliases ------------------------------------------------------------------------------------
DUPLICATES = {
    "seed": HEAD + "seed: 1\nseed: 2\n",
    "target": HEAD + "target: sex\n",
    "n_bootstrap": HEAD + "policy:\n  n_bootstrap: 10\n  n_bootstrap: 20\n",
    "column": "target: credit_risk\nprotected:\n  - column: age\n    column: sex\n",
}


@pytest.mark.parametrize("key", sorted(DUPLICATES))
def test_a_duplicate_yaml_key_is_refused_in_a_file(key: str, tmp_path: Path) -> None:
    path = write(tmp_path / "dup.yaml", DUPLICATES[key])
    with pytest.raises(AuditInputError) as info:
        AuditConfig.from_yaml(path)
    assert str(path) in str(info.value) and key in str(info.value)


def test_a_duplicate_yaml_key_is_refused_in_an_upload() -> None:
    message = _refusal(DUPLICATES["seed"].encode())
    assert "seed" in message and "uploaded.yaml" in message


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "alias.yaml", "target: &t credit_risk\nprotected: [sex]\ndataset_name: *t\n")
    with pytest.raises(AuditInputError, match="alias"):
        AuditConfig.from_yaml(path)


# --- strict types and bounds ---------------------------------------------------------------------------------------
BAD_VALUES = {
    "bins-as-string": ("protected:\n  - column: age\n    bins: '25'\n", "bins"),
    "bins-infinite": ("protected:\n  - column: age\n    bins: [.inf]\n", "bins"),
    "explain-negative": ("explain_sample_size: -5\n", "explain_sample_size"),
    "seed-word": ("seed: abc\n", "seed"),
    "seed-bool": ("seed: true\n", "seed"),
    "seed-float": ("seed: 1.5\n", "seed"),
    "n-bootstrap-string": ("policy:\n  n_bootstrap: '1000'\n", "n_bootstrap"),
    "n-bootstrap-negative": ("policy:\n  n_bootstrap: -1\n", "n_bootstrap"),
    "ratio-string": ("policy:\n  ratio_tolerance: '0.8'\n", "ratio_tolerance"),
    "min-group-float": ("policy:\n  min_group_size: 2.5\n", "min_group_size"),
    "intersections-string": ("intersections: 'no'\n", "intersections"),
    "budget-negative": ("explain_time_budget_s: -1\n", "explain_time_budget_s"),
    "refit-rows-zero": ("emissions:\n  refit_max_rows: 0\n", "refit_max_rows"),
    "decision-unknown": ("decision: lottery\n", "decision"),
}


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_a_wrongly_typed_or_out_of_bounds_value_is_refused(case: str, tmp_path: Path) -> None:
    body, key = BAD_VALUES[case]
    head = "target: credit_risk\n" + ("" if body.startswith("protected") else "protected: [sex]\n")
    path = write(tmp_path / "bad.yaml", head + body)
    with pytest.raises(AuditInputError) as info:
        AuditConfig.from_yaml(path)
    assert str(path) in str(info.value) and key in str(info.value)


@pytest.mark.parametrize("case", ["seed-word", "bins-as-string"])
def test_the_cli_gives_exit_2_for_a_wrongly_typed_value(case: str, tmp_path: Path) -> None:
    body, key = BAD_VALUES[case]
    head = "target: credit_risk\n" + ("" if body.startswith("protected") else "protected: [sex]\n")
    cfg = write(tmp_path / "bad.yaml", head + body)
    proc = run_cli(
        "run", "--data", GERMAN_DATA, "--model", GERMAN_MODEL, "--config", cfg, "--sections", "performance",
        "--out", tmp_path / "out", "--quiet",
    )  # fmt: skip
    assert_cli_refused(proc, "bad.yaml", key)
