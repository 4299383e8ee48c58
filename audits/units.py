"""Numbers a person reads: plain decimals with significant digits, and grams / kWh in the unit that reads best.

A leaf module, so the engine's sentences (audits) and the reports (``reports.formatting``) follow one number policy:
no scientific notation.
"""

from __future__ import annotations

import math

SMALLER_UNITS = {
    "g": (("g", 1.0), ("mg", 1e-3), ("µg", 1e-6), ("ng", 1e-9)),
    "kWh": (("kWh", 1.0), ("Wh", 1e-3), ("mWh", 1e-6), ("µWh", 1e-9)),
}


def plain(x: float, digits: int = 3) -> str:
    """``x`` in plain decimal notation with ``digits`` significant digits (never scientific notation)."""
    if x == 0:
        return "0"
    rounded = float(f"{x:.{digits}g}")
    decimals = min(max(digits - 1 - math.floor(math.log10(abs(rounded))), 0), 15)
    text = f"{rounded:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def with_unit(x: float, unit: str = "", digits: int = 3) -> str:
    """``x`` with ``digits`` significant digits; grams and kWh below one unit's thousandth move to a smaller unit
    (``0.00034 g`` -> ``340 µg``)."""
    if unit in SMALLER_UNITS and 0 < abs(x) < 1e-3:
        units = SMALLER_UNITS[unit]
        name, scale = next(((n, sc) for n, sc in units[1:] if abs(x) / sc >= 0.1), units[-1])
        return f"{plain(x / scale, digits)} {name}"
    return f"{plain(x, digits)} {unit}".strip()
