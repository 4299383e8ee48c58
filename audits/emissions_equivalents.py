"""Grid carbon intensity from codecarbon's bundled data, country comparisons and everyday equivalents.

Everything here is offline: the carbon intensity of a country (or US state / Canadian province / Nordic
bidding zone / Chinese province) comes from the data files shipped inside the codecarbon package, computed
with codecarbon's own ``Emissions`` engine and no API token, so the figures match what the tracker uses.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# Equivalents: (label, unit, basis, factor, factor_unit, source). ``basis`` says whether the factor divides
# the emissions (kg CO2eq) or the energy (kWh). Energy-based equivalents do not depend on the grid.
EQUIVALENT_FACTORS: tuple[tuple[str, str, str, float, str, str], ...] = (
    (
        "Distance driven by an average passenger car",
        "km",
        "emissions",
        0.2485,
        "kg CO2 per km",
        "US EPA, 'Greenhouse Gas Emissions from a Typical Passenger Vehicle' (2023): about 400 g CO2 per mile "
        "(= 0.2485 kg per km), tailpipe only.",
    ),
    (
        "Full smartphone charges",
        "charges",
        "energy",
        0.019,
        "kWh per charge",
        "US EPA Greenhouse Gas Equivalencies Calculator, 'Calculations and References', smartphones charged: "
        "about 0.019 kWh per full charge.",
    ),
    (
        "Hours of a 10 W LED light bulb",
        "hours",
        "energy",
        0.010,
        "kWh per hour",
        "Definition: a 10 W bulb uses 0.010 kWh per hour.",
    ),
    (
        "Days of electricity of an average US household",
        "days",
        "energy",
        10_791 / 365,
        "kWh per day",
        "US EIA, FAQ 'How much electricity does an American home use?': 10,791 kWh per year in 2022 "
        "(about 29.6 kWh per day).",
    ),
)

DATA_SOURCE_NOTE = (
    "codecarbon's bundled grid data (data/private_infra/global_energy_mix.json, national yearly averages; "
    "regional files for US states, Canadian provinces, Nordic zones and Chinese provinces), offline"
)


@dataclass(frozen=True)
class GridIntensity:
    """Carbon intensity of electricity used for a country (and optional region)."""

    country_iso_code: str
    country_name: str | None
    region: str | None
    g_per_kwh: float
    year: int | None
    known_country: bool
    region_used: bool
    note: str


_CODECARBON_LOCK = threading.RLock()


class _Capture(logging.Filter):
    """Collect codecarbon's log records and stop them from reaching any handler (the user's console)."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            try:
                self.messages.append(f"{record.levelname}: {record.getMessage()}")
            except Exception:  # a malformed log call must not break a measurement
                self.messages.append(f"{record.levelname}: {record.msg}")
        return False


class quiet_codecarbon:
    """Context manager: codecarbon's logger emits nothing; its warnings and errors are collected in
    ``messages``. Levels, handlers and filters are restored on exit (codecarbon changes them itself)."""

    def __init__(self, *, level: int = logging.WARNING) -> None:
        self._level = level
        self._capture = _Capture()
        self.messages = self._capture.messages

    def __enter__(self) -> quiet_codecarbon:
        # One codecarbon session at a time in this process: the logger is shared, and two whole-machine
        # measurements at once would each count the other's power.
        _CODECARBON_LOCK.acquire()
        self._logger = logging.getLogger("codecarbon")
        self._saved = (list(self._logger.handlers), self._logger.level, self._logger.propagate)
        self._logger.addFilter(self._capture)
        self._logger.setLevel(self._level)
        return self

    def __exit__(self, *exc: object) -> None:
        handlers, level, propagate = self._saved
        self._logger.removeFilter(self._capture)
        self._logger.handlers = handlers
        self._logger.setLevel(level)
        self._logger.propagate = propagate
        _CODECARBON_LOCK.release()


@functools.lru_cache(maxsize=1)
def energy_mix() -> dict[str, Any]:
    """codecarbon's bundled national energy-mix table, keyed by ISO 3166-1 alpha-3 code."""
    from codecarbon.input import DataSource

    return DataSource().get_global_energy_mix_data()


