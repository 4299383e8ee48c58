"""A ``.skops`` model cannot run code or read files: exact trusted names only, crafted trees refused."""

from __future__ import annotations

import inspect
import pickle
from pathlib import Path

import pytest

from audits import AuditConfig, load_model, run_audit
from audits.errors import AuditInputError
from tests.security import payloads as P
from tests.security.conftest import (
    ADULT,
    GERMAN_DATA,
    GERMAN_MODEL,
    assert_cli_refused,
    german_run_args,
    run_capped,
    run_cli,
    write,
)

ALL_PAYLOADS = sorted(P.PAYLOADS)
TRUST_SWITCHES = ("--trust-type", "trusted_types")


def _assert_refused_naming(exc: AuditInputError, *needles: str) -> None:
    message = str(exc)
    for needle in needles:
        assert needle in message, f"{needle!r} not in: {message}"
    assert any(s in message for s in TRUST_SWITCHES), f"the refusal names no switch that exists: {message}"


@pytest.mark.parametrize("name", ALL_PAYLOADS)
def test_the_payload_is_live_when_loaded_without_a_guard(name: str, targets: P.Targets) -> None:
    # The corpus checks itself: each payload really runs (or reads the secret) under a loader that trusts
    # everything, so a refusal below is a defence and not a payload that never worked.
    loaded = P.unguarded_load(P.payload_skops(name, targets))
    if name == "numpy.fromfile":
        assert P.SECRET.encode() in bytes(loaded._rai_payload)
    else:
        assert P.marker_written(targets)


@pytest.mark.parametrize("name", ALL_PAYLOADS)
def test_load_model_refuses_a_callable_in_the_schema(name: str, targets: P.Targets) -> None:
    dotted = P.PAYLOADS[name][0]
    with pytest.raises(AuditInputError) as info:
        load_model(P.payload_skops(name, targets), name="credit_model.skops")
    _assert_refused_naming(info.value, "credit_model.skops", dotted)
    assert not P.marker_written(targets)


def test_load_model_refuses_a_payload_read_from_a_path(targets: P.Targets, tmp_path: Path) -> None:
    path = write(tmp_path / "uploaded.skops", P.payload_skops("eval", targets))
    with pytest.raises(AuditInputError) as info:
        load_model(path)
    _assert_refused_naming(info.value, str(path), "builtins.eval")
    assert not P.marker_written(targets)


def test_trusting_another_exact_name_does_not_let_eval_through(targets: P.Targets) -> None:
    raw = P.payload_skops("eval", targets)
    with pytest.raises(AuditInputError) as info:
        load_model(raw, name="m.skops", trusted_types=("sklearn.tree._tree.Tree", "builtins.str"))
    assert "builtins.eval" in str(info.value)
    assert not P.marker_written(targets)


def test_run_audit_refuses_the_payload_before_any_section(targets: P.Targets, tmp_path: Path) -> None:
    model = write(tmp_path / "model.skops", P.payload_skops("os.system", targets))
    cfg = AuditConfig(target="credit_risk", protected=("sex",), sections=("performance",))
    with pytest.raises(AuditInputError, match="os.system"):
        run_audit(GERMAN_DATA, model=model, config=cfg)
    assert not P.marker_written(targets)


@pytest.mark.parametrize("name", ["eval", "os.system", "scipy.io.savemat"])
def test_the_cli_refuses_the_payload_with_exit_2(name: str, targets: P.Targets, tmp_path: Path) -> None:
    model = write(tmp_path / "model.skops", P.payload_skops(name, targets))
    proc = run_cli(*german_run_args(model, out=tmp_path / "out"))
    assert_cli_refused(proc, "model.skops", P.PAYLOADS[name][0], "--trust-type")
    assert not P.marker_written(targets)
    assert not (tmp_path / "out" / "audit_report.json").exists()


def test_the_cli_never_shows_a_secret_read_by_numpy_fromfile(targets: P.Targets, tmp_path: Path) -> None:
    model = write(tmp_path / "model.skops", P.payload_skops("numpy.fromfile", targets))
    proc = run_cli(*german_run_args(model, "--format", "json,md", out=tmp_path / "out"))
    assert_cli_refused(proc, "numpy.fromfile")
    assert P.SECRET not in proc.stdout + proc.stderr


# --- the switch that the refusal names exists and works ---------------------------------------------------------
def _harmless_untrusted() -> bytes:
    # An attribute of a type that is on no list (fractions.Fraction): refused by default, harmless if trusted.
    return P.skops_with_payload(P._node("Fraction", "fractions", "ObjectNode"))


def test_an_unknown_harmless_type_is_refused_and_named() -> None:
    with pytest.raises(AuditInputError) as info:
        load_model(_harmless_untrusted(), name="m.skops")
    _assert_refused_naming(info.value, "m.skops", "fractions.Fraction")


def test_trusted_types_admits_exactly_the_named_type() -> None:
    adapter = load_model(_harmless_untrusted(), name="m.skops", trusted_types=("fractions.Fraction",))
    assert adapter.is_classifier


def test_run_audit_takes_trusted_types() -> None:
    assert "trusted_types" in inspect.signature(run_audit).parameters
    assert "limits" in inspect.signature(run_audit).parameters


