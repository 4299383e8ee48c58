"""Fixtures of the dashboard tests: an AppTest factory, a synthetic result and one real German credit audit."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from audits import AuditConfig, run_audit
from dashboard import state
from tests.dashboard.fake_result import fake_result

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
GERMAN = ROOT / "sample_data" / "german_credit"

# AppTest does not read .streamlit/config.toml: state what `make demo` runs with (loopback, so the access gate
# lets the pages through), and keep error details so a failing test shows its traceback.
st_config.set_option("server.address", "127.0.0.1", where_defined="tests/dashboard/conftest.py")
st_config.set_option("client.showErrorDetails", "full", where_defined="tests/dashboard/conftest.py")


def new_app(*, result=None, key: str = "test-key", timeout: float = 60) -> AppTest:
    """The dashboard in AppTest, optionally with a result already in the session."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    if result is not None:
        at.session_state[state.RESULT] = result
        at.session_state[state.AUDIT_KEY] = key
        at.session_state[state.INPUTS] = {
            "data": "data.csv",
            "model": "model.skops",
            "reference": None,
            "sample": None,
        }
    return at


def open_page(at: AppTest, name: str) -> AppTest:
    at.switch_page(f"app_pages/{name}.py").run()
    return at


def open_tab(at: AppTest, key: str, label: str) -> AppTest:
    """Select the tab ``label`` of the tabs keyed ``key`` (the pages build only the open tab), as a click does."""
    at.session_state[key] = label
    return at.run()


def german_upload_app() -> AppTest:
    """Setup in "Upload my files" mode with the German credit test split uploaded as the dataset."""
    at = new_app(timeout=120)
    at.run()
    at.radio(key=state.W_SOURCE).set_value("upload").run()
    at.file_uploader(key="setup.up.data").upload(
        "credit.csv", (GERMAN / "german_credit_test.csv").read_bytes(), "text/csv"
    )
    at.run()
    return at


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture(scope="session")
def synthetic_result():
    return fake_result()


@pytest.fixture(scope="session")
def german_result():
    """The German credit sample audited for real (every section as far as it is implemented)."""
    cfg = AuditConfig.from_yaml(GERMAN / "audit.yaml")
    cfg = dataclasses.replace(
        cfg,
        explain_sample_size=150,
        policy=dataclasses.replace(cfg.policy, n_bootstrap=200),
        emissions=dataclasses.replace(cfg.emissions, inference_max_seconds=0.2),
    )
    return run_audit(GERMAN / "german_credit_test.csv", model=GERMAN / "german_logreg.skops", config=cfg)


def badges(at: AppTest) -> list[str]:
    """Labels of st.badge elements (AppTest sees them as ':color-badge[label]' markdown)."""
    import re

    out = []
    for m in at.markdown:
        out += re.findall(r":[a-z]+-badge\[([^\]]*)\]", m.value)
    return out
