"""Where the bundled samples are: the source checkout's sample_data/, or RAI_AUDIT_SAMPLES; a clear error else."""

from __future__ import annotations

import pytest

from audits.errors import AuditInputError
from audits.samples import REPOSITORY_FOLDER, SAMPLES_ENV_VAR, require_samples, samples_dir


def test_source_checkout_finds_its_samples(monkeypatch):
    monkeypatch.delenv(SAMPLES_ENV_VAR, raising=False)
    assert samples_dir() == REPOSITORY_FOLDER
    assert (require_samples(samples_dir(), "adult") / "audit.yaml").exists()


def test_environment_variable_points_elsewhere(monkeypatch, tmp_path):
    (tmp_path / "adult").mkdir()
    monkeypatch.setenv(SAMPLES_ENV_VAR, str(tmp_path))
    assert samples_dir() == tmp_path
    assert require_samples(samples_dir()) == tmp_path / "adult"


def test_missing_samples_say_where_to_find_them(tmp_path):
    with pytest.raises(AuditInputError) as err:
        require_samples(tmp_path, "german_credit")
    text = str(err.value)
    assert str(tmp_path / "german_credit") in text
    assert "sample_data/ folder of the RAI Audit source repository" in text and SAMPLES_ENV_VAR in text
