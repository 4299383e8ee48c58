"""Label-side numbers come from the data-quality section when it ran, else they are computed here."""

from __future__ import annotations

from audits.results import SectionResult, Status
from tests.audits.fairness.conftest import audit, make_frame


def _dq(frame, *, status=Status.PASS, base_rate_shift=0.0, count_shift=0):
    groups = sorted(frame["sex"].unique())
    counts = [int((frame["sex"] == g).sum()) + count_shift for g in groups]
    pos = [int(frame.loc[frame["sex"] == g, "label"].sum()) for g in groups]
    rep = {
        "group": groups,
        "count": counts,
        "share": [c / len(frame) for c in counts],
        "positives": pos,
        "negatives": [c - p for c, p in zip(counts, pos, strict=True)],
        "base_rate": [p / c + base_rate_shift for p, c in zip(pos, counts, strict=True)],
    }
    return SectionResult(
        name="data_quality", title="Data quality", status=status, metrics={"representation": {"sex": rep}}
    )


def test_representation_from_data_quality_is_used():
    f = make_frame(1500, seed=41)
    # A marker shift in the base rate shows which numbers were used.
    _, res = audit(f, prior={"data_quality": _dq(f, base_rate_shift=1e-9)})
    assert res.metrics["label_source"]["sex"] == "data_quality"
    female = res.metrics["group_counts"]["sex"]["F"]
    expected = f.loc[f["sex"] == "F", "label"].mean() + 1e-9
    assert abs(female["base_rate"] - expected) < 1e-15


def test_errored_or_skipped_data_quality_is_ignored():
    f = make_frame(1500, seed=42)
    for status in (Status.ERROR, Status.SKIPPED):
        _, res = audit(f, prior={"data_quality": _dq(f, status=status, base_rate_shift=1e-9)})
        assert res.metrics["label_source"]["sex"] == "computed"
        female = res.metrics["group_counts"]["sex"]["F"]
        assert female["base_rate"] == f.loc[f["sex"] == "F", "label"].mean()


def test_data_quality_counts_that_disagree_with_the_rows_are_not_trusted():
    f = make_frame(1500, seed=43)
    _, res = audit(f, prior={"data_quality": _dq(f, count_shift=1)})
    assert res.metrics["label_source"]["sex"] == "computed"
    assert res.metrics["group_counts"]["sex"]["F"]["count"] == int((f["sex"] == "F").sum())


def test_without_data_quality_the_numbers_are_computed():
    f = make_frame(1500, seed=44)
    _, res = audit(f)
    assert res.metrics["label_source"] == {"sex": "computed"}
    # The label base-rate gap appears in the summary context.
    assert "in the labels themselves" in res.summary[-1].lower()
