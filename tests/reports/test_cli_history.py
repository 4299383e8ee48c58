"""The audit-history commands of ``rai-audit``: run --store/--tag/--baseline, history, compare, accept, store."""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest

from audits.store import AuditStore
from reports.cli import main
from tests.audits.store.results import make_result
from tests.conftest import make_binary_frame


@pytest.fixture()
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'audits.db'}"


@pytest.fixture()
def datasets(tmp_path):
    """The same rows with predictions right on 90% of them, and on 60% of them."""
    frame = make_binary_frame(600, seed=3)
    rng = np.random.default_rng(0)
    paths = []
    for name, wrong in (("good", 0.1), ("bad", 0.4)):
        flip = rng.random(len(frame)) < wrong
        frame["pred"] = np.where(flip, 1 - frame["label"], frame["label"])
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        paths.append(tmp_path / f"{name}.csv")
    return tuple(paths)


def _run(data, out, *extra: str) -> int:
    return main(
        ["run", "--data", str(data), "--prediction", "pred", "--target", "label", "--protected", "sex",
         "--sections", "performance", "--out", str(out), "--quiet", *extra]
    )  # fmt: skip


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_with_store_and_tag_records_the_audit_and_history_lists_it(datasets, url, tmp_path, capsys):
    good, _ = datasets
    code = _run(good, tmp_path / "o", "--store", url, "--tag", "v1")
    assert code in (0, 1)
    out = capsys.readouterr().out
    run_id = out.split("stored as run ")[1].split()[0]
    [stored] = AuditStore(url).list()
    assert stored.run_id == run_id and stored.tag == "v1" and stored.model_name == "predictions:pred"
    assert main(["history", "--store", url, "--tag", "v1"]) == 0
    assert run_id in capsys.readouterr().out
    assert main(["history", "--store", url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["run_id"] == run_id


def test_baseline_gate_exits_1_when_accuracy_got_worse_and_says_which(datasets, url, tmp_path, capsys):
    good, bad = datasets
    assert _run(good, tmp_path / "a", "--store", url, "--tag", "v1") == 0
    first = AuditStore(url).list()[0].run_id
    assert main(["accept", first, "--store", url]) == 0
    capsys.readouterr()
    assert _run(bad, tmp_path / "b", "--store", url, "--baseline", "accepted") == 1
    out = capsys.readouterr().out
    assert f"compared with {first}" in out
    assert "WORSE  accuracy" in out and "gate: FAIL" in out


def test_baseline_gate_passes_when_nothing_got_worse(datasets, url, tmp_path, capsys):
    good, _ = datasets
    assert _run(good, tmp_path / "a", "--store", url) == 0
    assert _run(good, tmp_path / "b", "--store", url, "--baseline", "last") == 0
    assert "nothing got worse beyond the tolerance" in capsys.readouterr().out


def test_baseline_last_without_an_earlier_audit_passes_with_a_note(datasets, url, tmp_path, capsys):
    assert _run(datasets[0], tmp_path / "a", "--store", url, "--baseline", "last") == 0
    assert "no earlier audit" in capsys.readouterr().out


def test_baseline_accepted_without_an_accepted_audit_is_an_input_error(datasets, url, tmp_path, capsys):
    assert _run(datasets[0], tmp_path / "a", "--store", url, "--baseline", "accepted") == 2
    assert "rai-audit accept RUN_ID" in capsys.readouterr().err


def test_an_unreachable_store_warns_keeps_the_exit_code_and_the_report(datasets, tmp_path, capsys):
    bad_url = f"postgresql+psycopg://auditor:hunter2@127.0.0.1:{_closed_port()}/audits"
    assert _run(datasets[0], tmp_path / "o", "--store", bad_url) == 0
    err = capsys.readouterr().err
    assert "not recorded in the store" in err and "auditor:***@127.0.0.1" in err and "hunter2" not in err
    assert (tmp_path / "o" / "audit_report.json").exists()


def test_an_unreachable_store_with_a_baseline_is_an_input_error(datasets, tmp_path, capsys):
    bad_url = f"postgresql+psycopg://u:p@127.0.0.1:{_closed_port()}/x"
    assert _run(datasets[0], tmp_path / "o", "--store", bad_url, "--baseline", "last") == 2
    assert "gate could not be evaluated" in capsys.readouterr().err
    assert (tmp_path / "o" / "audit_report.json").exists()


def test_compare_writes_every_format(url, tmp_path, capsys):
    store = AuditStore(url)
    a = store.save(make_result(perf={"accuracy": (0.80, 0.79, 0.81)}))
    b = store.save(make_result(perf={"accuracy": (0.70, 0.69, 0.71)}, data_sha="cc" * 32))
    out = tmp_path / "cmp"
    assert main(["compare", a, b, "--store", url, "--format", "md,html,pdf,json", "--out", str(out)]) == 0
    assert "WORSE  accuracy" in capsys.readouterr().out
    md = (out / "comparison.md").read_text()
    assert "Audit comparison" in md and "worse" in md and a in md
    assert "<html" in (out / "comparison.html").read_text()
    assert (out / "comparison.pdf").read_bytes().startswith(b"%PDF")
    assert json.loads((out / "comparison.json").read_text())["regressions"] == ["accuracy"]


def test_compare_of_different_targets_is_refused(url, tmp_path, capsys):
    store = AuditStore(url)
    a, b = store.save(make_result()), store.save(make_result(target="income"))
    assert main(["compare", a, b, "--store", url, "--out", str(tmp_path / "c")]) == 2
    assert "the target differs" in capsys.readouterr().err


def test_unknown_run_ids_are_input_errors(url, capsys):
    assert main(["accept", "deadbeef", "--store", url]) == 2
    assert "deadbeef: no audit with this run id" in capsys.readouterr().err


def test_store_export_import_prune_migrate(url, tmp_path, capsys):
    store = AuditStore(url)
    ids = [store.save(make_result(started_at=f"2026-01-0{d}T00:00:00+00:00")) for d in (1, 2, 3)]
    export = tmp_path / "all.jsonl"
    assert main(["store", "export", str(export), "--store", url]) == 0
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert main(["store", "migrate", "--store", other]) == 0
    assert "empty -> 0002" in capsys.readouterr().out
    assert main(["store", "import", str(export), "--store", other]) == 0
    assert "imported 3 audit(s)" in capsys.readouterr().out
    assert main(["store", "prune", "--keep-last", "1", "--store", other]) == 0
    assert [a.run_id for a in AuditStore(other).list()] == [ids[2]]
    assert main(["store", "prune", "--store", other]) == 2


def test_compare_prints_the_columns_that_drifted_between_the_audited_datasets(url, tmp_path, capsys):
    frame = make_binary_frame(800, seed=4)
    frame.to_csv(tmp_path / "before.csv", index=False)
    frame.assign(x1=frame["x1"] + 2.0).to_csv(tmp_path / "after.csv", index=False)
    assert _run(tmp_path / "before.csv", tmp_path / "o1", "--store", url) in (0, 1)
    assert _run(tmp_path / "after.csv", tmp_path / "o2", "--store", url) in (0, 1)
    first, second = sorted(AuditStore(url).list(), key=lambda s: s.started_at)
    capsys.readouterr()
    assert main(["compare", first.run_id, second.run_id, "--store", url, "--out", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert "data drift between the audited datasets" in out
    assert "DRIFT  x1" in out and "DRIFT  color" not in out