def test_the_cli_trust_type_flag_admits_the_named_type(tmp_path: Path) -> None:
    model = write(tmp_path / "m.skops", _harmless_untrusted())
    refused = run_cli(*german_run_args(model, out=tmp_path / "a"))
    assert_cli_refused(refused, "fractions.Fraction", "--trust-type")
    trusted = run_cli(*german_run_args(model, "--trust-type", "fractions.Fraction", out=tmp_path / "b"))
    assert "Traceback" not in trusted.stderr
    assert trusted.returncode in (0, 1), trusted.stderr[-2000:]
    assert (tmp_path / "b" / "audit_report.json").exists()


# --- the bundled models still load -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", [GERMAN_MODEL, ADULT / "adult_logreg.skops", ADULT / "adult_gbm.skops"], ids=lambda p: p.name
)
def test_the_bundled_models_load_without_extra_trust(path: Path) -> None:
    adapter = load_model(path)
    assert adapter.is_classifier and adapter.has_proba


# --- crafted tree node arrays: loaded in a child, because an unchecked index can crash the process -------------
HIST_VARIANTS = {"left": 10**6, "right": 4_000_000_000, "feature_idx": 10**6, "num_threshold": float("nan")}
TREE_VARIANTS = {"left_child": 10**6, "feature": 10**6, "threshold": float("inf")}

_LOAD_AND_PREDICT = """
import sys
from audits import load_dataset, load_model
from audits.errors import AuditInputError
for case, path, data in CASES:
    print("START", case, flush=True)
    try:
        adapter = load_model(path)
        frame = load_dataset(data).frame
        adapter.predict_proba(frame[adapter.feature_names] if adapter.feature_names else frame)
    except AuditInputError as exc:
        print("REFUSED", case, str(exc).replace(chr(10), " "), flush=True)
    except Exception as exc:
        print("ERROR", case, type(exc).__name__, flush=True)
    else:
        print("PREDICTED", case, flush=True)
"""


def _outcomes(cases: list[tuple[str, str, str]]) -> dict[str, str]:
    """Each case's outcome line; a case that crashed the child is recorded and the rest run in a new child."""
    out: dict[str, str] = {}
    left = list(cases)
    while left:
        proc = run_capped(_LOAD_AND_PREDICT.replace("CASES", repr(left)))
        started = None
        for line in proc.stdout.splitlines():
            kind, _, rest = line.partition(" ")
            case = rest.split(" ", 1)[0]
            if kind == "START":
                started = case
            elif kind in ("REFUSED", "ERROR", "PREDICTED"):
                out[case], started = line, None
        if started is not None:
            out[started] = f"CRASHED {started} (the child ended with {proc.returncode})"
        left = [c for c in left if c[0] not in out]
        if proc.returncode != 0 and started is None:
            out.update({c[0]: f"CRASHED {c[0]} ({proc.stderr[-300:]})" for c in left})
            break
    return out


@pytest.fixture(scope="module")
def crafted_outcomes(tree_model: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("crafted")
    cases = []
    for field, value in HIST_VARIANTS.items():
        path = write(folder / f"gbm_{field}.skops", P.crafted_hist_gbm(field, value))
        cases.append((f"gbm_{field}", str(path), str(ADULT / "adult_test.csv")))
    for field, value in TREE_VARIANTS.items():
        path = write(folder / f"tree_{field}.skops", P.crafted_decision_tree(tree_model, field, value))
        cases.append((f"tree_{field}", str(path), str(GERMAN_DATA)))
    return _outcomes(cases)


@pytest.mark.parametrize("case", [f"gbm_{f}" for f in HIST_VARIANTS] + [f"tree_{f}" for f in TREE_VARIANTS])
def test_crafted_tree_nodes_are_refused_before_any_prediction(
    case: str, crafted_outcomes: dict[str, str]
) -> None:
    outcome = crafted_outcomes[case]
    assert outcome.startswith("REFUSED"), outcome
    assert f"{case}.skops" in outcome


def test_an_intact_decision_tree_loads_by_exact_name(tree_model: Path) -> None:
    assert load_model(tree_model).is_classifier


# --- malformed files and pickles ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [b"PK\x03\x04 not really a zip", P.write_skops({"__class__": "dict"}, {}), b"\x00" * 64],
    ids=["truncated-zip", "schema-without-loader", "zeros"],
)
def test_a_malformed_skops_is_a_clean_error(raw: bytes) -> None:
    with pytest.raises(AuditInputError, match="broken.skops"):
        load_model(raw, name="broken.skops")


def test_a_pickle_model_is_refused_by_the_cli_and_does_not_run(targets: P.Targets, tmp_path: Path) -> None:
    model = write(tmp_path / "model.pkl", pickle.dumps(P._WritesMarker(targets.marker)))
    proc = run_cli(*german_run_args(model, out=tmp_path / "out"))
    assert_cli_refused(proc, "model.pkl", "--trust-pickle")
    assert not P.marker_written(targets)


def test_trusting_a_pickle_prints_a_warning(tmp_path: Path) -> None:
    import joblib

    model = tmp_path / "model.joblib"
    joblib.dump(load_model(GERMAN_MODEL).estimator, model)
    proc = run_cli(*german_run_args(model, "--trust-pickle", out=tmp_path / "out"))
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert "warning" in proc.stderr.lower(), proc.stderr[-2000:]
