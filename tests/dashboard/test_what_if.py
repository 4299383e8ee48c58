"""The what-if editor on the Explanations page: edit a row, see the model's new prediction and SHAP values."""

from __future__ import annotations

import pytest

from audits import AuditConfig
from dashboard import services
from tests.dashboard.conftest import GERMAN, new_app, no_exception, open_page, open_tab

ROW = "explain.wi.row"
FIELD = "explain.wi.f."


@pytest.fixture(scope="module")
def audited():
    cfg = AuditConfig.from_yaml(GERMAN / "audit.yaml").replace(
        sections=("performance", "explanation"), explain_sample_size=60, seed=11
    )
    data = services.Upload.from_bytes(
        (GERMAN / "german_credit_test.csv").read_bytes(), name="german_credit_test.csv"
    )
    model = services.Upload.from_bytes(
        (GERMAN / "german_logreg.skops").read_bytes(), name="german_logreg.skops"
    )
    return services.run(data, model, None, cfg)


@pytest.fixture()
def page(audited):
    key, result = audited
    at = new_app(result=result, key=key, timeout=120)
    at.run()
    open_page(at, "explanations")
    return open_tab(at, "explain.tab", "What-if")


def _line(at, start: str) -> str:
    return next(m.value for m in at.markdown if m.value.startswith(start))


def test_the_editor_starts_from_the_row_and_predicts_as_the_model(page, audited):
    no_exception(page)
    line = _line(page, "Prediction **")
    assert "Changed: nothing yet" in line and "Recomputed in" in line
    assert any(m.value.startswith("Model output ") for m in page.markdown)  # SHAP values of the row


def test_editing_a_value_recomputes_the_prediction(page, audited):
    key, _ = audited
    ctx = services.audit_context(key).value
    page.number_input(key=FIELD + "duration").set_value(72).run()
    no_exception(page)
    line = _line(page, "Prediction **")
    assert "Changed: duration" in line
    row = ctx.X.iloc[[0]].assign(duration=72)
    assert f"Prediction **{ctx.model.predict(row)[0]}**" in line


def test_choosing_another_row_resets_the_edits(page, audited):
    key, _ = audited
    ctx = services.audit_context(key).value
    page.number_input(key=FIELD + "duration").set_value(72).run()
    page.number_input(key=ROW).set_value(5).run()
    no_exception(page)
    assert page.session_state[FIELD + "duration"] == int(ctx.X.iloc[5]["duration"])
    assert "Changed: nothing yet" in _line(page, "Prediction **")


def test_log_odds_are_shown_with_their_probability(page):
    text = " ".join(m.value for m in page.markdown)
    assert "(probability " in text


def test_a_categorical_feature_is_picked_from_its_values(page, audited):
    key, _ = audited
    ctx = services.audit_context(key).value
    column = next(c for c in ctx.features if not str(ctx.X[c].dtype).startswith(("int", "float")))
    box = page.selectbox(key=FIELD + column)
    other = next(o for o in box.options if o != box.value)
    box.set_value(other).run()
    no_exception(page)
    assert f"Changed: {column}" in _line(page, "Prediction **")
