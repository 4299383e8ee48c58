"""How the numbers of an audit are obtained: the policy normalised once, the method record every section writes,
and the one way the engine writes an interval in a sentence.

``Sampling`` is read from the config when the context is built; sections read ``ctx.sampling`` rather than
re-interpreting ``policy.n_bootstrap`` or ``confidence_level`` each in its own way. ``Method`` is what a section
records under ``metrics["method"]`` (JSON-safe via :meth:`Method.to_dict`), so every reader finds the interval
method, confidence, resamples, seed, rows used and sample caps under the same keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audits.config import AuditConfig

# Resamples of a row bootstrap (each one recomputes the metric over the rows, unlike a count bootstrap).
ROW_BOOTSTRAP_RESAMPLES = 1000  # BCa endpoints need about 1,000 resamples (Efron & Tibshirani 1993, ch. 14)
METHOD_KEY = "method"  # where a section stores its Method in ``SectionResult.metrics``
NO_RESAMPLES = "no interval (n_bootstrap: 0)"


@dataclass(frozen=True)
class Sampling:
    """The policy's sampling settings, normalised once for every section.

    Parameters
    ----------
    confidence_level : two-sided level of every interval (0.95).
    n_bootstrap : resamples of count bootstraps; 0 means no resampling interval at all (closed-form intervals
        only, where one exists).
    row_resamples : resamples of row bootstraps, ``min(n_bootstrap, ROW_BOOTSTRAP_RESAMPLES)``.
    row_cap : rows drawn per row-bootstrap resample at most.
    seed : seed of every random draw.
    """

    confidence_level: float
    n_bootstrap: int
    row_resamples: int
    row_cap: int
    seed: int

    @property
    def resampling(self) -> bool:
        """False when ``n_bootstrap: 0`` turned resampling intervals off."""
        return self.n_bootstrap > 0

    @property
    def level_label(self) -> str:
        """The level as the sentences write it: ``95%``."""
        return f"{self.confidence_level:.0%}"

    @classmethod
    def from_config(cls, config: AuditConfig) -> Sampling:
        p = config.policy
        n_boot = max(int(p.n_bootstrap), 0)
        return cls(
            confidence_level=float(p.confidence_level),
            n_bootstrap=n_boot,
            row_resamples=min(n_boot, ROW_BOOTSTRAP_RESAMPLES),
            row_cap=max(int(p.bootstrap_row_cap), 1),
            seed=int(config.seed),
        )


@dataclass(frozen=True)
class Method:
    """How one section obtained its numbers, with the same keys in every section.

    Parameters
    ----------
    interval : the interval method in a few words (``"bootstrap percentile"``, ``"Wilson score"``, ``"none"``).
    confidence_level : level of the intervals; None when the section gives none.
    resamples : bootstrap resamples behind the intervals (0: none).
    seed : seed of the random draws.
    rows : rows the section used.
    sample_caps : named caps on the rows or resamples used (``{"row_cap": 20000}``).
    """

    interval: str
    confidence_level: float | None
    resamples: int
    seed: int
    rows: int
    sample_caps: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "interval": self.interval,
            "confidence_level": self.confidence_level,
            "resamples": int(self.resamples),
            "seed": int(self.seed),
            "rows": int(self.rows),
            "sample_caps": {str(k): int(v) for k, v in self.sample_caps.items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Method:
        return cls(
            interval=str(d["interval"]),
            confidence_level=None if d.get("confidence_level") is None else float(d["confidence_level"]),
            resamples=int(d.get("resamples", 0)),
            seed=int(d.get("seed", 0)),
            rows=int(d.get("rows", 0)),
            sample_caps=dict(d.get("sample_caps", {})),
        )


def format_ci(low: float, high: float, level: float | str, fmt: str = ".3f") -> str:
    """``95% CI 0.310–0.350``; ``level`` is a confidence level or a ready label (``"Holm-adjusted 97.5%"``)."""
    label = level if isinstance(level, str) else f"{level:.0%}"
    return f"{label} CI {low:{fmt}}–{high:{fmt}}"


def format_estimate(
    value: float,
    low: float | None,
    high: float | None,
    level: float | str,
    fmt: str = ".3f",
    *,
    no_interval: str = "no interval",
) -> str:
    """An estimate with its interval, the one way the engine's sentences write it: ``0.330 (95% CI 0.310–0.350)``,
    or ``0.330 (no interval)`` when a bound is missing."""
    if low is None or high is None:
        return f"{value:{fmt}} ({no_interval})"
    return f"{value:{fmt}} ({format_ci(low, high, level, fmt)})"
