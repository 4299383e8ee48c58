"""The typed section views (audits/section_view.py and each section's view) against a real German-credit audit:
every key a view declares is in the engine's result, and the engine writes no key the views do not declare."""

from __future__ import annotations

import pytest

from audits import AuditConfig, AuditResult, Policy, run_audit
from audits.emissions_view import EmissionsResult
from audits.fairness.view import GROUPS_PREFIX, FairnessResult, groups_key
from audits.performance_view import PerformanceResult
from audits.results import SectionResult, Status, Table
from audits.section_view import METHOD_KEY
from audits.views import SECTION_VIEWS, view_class
from tests.reports import synthetic


@pytest.fixture(scope="module")
def german(german_paths) -> AuditResult:
    cfg = AuditConfig.from_yaml(german_paths["data"].parent / "audit.yaml")
    cfg = cfg.replace(policy=Policy(n_bootstrap=50), explain_sample_size=100)
    return run_audit(german_paths["data"], model=german_paths["model"], config=cfg)


def _section(result: AuditResult, name: str) -> SectionResult:
    section = result.section(name)
    assert section is not None and section.status in (
        Status.PASS,
        Status.WARN,
        Status.FAIL,
        Status.INCONCLUSIVE,
    )
    return section


@pytest.mark.parametrize("view", SECTION_VIEWS, ids=lambda v: v.NAME)
def test_every_declared_key_is_in_a_real_result(german, view):
    section = _section(german, view.NAME)
    missing = [k for k in view.METRICS if k not in view.OPTIONAL_METRICS and k not in section.metrics]
    missing += [
        s.key for s in view.TABLES if not s.optional and not any(s.matches(k) for k in section.tables)
    ]
    assert not missing, f"{view.__name__} declares keys the engine does not write: {missing}"


@pytest.mark.parametrize("view", SECTION_VIEWS, ids=lambda v: v.NAME)
def test_the_engine_writes_only_declared_keys(german, view):
    section = _section(german, view.NAME)
    undeclared = [k for k in section.metrics if k not in view.METRICS and k != METHOD_KEY]
    undeclared += [k for k in section.tables if view.table_spec(k) is None]
    assert not undeclared, f"{view.NAME} writes keys its view does not declare: {undeclared}"


@pytest.mark.parametrize("view", SECTION_VIEWS, ids=lambda v: v.NAME)
def test_declared_columns_are_the_engines(german, view):
    """Every column the engine writes under a fixed-schema table is declared (user columns aside)."""
    section = _section(german, view.NAME)
    for key, table in section.tables.items():
        spec = view.table_spec(key)
        written = set(table.columns)
        if view.NAME == FairnessResult.NAME and key.startswith(GROUPS_PREFIX):
            written = {c.removesuffix("_ci_low").removesuffix("_ci_high") for c in written}
        if view.NAME in ("explanation", "data_quality") and spec.is_prefix:
            continue  # one column per feature / per group of the user's data
        if view.NAME == "performance" and key == "confusion":
            continue  # one column per predicted class label
        assert written <= set(spec.columns), (
            f"{key}: undeclared columns {sorted(written - set(spec.columns))}"
        )


def test_views_read_the_object_and_its_json_alike(german):
    as_dict = german.to_dict()
    for view in SECTION_VIEWS:
        a, b = view.of(german), view.of(as_dict)
        assert a.ran and b.ran
        assert a.table_keys() == b.table_keys()
        for key in a.table_keys():
            assert a.table(key) == b.table(key)
    fair = FairnessResult.of(german)
    assert fair.disparities() == FairnessResult.of(as_dict).disparities()
    assert list(fair.group_tables()) == [c for c in fair.reference_groups()]


def test_fairness_view_accessors(german):
    fair = FairnessResult.of(german)
    tables = fair.group_tables()
    assert tables and all(isinstance(t, Table) for t in tables.values())
    column = next(iter(tables))
    assert fair.groups(column) is tables[column]
    assert groups_key(column) in fair.table_keys()
    assert {h["metric"] for h in fair.headline()} <= set(fair.lead_metrics()) | {"accuracy"}
    assert all(r["method"] == "vs_reference" for r in fair.verdicts())
    assert fair.reference_rows(lead_only=True)
    assert set(fair.threshold_curves()) == set(tables)


def test_performance_view_accessors(german):
    perf = PerformanceResult.of(german)
    assert perf.task() == "binary"
    assert perf.value("accuracy") == perf.metrics()["accuracy"]["value"]
    assert [r["metric"] for r in perf.metric_rows()] == list(perf.metrics())
    assert perf.curves.get("roc") and perf.error_cohorts is not None


def test_emissions_view_reads_the_hugging_face_block(german):
    em = EmissionsResult.of(german)
    block = em.co2_eq_emissions
    assert {"emissions", "source", "training_type", "geographical_location", "hardware_used"} <= set(block)
    assert em.training and em.refit_on_audited_data in (True, False)


def test_a_skipped_or_absent_section_reads_empty():
    skipped = SectionResult.skipped("fairness", "Fairness", "no protected column")
    result = AuditResult(sections=(skipped,), provenance=synthetic.provenance())
    fair = FairnessResult.of(result)
    assert not fair.ran and fair.group_tables() == {} and fair.headline() == [] and fair.threshold() is None
    assert FairnessResult.of(result, ran_only=False).status == Status.SKIPPED
    assert EmissionsResult.of({"sections": []}).co2_eq_emissions == {}


def test_undeclared_keys_are_refused():
    with pytest.raises(KeyError, match="no metric"):
        FairnessResult().metric("groups_by_region")
    with pytest.raises(KeyError, match="no table"):
        FairnessResult().table("group:sex")
    with pytest.raises(KeyError, match="declares no key"):
        PerformanceResult.build(status=Status.PASS, metrics={"overal": {}})
    built = PerformanceResult.build(status=Status.PASS, title="Model performance", metrics={"task": "binary"})
    assert built.name == "performance" and PerformanceResult.from_section(built).task() == "binary"


def test_view_class_by_name():
    assert view_class("fairness") is FairnessResult
    assert view_class("nope") is None


def test_every_section_records_the_same_method_record(german):
    from audits.method import METHOD_KEY, Method

    keys = None
    for section in german.sections:
        record = section.metrics.get(METHOD_KEY)
        assert record is not None, f"{section.name} records no method"
        method = Method.from_dict(record)  # the shared typed record, not a section's own shape
        assert method.to_dict() == record and method.seed == german.provenance.seed
        keys = keys or set(record)
        assert set(record) == keys, section.name
