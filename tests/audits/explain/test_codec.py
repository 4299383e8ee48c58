"""Integer codes for string columns (model-agnostic explainers) and the background's source."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audits import AuditConfig, build_context
from audits.explain.choose import choose_explainer
from audits.explain.shap_values import CategoryCodec, ShapEngine
from audits.inputs import adapt_estimator, frame_as_data


def test_codes_round_trip_with_missing_values():
    frame = pd.DataFrame(
        {
            "n": pd.Series([1, 2, 3], dtype="int64"),
            "f": [0.5, np.nan, 2.0],
            "s": pd.Series(["a", None, "b"], dtype="str"),
        }
    )
    codec = CategoryCodec(frame)
    codes = codec.encode(frame)
    assert codes[1, 2] == -1  # missing category
    back = codec.decode(codes)
    assert back["n"].dtype == np.int64
    assert back["s"].tolist()[0] == "a" and pd.isna(back["s"].tolist()[1])
    np.testing.assert_array_equal(back["f"].to_numpy(), frame["f"].to_numpy())


def test_reference_data_is_the_background_and_its_categories_are_known(hgb_ctx, frame):
    reference = frame.assign(color="red")
    frame = frame[frame["color"] != "red"].reset_index(drop=True)  # the audited rows never show "red"
    cfg = AuditConfig(target="label", protected=("sex",))
    ctx = build_context(
        frame_as_data(frame, name="audited"),
        config=cfg,
        model=adapt_estimator(hgb_ctx.model.estimator),
        reference=frame_as_data(reference, name="train"),
    )
    engine = ShapEngine.build(
        ctx, choose_explainer(ctx.model, ctx.features, override="kernel"), background_size=5, max_evals=40
    )
    assert engine.background_source == "the reference data"
    decoded = engine.codec.decode(engine.codec.encode(engine._raw_bg))
    assert set(decoded["color"]) == {"red"}
    att = engine.explain(np.array([0, 1]))
    assert att.additivity_error.max() < 1e-9