@functools.lru_cache(maxsize=256)
def grid_intensity(country_iso_code: str, *, region: str | None = None) -> GridIntensity:
    """Carbon intensity (g CO2eq/kWh) that codecarbon's offline tracker applies for a country and region.

    Parameters
    ----------
    country_iso_code : ISO 3166-1 alpha-3 code, e.g. ``"USA"``.
    region : optional US state, Canadian province, Nordic zone (SE1..SE4, NO1..NO5, FI) or Chinese province.

    Returns
    -------
    GridIntensity : unknown countries get codecarbon's world average (``known_country`` False, with a note).
    """
    from codecarbon.core.emissions import Emissions
    from codecarbon.core.units import Energy
    from codecarbon.external.geography import GeoMetadata
    from codecarbon.input import DataSource

    code = str(country_iso_code).strip().upper()
    mix = energy_mix()
    row = mix.get(code)
    name = row.get("country_name") if row else None
    year = row.get("year") if row else None
    # No API token: codecarbon then reads only its bundled files.
    engine = Emissions(DataSource(), electricitymaps_api_token=None)
    with quiet_codecarbon() as q:
        national = engine.get_private_infra_emissions(
            Energy.from_energy(kWh=1.0), GeoMetadata(country_iso_code=code, country_name=name)
        )
        regional = None
        if region:
            regional = engine.get_private_infra_emissions(
                Energy.from_energy(kWh=1.0),
                GeoMetadata(country_iso_code=code, country_name=name, region=region),
            )
    region_failed = any("Regional emissions retrieval failed" in m for m in q.messages)
    region_used = bool(region) and not region_failed and regional is not None
    g = (regional if region_used else national) * 1000.0
    notes = []
    if row is None:
        notes.append(
            f"'{code}' is not in codecarbon's energy-mix data; codecarbon uses its world average "
            f"({g:.0f} g CO2eq/kWh)."
        )
    elif region and not region_used:
        notes.append(f"Region '{region}' is not in codecarbon's regional data; the national value is used.")
    elif region_used and regional is not None and abs(regional - national) < 1e-15:
        notes.append(f"Region '{region}' has no regional figure in codecarbon; the national value is used.")
        region_used = False
    if region_used:
        notes.append(f"Regional value for '{region}' from codecarbon's regional data.")
    elif row is not None:
        notes.append(f"National average for {name} ({year}).")
    return GridIntensity(
        country_iso_code=code,
        country_name=name,
        region=region if region_used else None,
        g_per_kwh=float(g),
        year=None if year is None else int(year),
        known_country=row is not None,
        region_used=region_used,
        note=" ".join(notes),
    )


def country_comparison(
    energy_kwh: float, countries: Iterable[str], *, configured: GridIntensity
) -> list[dict[str, Any]]:
    """What ``energy_kwh`` would emit on the grid of each country (national averages), configured one first."""
    rows = [
        {
            "country_iso_code": configured.country_iso_code,
            "country_name": configured.country_name,
            "region": configured.region,
            "carbon_intensity_g_per_kwh": configured.g_per_kwh,
            "emissions_kg": energy_kwh * configured.g_per_kwh / 1000.0,
            "configured": True,
            "note": configured.note,
        }
    ]
    seen = {configured.country_iso_code}
    for code in countries:
        code = str(code).strip().upper()
        if code in seen:
            continue
        seen.add(code)
        gi = grid_intensity(code)
        rows.append(
            {
                "country_iso_code": code,
                "country_name": gi.country_name,
                "region": None,
                "carbon_intensity_g_per_kwh": gi.g_per_kwh,
                "emissions_kg": energy_kwh * gi.g_per_kwh / 1000.0,
                "configured": False,
                "note": gi.note,
            }
        )
    return rows


def equivalents(
    *, emissions_kg: float, energy_kwh: float, factors: Sequence[tuple] = EQUIVALENT_FACTORS
) -> list[dict[str, Any]]:
    """Everyday equivalents of an amount of emissions and energy, each with its factor and source."""
    out = []
    for label, unit, basis, factor, factor_unit, source in factors:
        amount = emissions_kg if basis == "emissions" else energy_kwh
        out.append(
            {
                "label": label,
                "value": amount / factor,
                "unit": unit,
                "factor": factor,
                "factor_unit": factor_unit,
                "basis": basis,
                "source": source,
            }
        )
    return out
