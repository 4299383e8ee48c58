"""The row ledger (audits/row_ledger.py): compact, lossless for what it keeps, capped, refused when tampered, and
the delta-method covariance it gives."""

from __future__ import annotations

import base64
import zlib

import numpy as np
import pytest

from audits import row_ledger as RL


def _binary(n: int = 1000, *, seed: int = 0, weights: bool = False) -> dict:
    rng = np.random.default_rng(seed)
    return RL.build_ledger(
        task="binary",
        classes=("bad", "good"),
        y_true=rng.binomial(1, 0.3, n),
        y_pred=rng.binomial(1, 0.4, n),
        sample_weight=rng.uniform(0.5, 2.0, n) if weights else None,
        groups={"sex": (rng.integers(0, 2, n), ("f", "m")), "race": (rng.integers(0, 3, n), ("a", "b", "c"))},
    )


def test_binary_ledgers_keep_every_row_in_one_bit_per_label_and_prediction():
    rng = np.random.default_rng(0)
    y, p = rng.binomial(1, 0.3, 1001), rng.binomial(1, 0.4, 1001)
    sex = rng.integers(0, 2, 1001)
    d = RL.build_ledger(task="binary", classes=(0, 1), y_true=y, y_pred=p, sample_weight=None,
                        groups={"sex": (sex, ("f", "m"))})  # fmt: skip
    assert [a["dtype"] for a in d["arrays"]] == ["bits", "bits", "uint8"]
    assert len(zlib.decompress(base64.b64decode(d["payload"]))) == 2 * 126 + 1001  # 1001 bits -> 126 bytes
    led = RL.read_ledger(d)
    assert np.array_equal(led.labels, y) and np.array_equal(led.predictions, p)
    assert np.array_equal(led.groups["sex"][0], sex) and led.groups["sex"][1] == ("f", "m")
    assert led.weights is None and led.label_sha256 == d["label_sha256"]


def test_multiclass_ledgers_keep_class_codes_and_weights():
    rng = np.random.default_rng(1)
    y, p, w = rng.integers(0, 3, 500), rng.integers(0, 3, 500), rng.uniform(0, 3, 500)
    d = RL.build_ledger(task="multiclass", classes=("x", "y", "z"), y_true=y, y_pred=p, sample_weight=w,
                        groups={})  # fmt: skip
    led = RL.read_ledger(d)
    assert led.classes == ("x", "y", "z") and np.array_equal(led.labels, y)
    assert np.allclose(led.weights, w, rtol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"max_rows": 999}, "above the row ledger's cap of 999 rows"),
        ({"max_bytes": 10}, "above its cap of 10 bytes"),
    ],
)
def test_above_the_caps_there_is_no_ledger_and_the_result_says_why(kwargs, reason):
    rng = np.random.default_rng(0)
    d = RL.build_ledger(task="binary", classes=(0, 1), y_true=rng.binomial(1, 0.5, 1000),
                        y_pred=rng.binomial(1, 0.5, 1000), sample_weight=None, groups={}, **kwargs)  # fmt: skip
    assert d["status"] == "absent" and reason in d["reason"]
    assert RL.read_ledger(d) == d["reason"]


def test_regression_keeps_no_ledger():
    d = RL.build_ledger(task="regression", classes=(), y_true=np.zeros(3), y_pred=np.zeros(3),
                        sample_weight=None, groups={})  # fmt: skip
    assert d == RL.absent(RL.NO_LEDGER_REGRESSION)


def test_a_tampered_or_inflating_payload_is_refused_not_trusted():
    d = _binary()
    short = dict(d, rows=d["rows"] + 8)
    assert "does not hold the rows" in RL.read_ledger(short)
    bomb = dict(d, payload=base64.b64encode(zlib.compress(b"\0" * 10_000_000)).decode())
    assert "does not hold the rows" in RL.read_ledger(bomb)
    assert RL.read_ledger(dict(d, payload="not base64!")) == "its row ledger is malformed"
    # a huge announced row count would lift the inflation bound: refused before anything is inflated
    huge = dict(d, rows=10**12, payload=base64.b64encode(zlib.compress(b"\0" * 50_000_000)).decode())
    assert RL.read_ledger(huge) == "its row ledger is malformed"
    assert (
        RL.read_ledger(dict(d, arrays=[{"name": "label", "dtype": "float64"}]))
        == "its row ledger is malformed"
    )


def test_same_rows_needs_the_same_labels_and_row_count():
    a, b = RL.read_ledger(_binary(seed=0)), RL.read_ledger(_binary(seed=1))
    assert RL.same_rows(a, a) == ""
    assert "label" in RL.same_rows(a, b)
    assert "row counts" in RL.same_rows(a, RL.read_ledger(_binary(n=999)))


def test_the_covariance_of_a_rate_is_the_share_both_count_minus_the_product_over_the_rows():
    rng = np.random.default_rng(2)
    n = 5000
    y = rng.binomial(1, 0.3, n)
    pa = rng.binomial(1, 0.4, n)
    pb = np.where(rng.uniform(size=n) < 0.1, 1 - pa, pa)
    g = rng.integers(0, 2, n)

    def ledger(p):
        return RL.read_ledger(RL.build_ledger(task="binary", classes=(0, 1), y_true=y, y_pred=p,
                                              sample_weight=None, groups={"g": (g, ("0", "1"))}))  # fmt: skip

    la, lb = ledger(pa), ledger(pb)
    rows = (g == 1) & (y == 1)  # the true positive rate of group 1
    ra = RL.rate_influence(la, "tpr", mask=la.group_mask("g", "1"))
    rb = RL.rate_influence(lb, "tpr", mask=lb.group_mask("g", "1"))
    size = rows.sum()
    expected = ((pa[rows] & pb[rows]).mean() - pa[rows].mean() * pb[rows].mean()) / size
    assert ra[0] == pytest.approx(pa[rows].mean())
    assert float(np.sum(ra[1] * rb[1])) / n**2 == pytest.approx(expected, rel=1e-9)
    assert float(np.sum(ra[1] ** 2)) / n**2 == pytest.approx(ra[0] * (1 - ra[0]) / size, rel=1e-9)


def test_weighted_rates_have_the_variance_of_their_kish_effective_size():
    led = RL.read_ledger(_binary(n=4000, weights=True))
    value, psi = RL.rate_influence(led, "selection_rate")
    w = led.weights.astype(float)
    kish = w.sum() ** 2 / (w**2).sum()
    p = led.predictions.astype(float)
    # the linearised variance of a weighted mean: Σ w²(p − r)² / (Σ w)²; about r(1 − r) / Kish n
    assert float(np.sum(psi**2)) / len(w) ** 2 == pytest.approx(
        np.sum(w**2 * (p - value) ** 2) / w.sum() ** 2
    )
    assert float(np.sum(psi**2)) / len(w) ** 2 == pytest.approx(value * (1 - value) / kish, rel=0.05)


def test_metrics_without_a_linearisation_and_unknown_groups_give_none():
    led = RL.read_ledger(_binary())
    assert RL.rate_influence(led, "roc_auc") is None
    assert led.group_mask("sex", "x") is None and led.group_mask("religion", "a") is None
    both = led.group_mask("sex × race", "f × b")
    assert both.sum() == (led.group_mask("sex", "f") & led.group_mask("race", "b")).sum() > 0
