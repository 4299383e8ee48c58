"""AuditConfig and Policy: YAML loading, defaults, and refusal of unknown keys."""

from __future__ import annotations

import pytest

from audits import AuditConfig, AuditInputError, Policy, ProtectedAttribute


def test_sample_yaml_loads_with_binned_age(adult_paths):
    cfg = AuditConfig.from_yaml(adult_paths["config"])
    assert cfg.target == "income"
    assert cfg.protected_columns == ["sex", "race", "age"]
    age = cfg.protected[2]
    assert age.bins == (25.0, 60.0) and age.labels == ("25 and under", "26-60", "over 60")
    assert cfg.emissions.training_data.endswith("sample_data/adult/adult_train.csv")
    assert cfg.policy.ratio_tolerance == 0.8


def test_unknown_keys_are_named_with_the_known_ones(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("target: y\nprotected: [sex]\ntolerance: 0.9\n")
    with pytest.raises(AuditInputError) as err:
        AuditConfig.from_yaml(p)
    assert "'tolerance'" in str(err.value) and "policy" in str(err.value)
    p.write_text("target: y\nprotected: [sex]\npolicy: {ratio_tol: 0.9}\n")
    with pytest.raises(AuditInputError, match="ratio_tolerance"):
        AuditConfig.from_yaml(p)


def test_invalid_yaml_and_missing_required(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("target: [unclosed\n")
    with pytest.raises(AuditInputError, match="not valid YAML"):
        AuditConfig.from_yaml(p)
    p.write_text("protected: [sex]\n")
    with pytest.raises(AuditInputError, match="'target' is required"):
        AuditConfig.from_yaml(p)


def test_policy_bounds_and_check_options():
    with pytest.raises(AuditInputError, match="ratio_tolerance"):
        Policy(ratio_tolerance=1.5)
    pol = Policy.from_dict({"checks": {"DQ_PROXY": {"warn_auc": 0.75}, "DQ_MISSING": {"enabled": False}}})
    assert pol.check_option("DQ_PROXY", "warn_auc", 0.7) == 0.75
    assert pol.check_option("DQ_SKEW", "threshold", 20) == 20
    assert not pol.check_enabled("DQ_MISSING") and pol.check_enabled("DQ_PROXY")


def test_bins_must_increase_and_labels_match():
    with pytest.raises(AuditInputError, match="increasing"):
        ProtectedAttribute(column="age", bins=(60, 25))
    with pytest.raises(AuditInputError, match="len\\(bins\\)\\+1"):
        ProtectedAttribute(column="age", bins=(25,), labels=("young",))


def test_yaml_round_trip(tmp_path, adult_paths):
    cfg = AuditConfig.from_yaml(adult_paths["config"])
    p = tmp_path / "again.yaml"
    p.write_text(cfg.to_yaml())
    again = AuditConfig.from_yaml(p)
    assert again == cfg


def test_no_protected_is_an_input_error():
    with pytest.raises(AuditInputError, match="protected"):
        AuditConfig(target="y", protected=())
