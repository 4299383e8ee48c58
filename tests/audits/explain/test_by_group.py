"""Per-group means, the choice of the two groups compared, and the plain-language gap sentence."""

from __future__ import annotations

import numpy as np
import pytest

from audits.explain.by_group import MIN_GAP_ROWS, gap_sentence, group_gap, group_means
from audits.explain.shap_values import Attributions

FEATS = ("a", "b", "sex")


def _att(groups_out: dict[str, tuple[int, float]]) -> tuple[Attributions, np.ndarray]:
    """Rows whose SHAP values are (out/2, out/4, out/4) around a zero base: exactly additive."""
    outs, groups = [], []
    for g, (n, out) in groups_out.items():
        outs += [out] * n
        groups += [g] * n
    out = np.array(outs)
    values = np.column_stack([out / 2, out / 4, out / 4])
    att = Attributions(rows=np.arange(len(out)), values=values, base=np.zeros(len(out)), output=out)
    return att, np.array(groups, dtype=object)


def test_group_means_are_weighted_and_sorted_by_size():
    att, groups = _att({"F": (30, 1.0), "M": (50, 3.0)})
    w = np.where(groups == "F", 2.0, 1.0)
    frame = group_means(att, w, groups, FEATS)
    assert frame["group"].tolist() == ["M", "F"]
    assert frame.loc[frame["group"] == "F", "a"].item() == pytest.approx(0.5)


def test_gap_compares_the_largest_group_with_the_most_different_one():
    att, groups = _att({"A": (100, 1.0), "B": (40, 0.9), "C": (30, -1.0), "D": (MIN_GAP_ROWS - 1, -9.0)})
    frame = group_means(att, np.ones(len(groups)), groups, FEATS)
    gap = group_gap(frame, "race", FEATS, reference=None, space="log-odds")
    assert gap["groups"] == ["A", "C"]  # D is most different but too small
    assert gap["gap"] == pytest.approx(2.0)
    assert sum(gap["contributions"].values()) == pytest.approx(gap["gap"])
    assert gap["unexplained"] == pytest.approx(0.0)


def test_configured_reference_group_is_used():
    att, groups = _att({"A": (100, 1.0), "B": (40, 0.9), "C": (30, -1.0)})
    frame = group_means(att, np.ones(len(groups)), groups, FEATS)
    assert group_gap(frame, "race", FEATS, reference="B", space="x")["groups"] == ["B", "C"]


def test_no_gap_with_a_single_large_group():
    att, groups = _att({"A": (100, 1.0), "B": (5, 0.0)})
    frame = group_means(att, np.ones(len(groups)), groups, FEATS)
    assert group_gap(frame, "race", FEATS, reference=None, space="x") is None


def test_sentence_names_the_drivers_with_their_shares():
    s = gap_sentence("sex", "Male", "Female", 2.0, {"a": 1.2, "b": -0.4, "sex": 1.2}, space="log-odds")
    assert s.startswith("The mean model output (log-odds) is 2 higher for sex = Male than for sex = Female")
    assert "a (60%), sex (60%)" in s
    assert "b narrows it by 20%" in s
    assert s.endswith("(shares of the gap; attributions, not causes).")


def test_sentence_for_a_negative_gap_names_the_higher_group_first():
    s = gap_sentence("sex", "Male", "Female", -1.0, {"a": -1.0}, space="probability")
    assert "higher for sex = Female than for sex = Male" in s
    assert "a (100%)" in s
