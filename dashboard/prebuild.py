"""Compute the demo audit before the dashboard starts: ``python -m dashboard.prebuild`` (``make demo`` runs it).

The demo's result is saved as JSON in ``artifacts/demo_cache/`` (or ``RAI_AUDIT_DEMO_CACHE``), named by the hash
of its inputs and of the engine's source, so the dashboard opens it at once and a code change computes it again.
A result already there is reused; ``--force`` computes it anyway. Progress goes to the terminal.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="compute the demo again even if it is cached")
    args = parser.parse_args(argv)
    # Outside `streamlit run` the page caches warn that no runtime is running: expected here, not news.
    os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")
    from dashboard import services

    inputs = services.sample_audit_inputs(services.DEMO_SAMPLE)
    path = services.demo_cache_path(inputs)
    title = services.SAMPLES[services.DEMO_SAMPLE].title
    if path.is_file() and not args.force:
        print(f"Demo audit ({title}) already computed: {path}. The dashboard opens it at once.")
        return 0
    print(
        f"Computing the demo audit ({title}) before the dashboard starts; this happens once per code version "
        "(about a minute: the emissions section re-fits the model).",
        flush=True,
    )
    t0 = time.perf_counter()
    shown: set[str] = set()

    def progress(section: str, fraction: float, message: str) -> None:
        if section not in shown:
            shown.add(section)
            print(f"  [{time.perf_counter() - t0:5.1f} s] {message}", flush=True)

    try:
        result = services.run_audit_inputs(inputs, progress=progress)
    except Exception as exc:  # the dashboard still starts and audits the demo as a job
        print(
            f"The demo audit could not be computed ({type(exc).__name__}: {exc}); the dashboard will audit it."
        )
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    result.save_json(tmp)
    os.replace(tmp, path)  # atomic: a dashboard starting meanwhile never reads half a file
    for old in path.parent.glob("demo-*.json"):
        if old != path:
            old.unlink(missing_ok=True)  # results of older code or inputs are never read again
    print(f"Demo audit computed in {time.perf_counter() - t0:.0f} s and saved to {path}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
