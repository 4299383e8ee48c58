"""What keeps every page under a second (issue 15): figures built once per audit and choice, and hidden tabs and
collapsed expanders not built at all until they are opened."""

from __future__ import annotations

import json

import pytest

from dashboard import charts, figure_cache
from tests.dashboard.conftest import new_app, no_exception, open_page, open_tab
from tests.dashboard.fake_result import fake_result


class Owner:
    """A stand-in for a result: any object that can be weakly referenced."""


def test_a_figure_is_built_once_per_result_and_choices():
    figure_cache.clear()
    owner, calls = Owner(), []

    def build() -> str:
        calls.append(1)
        return f"figure {len(calls)}"

    assert figure_cache.cached(owner, ("audit", "chart", "sex"), build) == "figure 1"
    assert figure_cache.cached(owner, ("audit", "chart", "sex"), build) == "figure 1"
    assert figure_cache.cached(owner, ("audit", "chart", "race"), build) == "figure 2"
    assert len(calls) == 2


def test_another_result_under_the_same_audit_id_never_gets_the_old_figure():
    figure_cache.clear()
    first, second = Owner(), Owner()
    assert figure_cache.cached(first, ("test-key", "chart"), lambda: "first") == "first"
    assert figure_cache.cached(second, ("test-key", "chart"), lambda: "second") == "second"


def test_a_dead_result_whose_id_is_reused_does_not_hit(monkeypatch):
    figure_cache.clear()
    owner = Owner()
    figure_cache.cached(owner, ("k", "chart"), lambda: "old")
    stale = id(owner)
    del owner
    newcomer = Owner()
    monkeypatch.setattr(figure_cache, "id", lambda _: stale, raising=False)  # as if the id were recycled
    assert figure_cache.cached(newcomer, ("k", "chart"), lambda: "new") == "new"


def test_the_cache_is_bounded(monkeypatch):
    figure_cache.clear()
    monkeypatch.setattr(figure_cache, "MAX_ENTRIES", 3)
    owner = Owner()
    for i in range(5):
        figure_cache.cached(owner, ("k", i), lambda i=i: i)
    assert figure_cache.size() == 3
    assert figure_cache.cached(owner, ("k", 0), lambda: "rebuilt") == "rebuilt"  # the oldest went first


@pytest.fixture()
def app():
    figure_cache.clear()
    at = new_app(result=fake_result(), key="speed-key")
    at.run()
    return at


def test_revisiting_a_page_reuses_its_figures(app, monkeypatch):
    built = []
    real = charts.beeswarm
    monkeypatch.setattr(charts, "beeswarm", lambda *a, **k: built.append(1) or real(*a, **k))
    for _ in range(2):
        open_page(app, "explanations")
        open_tab(app, "explain.tab", "Beeswarm")
        open_page(app, "overview")
    open_page(app, "explanations")
    open_tab(app, "explain.tab", "Beeswarm")
    no_exception(app)
    assert len(built) == 1
    assert any("SHAP value (impact on the model output)" in c.proto.spec for c in app.get("plotly_chart"))


def test_a_changed_choice_draws_a_new_figure(app):
    open_page(app, "fairness")
    app.get("button_group")[0].set_value("sex × age").run()
    no_exception(app)
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in app.get("plotly_chart")]
    assert "Selection rate by sex × age (95% intervals)" in titles  # not the cached figure of "sex"


def test_hidden_tabs_are_not_built(app, monkeypatch):
    built = []
    monkeypatch.setattr(charts, "dependence", lambda *a, **k: built.append(1))
    monkeypatch.setattr(charts, "beeswarm", lambda *a, **k: built.append(1))
    open_page(app, "explanations")
    no_exception(app)
    assert built == []  # neither the Beeswarm nor the Dependence tab is open
    assert app.session_state["explain.tab"] == "Global importance"


def test_a_collapsed_expander_is_built_when_opened(app):
    open_page(app, "fairness")
    assert not [d for d in app.dataframe if "N bootstrap" in d.value.iloc[:, 0].tolist()]
    app.session_state["fairness.method_box"] = True
    app.run()
    no_exception(app)
    assert [d for d in app.dataframe if "N bootstrap" in d.value.iloc[:, 0].tolist()]


def test_the_warm_up_imports_once_per_process_and_survives_a_failing_import(monkeypatch):
    import sys

    from dashboard import warmup

    monkeypatch.setattr(warmup, "_thread", None)
    monkeypatch.setattr(warmup, "MODULES", ("rai_audit_no_such_module", "email.mime.text"))
    monkeypatch.delitem(sys.modules, "email.mime.text", raising=False)
    thread = warmup.start(delay_s=0)
    assert warmup.start() is thread  # a second session starts nothing
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert "email.mime.text" in sys.modules  # imported after the failing one
