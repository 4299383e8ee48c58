"""Every page on a real German credit audit: whatever state each section is in, pages render without error and
show the section's own words."""

from __future__ import annotations

import pytest

from audits.results import Status
from tests.dashboard.conftest import badges, new_app, no_exception, open_page

PAGE_OF = {
    "data_quality": "data_quality",
    "fairness": "fairness",
    "explanation": "explanations",
    "emissions": "emissions",
}


@pytest.mark.parametrize("section_name", list(PAGE_OF))
def test_section_page_renders_the_real_result(german_result, section_name):
    section = german_result.section(section_name)
    at = new_app(result=german_result, key="german-real")
    at.run()
    open_page(at, PAGE_OF[section_name])
    no_exception(at)
    assert at.title[0].value == section.title
    ruled = section_name in ("data_quality", "fairness")  # the others describe: INFO instead of PASS
    expected = "INFO" if not ruled and section.status == Status.PASS else section.status.value.upper()
    assert badges(at)[0] == expected
    shown = " ".join(
        [m.value for m in at.markdown] + [e.value for e in at.error] + [i.value for i in at.info]
    )
    if section.status in (Status.SKIPPED, Status.ERROR):
        assert section.reason in shown
    else:
        assert section.summary[0] in shown


def test_overview_lists_every_section_of_the_real_result(german_result):
    at = new_app(result=german_result, key="german-real")
    at.run()
    no_exception(at)
    assert badges(at)[0] == f"Overall: {german_result.status.value.upper()}"
    assert [s.value for s in at.subheader] == [s.title for s in german_result.sections]


@pytest.mark.parametrize("task", ["regression", "multiclass"])
def test_every_page_renders_a_regression_and_a_multiclass_audit(task):
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from audits import AuditConfig, Policy, run_audit

    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "sex": rng.choice(["F", "M"], n)})
    df["y"] = 2 * df.x1 + (df.sex == "M") + rng.normal(size=n)
    df["cls"] = np.where(df.x1 > 0.5, "a", np.where(df.x1 < -0.5, "b", "c"))
    target = "y" if task == "regression" else "cls"
    model = (LinearRegression() if task == "regression" else LogisticRegression()).fit(
        df[["x1", "x2"]], df[target]
    )
    cfg = AuditConfig(
        target=target,
        protected=("sex",),
        features=("x1", "x2"),
        task=task,
        explain_sample_size=80,
        policy=Policy(n_bootstrap=50),
        emissions={"enabled": False},
    )
    result = run_audit(df, config=cfg, model=model)
    at = new_app(result=result)
    at.run()
    for page in ["overview", "data_quality", "fairness", "explanations", "model_card", "emissions"]:
        open_page(at, page)
        no_exception(at)
    assert any("disabled" in i.value for i in at.info)  # the skipped section says why
