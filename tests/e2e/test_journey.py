"""Browser journey of issue 15 (problems 1-6), as a new user in headless chromium: the demo opens at once, an
upload carries none of the demo's choices, an earlier model can be removed, the prediction pickers exist, the audit
keeps running while the user changes page, a reload keeps the audit, and model-card edits survive page changes and
reach the download. Screenshots go to /tmp/j1_shots (or RAI_AUDIT_SHOTS).

The server runs with ``--demo`` after ``python -m dashboard.prebuild`` (as ``make demo`` does) into a temporary
cache folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audits import AuditConfig
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, GERMAN, ROOT, _idle, _upload, streamlit_server

SHOTS = Path(os.environ.get("RAI_AUDIT_SHOTS", "/tmp/j1_shots"))
FIRST_LOAD_TARGET_S = 5.0  # issue 15: the demo Overview within 5 s of opening, on a quiet machine

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(
        "Debian chromium (/usr/bin/chromium) is not installed and CI is not set", allow_module_level=True
    )


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    cache = tmp_path_factory.mktemp("demo_cache")
    env = {
        **os.environ,
        "RAI_AUDIT_DEMO": "1",
        "RAI_AUDIT_DEMO_CACHE": str(cache),
        "RAI_AUDIT_STORE": "",
        "PYTHONUNBUFFERED": "1",
    }
    built = subprocess.run(
        [sys.executable, "-m", "dashboard.prebuild"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert built.returncode == 0 and "Demo audit computed" in built.stdout, built.stdout + built.stderr
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with streamlit_server(env, log) as url:
        yield url


@pytest.fixture(scope="module")
def browser_page(demo_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        yield pg
        context.close()
        browser.close()


def _shot(pg, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _nav(pg, link: str) -> None:
    pg.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=link).click()
    _idle(pg)


def _no_exception(pg) -> None:
    assert pg.locator('[data-testid="stException"]').count() == 0


def test_journey(browser_page, demo_server, tmp_path):
    pg = browser_page

    # 6. First load: the prebuilt demo's Overview, with navigation, within seconds.
    t0 = time.perf_counter()
    pg.goto(demo_server)
    # (a machine whose engine code changed since the prebuild audits the demo as a job instead: minutes)
    pg.get_by_role("heading", name="Audit overview").wait_for(timeout=300_000)
    first_load = time.perf_counter() - t0
    print(f"first load to the demo Overview: {first_load:.1f} s (target {FIRST_LOAD_TARGET_S} s)")
    assert "audit=" in pg.url
    _idle(pg)
    _shot(pg, "01_demo_overview")

    # 1. An upload carries none of the demo's choices.
    _nav(pg, "Setup")
    pg.get_by_text("Upload my files").click()
    _idle(pg)
    _upload(pg, "Dataset (CSV or Parquet)", GERMAN / "german_credit_test.csv")
    pg.get_by_text("Choose at least one protected attribute").wait_for()
    assert pg.get_by_label("Bin edges for 'age'").count() == 0  # the demo's "age" bins are not carried over
    _shot(pg, "02_upload_no_carry_over")

    # 3. The prediction, score and weight pickers exist; the target was prefilled from a label-like name.
    for label in ("Prediction column", "Score column (optional)", "Sample-weight column (optional)"):
        assert pg.get_by_text(label, exact=True).count() >= 1, label

    # 2. A model kept from before can be removed.
    _upload(pg, "Model (.skops or .onnx)", GERMAN / "german_logreg.skops")
    _nav(pg, "Overview")
    _nav(pg, "Setup")
    pg.get_by_text("uploaded earlier").first.wait_for()
    _shot(pg, "03_kept_uploads")
    model_box = pg.get_by_text("german_logreg.skops")
    assert model_box.count() >= 1
    pg.get_by_role("button", name="Remove").nth(1).click()  # dataset first, then the model
    _idle(pg)
    # the rerun that drops the slot may still be drawing on a busy machine: wait for it, up to 30 s
    from playwright.sync_api import expect

    expect(pg.get_by_text("german_logreg.skops")).to_have_count(0, timeout=30_000)
    assert pg.get_by_text("credit.csv").count() + pg.get_by_text("german_credit_test.csv").count() >= 1

    # The German config without file keys fills the form; then the model again, and run.
    shareable = tmp_path / "audit.yaml"
    shareable.write_text(AuditConfig.from_yaml(GERMAN / "audit.yaml").to_yaml(file_keys=False))
    _upload(pg, "Model (.skops or .onnx)", GERMAN / "german_logreg.skops")
    _upload(pg, "Config YAML (optional)", shareable)
    pg.get_by_text("Ready:").first.wait_for()
    _shot(pg, "04_setup_ready")

    # 6. Navigation while the audit runs keeps it; the progress shows on the other page.
    pg.get_by_role("button", name="Run the audit").click()
    pg.get_by_text("You can keep using the other pages").first.wait_for(timeout=60_000)
    _nav(pg, "Fairness")
    panel = pg.get_by_text("You can keep using the other pages")
    if panel.count():  # still running: the panel is on this page too
        _shot(pg, "05_running_on_fairness")
    pg.get_by_text("The audit is ready").first.wait_for(timeout=300_000)
    _idle(pg)
    _no_exception(pg)
    audit_url = pg.url
    assert "audit=" in audit_url

    # 4. A reload keeps the audit (not the demo).
    pg.reload()
    _idle(pg)
    pg.get_by_text("german_credit_test.csv").first.wait_for()
    assert pg.locator('[data-testid="stSidebar"]').get_by_text("adult_test.csv").count() == 0
    _shot(pg, "06_after_reload")

    # 5. Model-card edits are saved as typed: a page change and a reload keep them, the download has them.
    _nav(pg, "Model card & export")
    field = pg.get_by_label("Intended uses (one per line)")
    field.fill("Teaching fairness audits\nNot for lending decisions")
    pg.get_by_role("heading", name="Preview").click()  # the field loses focus: saved
    _idle(pg)
    _nav(pg, "Overview")
    _nav(pg, "Model card & export")
    assert "Not for lending decisions" in pg.get_by_label("Intended uses (one per line)").input_value()
    pg.reload()
    _idle(pg)
    assert "Not for lending decisions" in pg.get_by_label("Intended uses (one per line)").input_value()
    _shot(pg, "07_card_kept")
    with pg.expect_download(timeout=120_000) as dl:
        pg.get_by_role("button", name="Model card (Markdown)").click()
    card = tmp_path / "model_card.md"
    dl.value.save_as(str(card))
    assert "Not for lending decisions" in card.read_text()

    # History lists the audits of this session and opens them.
    _nav(pg, "History")
    pg.get_by_role("heading", name="History").wait_for()
    _no_exception(pg)
    _shot(pg, "08_history")
