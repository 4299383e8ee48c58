"""The codecarbon measurement wrapper: real offline tracker, positive figures, labelled methods, honest failure."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import codecarbon
import numpy as np
import pytest

from audits.emissions import (
    EmissionsMeasurementError,
    Measurement,
    measure,
    power_methods,
)

MIX = json.loads(
    (Path(codecarbon.__file__).parent / "data" / "private_infra" / "global_energy_mix.json").read_text()
)


def busy(seconds: float = 0.3) -> int:
    import time

    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < seconds:
        n += int(np.sum(np.arange(1000)))
    return n


@pytest.fixture(scope="module")
def usa() -> Measurement:
    return measure(busy, what="test", country_iso_code="USA", measure_power_secs=0.5)


def test_measurement_is_positive_with_method_labels(usa: Measurement) -> None:
    assert usa.value > 0
    assert usa.data["energy_consumed"] > 0
    assert usa.data["emissions"] > 0
    assert usa.data["cpu_energy"] + usa.data["ram_energy"] + usa.data["gpu_energy"] == pytest.approx(
        usa.data["energy_consumed"], rel=1e-9
    )
    known = ("measured (", "estimated (", "constant", "not tracked")
    assert usa.methods["cpu_power_method"].startswith(known)
    assert usa.methods["ram_power_method"].startswith(known)
    assert usa.call_s >= 0.3
    assert usa.tracking_mode == "machine"


def test_emissions_equal_energy_times_codecarbon_intensity_for_country(usa: Measurement) -> None:
    # The bundled figure for the USA, read straight from codecarbon's data file.
    g_per_kwh = MIX["USA"]["carbon_intensity"]
    assert usa.intensity.g_per_kwh == pytest.approx(g_per_kwh, rel=1e-12)
    assert usa.data["emissions"] == pytest.approx(usa.data["energy_consumed"] * g_per_kwh / 1000, rel=1e-9)
    assert usa.data["country_iso_code"] == "USA"
    assert usa.data["country_name"] == MIX["USA"]["country_name"]


def test_configured_country_changes_the_intensity() -> None:
    m = measure(lambda: busy(0.1), what="test", country_iso_code="FRA", measure_power_secs=0.5)
    assert m.data["emissions"] == pytest.approx(
        m.data["energy_consumed"] * MIX["FRA"]["carbon_intensity"] / 1000, rel=1e-9
    )


def test_forced_intensity_equals_what_codecarbon_computes_unforced(tmp_path: Path) -> None:
    # Passing the intensity explicitly (to keep Electricity Maps out) must not change the figure.
    from codecarbon import OfflineEmissionsTracker

    from audits.emissions_equivalents import quiet_codecarbon

    with quiet_codecarbon():
        tracker = OfflineEmissionsTracker(
            country_iso_code="DEU", output_dir=str(tmp_path), measure_power_secs=0.5, log_level="error"
        )
        tracker.start()
        busy(0.1)
        tracker.stop()
    d = tracker.final_emissions_data
    ours = measure(lambda: busy(0.1), what="test", country_iso_code="DEU", measure_power_secs=0.5)
    assert d.emissions / d.energy_consumed == pytest.approx(
        ours.data["emissions"] / ours.data["energy_consumed"], rel=1e-9
    )


def test_stop_returning_none_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    # codecarbon swallows its own errors and returns None; that must not pass as a measurement.
    monkeypatch.setattr(codecarbon.OfflineEmissionsTracker, "stop", lambda self: None)
    with pytest.raises(EmissionsMeasurementError, match="stop\\(\\) gave None"):
        measure(lambda: None, what="test", measure_power_secs=0.5)


def test_exception_in_the_measured_call_stops_the_tracker() -> None:
    def fails() -> None:
        raise ZeroDivisionError("inside")

    with pytest.raises(ZeroDivisionError):
        measure(fails, what="test", measure_power_secs=0.5)
    # A later measurement still works (no scheduler or lock left behind).
    assert measure(lambda: 1, what="test", measure_power_secs=0.5).value == 1


def test_codecarbon_logging_stays_out_of_the_console(capfd: pytest.CaptureFixture[str]) -> None:
    logger = logging.getLogger("codecarbon")
    before = (list(logger.handlers), logger.level, list(logger.filters))
    m = measure(lambda: busy(0.1), what="test", country_iso_code="XXX", measure_power_secs=0.5)
    out, err = capfd.readouterr()
    assert "codecarbon" not in out + err
    # An unknown country makes codecarbon log an error; it is kept in the result instead of printed.
    assert any("XXX" in msg for msg in m.messages)
    assert (list(logger.handlers), logger.level, list(logger.filters)) == before


def test_power_methods_reads_the_tracker_hardware(usa: Measurement) -> None:
    class FakeCPU:
        _mode = "intel_rapl"

    class FakeTracker:
        _hardware = [FakeCPU()]

    FakeCPU.__name__ = "CPU"
    assert power_methods(FakeTracker())["cpu_power_method"] == "measured (RAPL)"
    if usa.methods["cpu_power_method"].startswith("estimated"):
        assert usa.methods["cpu_tdp_w"] and usa.methods["cpu_tdp_source"]


def test_overall_is_measured_only_when_every_used_component_is() -> None:
    from audits.emissions import _overall

    methods = {
        "cpu_power_method": "measured (RAPL)",
        "gpu_power_method": "no GPU",
        "ram_power_method": "estimated (codecarbon RAM model)",
    }
    data = {"cpu_energy": 3.0, "gpu_energy": 0.0, "ram_energy": 1.0}
    assert _overall(methods, data) == ("estimated", 0.75)
    assert _overall(methods, {**data, "ram_energy": 0.0}) == ("measured", 1.0)
    assert _overall(methods, {"cpu_energy": 0.0, "gpu_energy": 0.0, "ram_energy": 0.0}) == ("estimated", None)


def test_no_file_is_left_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    work, temp = tmp_path / "cwd", tmp_path / "temp"
    work.mkdir()
    temp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    measure(lambda: busy(0.05), what="test", measure_power_secs=0.5)
    assert list(work.iterdir()) == [] and list(temp.iterdir()) == []
