"""The typed config: every value type-checked and bounded at the entry; strict YAML; no file keys in uploads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audits import AuditConfig, AuditInputError, Policy, ProtectedAttribute
from audits.config import FILE_KEYS, config_json_schema

BASE = "target: y\nprotected: [sex]\n"


def _upload(text: str) -> AuditConfig:
    return AuditConfig.from_upload(text.encode(), "upload.yaml")


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("seed: abc\n", "'seed'"),
        ("seed: -1\n", "'seed'"),
        ("explain_sample_size: -5\n", "'explain_sample_size'"),
        ("explain_sample_size: 100000000\n", "'explain_sample_size'"),
        ("policy: {n_bootstrap: 1000000000}\n", "'policy.n_bootstrap'"),
        ("policy: {confidence_level: 1.0}\n", "'policy.confidence_level'"),
        ("policy: {min_group_size: 0}\n", "'policy.min_group_size'"),
        ("emissions: {refit_max_rows: 1.5}\n", "'emissions.refit_max_rows'"),
        ("task: classification\n", "'task'"),
        ("decision: lenient\n", "'decision'"),
        ("sections: [fairness, shap]\n", "'sections"),
        ("features: age\n", "'features'"),
        ("na_values: '?'\n", "'na_values'"),
        ("trusted_types: ['sklearn.*']\n", "'trusted_types"),
        ("trusted_types: ['builtins']\n", "'trusted_types"),
    ],
)
def test_wrongly_typed_or_out_of_bounds_values_name_the_key(extra, key):
    with pytest.raises(AuditInputError) as err:
        _upload(BASE + extra)
    assert key in str(err.value)
    assert "upload.yaml" in str(err.value)


def test_a_string_for_bins_is_refused_not_split_into_characters():
    with pytest.raises(AuditInputError, match="bins.*not a single string"):
        _upload("target: y\nprotected: [{column: age, bins: '25'}]\n")
    cfg = _upload("target: y\nprotected: [{column: age, bins: [25, 60.5]}]\n")
    assert cfg.protected[0].bins == (25.0, 60.5)


def test_too_many_bins_and_infinite_edges_are_refused():
    with pytest.raises(AuditInputError, match="bins"):
        ProtectedAttribute(column="age", bins=tuple(range(500)))
    with pytest.raises(AuditInputError, match="finite"):
        ProtectedAttribute(column="age", bins=(1.0, float("inf")))


def test_python_construction_is_validated_too():
    with pytest.raises(AuditInputError, match="n_bootstrap"):
        Policy(n_bootstrap=10**9)
    cfg = AuditConfig(target="y", protected=["sex"])
    with pytest.raises(AuditInputError, match="seed"):
        cfg.replace(seed="abc")
    assert cfg.replace(seed=7).seed == 7


def test_duplicate_yaml_keys_are_refused_with_the_line():
    with pytest.raises(AuditInputError, match=r"line 3.*duplicate key 'target'"):
        _upload("target: y\nprotected: [sex]\ntarget: z\n")
    with pytest.raises(AuditInputError, match="duplicate key 'n_bootstrap'"):
        _upload(BASE + "policy:\n  n_bootstrap: 10\n  n_bootstrap: 20\n")


def test_yaml_aliases_are_refused_before_they_expand():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    with pytest.raises(AuditInputError, match="aliases"):
        _upload(bomb)


def test_oversized_config_is_refused_before_parsing(tmp_path):
    p = tmp_path / "big.yaml"
    p.write_text(BASE + "# " + "x" * (2 * 1024 * 1024) + "\n")
    with pytest.raises(AuditInputError, match="RAI_AUDIT_MAX_CONFIG_BYTES"):
        AuditConfig.from_yaml(p)


@pytest.mark.parametrize(
    "emissions",
    [
        "emissions: {training_data: /etc/passwd}\n",
        "emissions:\n  imported_csv: /etc/hostname\n",
        "emissions: [[training_data, /etc/passwd]]\n",
        "emissions: [{training_data: /etc/passwd}]\n",
        "emissions: !!omap [{training_data: /etc/passwd}]\n",
        "emissions: !!pairs [{imported_csv: /etc/passwd}]\n",
        "training_data: /etc/passwd\n",
    ],
)
def test_uploaded_configs_may_not_name_server_files_in_any_shape(emissions):
    with pytest.raises(AuditInputError) as err:
        _upload(BASE + emissions)
    message = str(err.value)
    assert "/etc/" not in message.split("got")[0] or "not allowed" in message


def test_file_key_refusal_reads_the_same_for_existing_and_missing_paths(tmp_path):
    existing = tmp_path / "real.csv"
    existing.write_text("a\n1\n")
    messages = []
    for path in (existing, tmp_path / "missing.csv"):
        with pytest.raises(AuditInputError) as err:
            _upload(BASE + f"emissions: {{training_data: '{path}'}}\n")
        messages.append(str(err.value))
    assert messages[0] == messages[1]


def test_download_yaml_leaves_file_keys_out_and_uploads_again(adult_paths):
    cfg = AuditConfig.from_yaml(adult_paths["config"])
    assert set(cfg.file_paths) == set(FILE_KEYS)
    shared = cfg.to_yaml(file_keys=False)
    again = AuditConfig.from_upload(shared.encode(), "again.yaml")
    assert again.file_paths == {}
    assert again.protected == cfg.protected and again.policy == cfg.policy


def test_bundled_json_schema_is_current():
    path = Path(__file__).parents[2] / "audits" / "config.schema.json"
    assert json.loads(path.read_text()) == config_json_schema(), (
        "audits/config.schema.json is stale: run python -m audits.config_schema"
    )
    props = config_json_schema()["properties"]
    assert {"target", "protected", "policy", "emissions", "trusted_types", "decision"} <= set(props)
