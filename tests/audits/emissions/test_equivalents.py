"""Grid intensity lookup, country comparison and everyday equivalents (offline, with sources)."""

from __future__ import annotations

import json
from pathlib import Path

import codecarbon
import pytest

from audits.emissions_equivalents import (
    EQUIVALENT_FACTORS,
    country_comparison,
    equivalents,
    grid_intensity,
)

MIX = json.loads(
    (Path(codecarbon.__file__).parent / "data" / "private_infra" / "global_energy_mix.json").read_text()
)


@pytest.mark.parametrize("code", ["USA", "FRA", "DEU", "IND", "NOR"])
def test_national_intensity_is_codecarbons_bundled_figure(code: str) -> None:
    gi = grid_intensity(code)
    assert gi.g_per_kwh == pytest.approx(MIX[code]["carbon_intensity"], rel=1e-12)
    assert gi.country_name == MIX[code]["country_name"] and gi.known_country
    assert gi.year == MIX[code]["year"]


def test_lower_case_code_is_accepted() -> None:
    assert grid_intensity("fra").g_per_kwh == grid_intensity("FRA").g_per_kwh


def test_unknown_country_gets_the_world_average_with_a_note() -> None:
    gi = grid_intensity("ZZZ")
    assert not gi.known_country and gi.g_per_kwh == pytest.approx(475)
    assert "world average" in gi.note


def test_unknown_region_falls_back_to_the_national_value() -> None:
    gi = grid_intensity("USA", region="Atlantis")
    assert gi.region is None and not gi.region_used
    assert gi.g_per_kwh == pytest.approx(MIX["USA"]["carbon_intensity"])
    assert "Atlantis" in gi.note


def test_country_comparison_arithmetic_and_order() -> None:
    rows = country_comparison(2.0, ["FRA", "usa", "IND", "FRA"], configured=grid_intensity("USA"))
    assert [r["country_iso_code"] for r in rows] == ["USA", "FRA", "IND"]
    assert rows[0]["configured"] and not rows[1]["configured"]
    for r in rows:
        assert r["emissions_kg"] == pytest.approx(2.0 * r["carbon_intensity_g_per_kwh"] / 1000)


def test_equivalents_divide_by_their_factor_and_cite_a_source() -> None:
    eq = equivalents(emissions_kg=0.5, energy_kwh=2.0)
    assert len(eq) == len(EQUIVALENT_FACTORS)
    for e in eq:
        basis = 0.5 if e["basis"] == "emissions" else 2.0
        assert e["value"] * e["factor"] == pytest.approx(basis)
        assert e["source"] and e["unit"]
    car = next(e for e in eq if "car" in e["label"])
    assert car["value"] == pytest.approx(0.5 / 0.2485)
