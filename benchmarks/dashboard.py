"""The dashboard as a user meets it, timed in a real browser (headless Debian chromium driven by Playwright).

Cases:

- ``demo``: ``python -m dashboard.prebuild`` then ``streamlit run dashboard/app.py -- --demo`` (what ``make demo``
  does); the time from opening the page to the demo's Overview drawn; then every page, clicked in the sidebar
  from another page, from the click to the page drawn (its own h1 title in the main area, the app's script state
  back to notRunning, the running indicator gone, and every plotly chart of the main area drawn), twice (first
  visit and revisit). ``--screenshots DIR`` saves each page's first visit whole.
- ``million``: a 1,000,000-row dataset made by resampling the Adult test split (small noise on the numeric columns),
  uploaded through the Setup page with the Adult model, the train split as reference and the sample's config; the
  time from the first upload to "The audit is ready" (upload, the live check, the audit job); the server's peak
  RSS (VmHWM); then every page as above on that audit.

Targets (issue 15): the demo Overview <= 5 s from opening on a quiet machine; every page <= 1 s from click to drawn;
the 1,000,000-row upload end to end <= 45 s with peak RSS <= 2 GB.

Run: ``.venv/bin/python benchmarks/dashboard.py [--cases demo,million] [--rows 1000000]``
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ADULT = ROOT / "sample_data" / "adult"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PAGES = [
    ("Data quality", "Data quality"),
    ("Fairness", "Fairness"),
    ("Explanations", "Explanations"),
    ("Emissions", "Environmental impact"),
    ("Model card & export", "Model card & export"),
    ("History", "History"),
    ("Setup", "Set up an audit"),
    ("Overview", "Audit overview"),
]
TARGET_FIRST_LOAD_S = 5.0
TARGET_PAGE_S = 1.0
TARGET_MILLION_S = 45.0
TARGET_RSS_MB = 2048.0


def million_rows(n: int, seed: int = 0) -> pd.DataFrame:
    base = pd.read_csv(ADULT / "adult_test.csv", na_values=["?"], skipinitialspace=True)
    rng = np.random.default_rng(seed)
    df = base.iloc[rng.integers(0, len(base), size=n)].reset_index(drop=True)
    for col in ("age", "hours_per_week"):
        df[col] = np.clip(df[col] + rng.integers(-2, 3, size=n), 17, 99)
    df["fnlwgt"] = df["fnlwgt"] + rng.integers(-500, 500, size=n)
    return df


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run dashboard/app.py`` on a free loopback port."""

    def __init__(self, env: dict[str, str], *, demo: bool) -> None:
        self.port = _free_port()
        self.log = tempfile.NamedTemporaryFile("w", suffix=".log", delete=False)  # noqa: SIM115
        args = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "dashboard" / "app.py"),
            "--server.headless=true",
            f"--server.port={self.port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
        ]
        if demo:
            args += ["--", "--demo"]
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"streamlit did not start; see {self.log.name}")

    def peak_rss_mb(self) -> float:
        """The server process's peak resident memory (VmHWM), in MB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# Every chart of the main area drawn by plotly.js (its SVG layer attached), not only its element sent.
CHARTS_DRAWN_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stPlotlyChart"]')]
    .every(e => e.querySelector('.main-svg') !== null)"""


def _drawn(pg, timeout_ms: int = 120_000) -> None:
    """Wait until Streamlit's script run is over (the app's script state back to notRunning, its running
    indicator gone) and every chart of the main area is drawn."""
    pg.wait_for_timeout(50)
    pg.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        state="attached", timeout=timeout_ms
    )
    pg.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=timeout_ms)
    pg.wait_for_function(CHARTS_DRAWN_JS, timeout=timeout_ms)


def _page_drawn(pg, heading: str, timeout_ms: int = 120_000) -> None:
    """Wait for the page titled ``heading``: its own title (an h1 of the main area: Overview's section
    subheaders share the section pages' names, so a bare heading match fired on the page left behind), then the
    end of its run. The title only appears once the new run has started, so the run-state test that follows
    cannot see the previous page's finished state."""
    main = pg.get_by_test_id("stMain")
    main.get_by_role("heading", level=1, name=heading, exact=True).first.wait_for(timeout=timeout_ms)
    _drawn(pg, timeout_ms)


def _screenshot(pg, path: Path) -> None:
    """The whole page: Streamlit scrolls its main area, not the document, so the window is made as tall as the
    content for the shot (at most 6,000 px) and set back afterwards."""
    height = pg.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]'); return m ? m.scrollHeight : 900; }"
    )
    pg.set_viewport_size({"width": 1440, "height": min(max(int(height), 900), 6000)})
    pg.wait_for_timeout(500)
    _drawn(pg)
    pg.screenshot(path=str(path))
    pg.set_viewport_size({"width": 1440, "height": 900})
    pg.wait_for_timeout(200)


def time_pages(pg, case: str, shots: Path | None) -> list[tuple[str, float, float]]:
    """Click-to-drawn seconds of every page, first visit and revisit, each click made from another page drawn
    (Overview, or Fairness for the Overview itself); a full-page screenshot of each first visit into ``shots``."""
    out = []
    nav = pg.locator('[data-testid="stSidebarNav"]')
    here = "Overview"  # where the first load left the browser
    for link, heading in PAGES:
        times = []
        for _ in range(2):
            other = "Overview" if link != "Overview" else "Fairness"
            if here != other:
                nav.get_by_role("link", name=other).click()
                _page_drawn(pg, dict(PAGES)[other])
            t0 = time.perf_counter()
            nav.get_by_role("link", name=link).click()
            _page_drawn(pg, heading)
            times.append(time.perf_counter() - t0)
            here = link
            if shots is not None and not times[1:]:
                _screenshot(pg, shots / f"{case}_{link.split()[0].lower()}.png")
        out.append((link, times[0], times[1]))
    return out


def _print_pages(case: str, rows: list[tuple[str, float, float]]) -> None:
    for link, first, second in rows:
        worst = max(first, second)
        print(
            f"{case:<9}{link:<22}{first:>10.2f}{second:>12.2f}{TARGET_PAGE_S:>11.1f}"
            f"{'  ok' if worst <= TARGET_PAGE_S else '  OVER'}"
        )


def _upload(pg, label: str, path: Path) -> None:
    box = pg.get_by_role("region", name=label, exact=True)
    box.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    _drawn(pg, timeout_ms=600_000)


def run_demo(browser, env: dict[str, str], shots: Path | None = None) -> None:
    t0 = time.perf_counter()
    built = subprocess.run(
        [sys.executable, "-m", "dashboard.prebuild"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    print(f"# demo: prebuild {time.perf_counter() - t0:.1f} s: {built.stdout.strip().splitlines()[-1]}")
    server = Server(env, demo=True)
    try:
        pg = browser.new_page(viewport={"width": 1440, "height": 900})
        t0 = time.perf_counter()
        pg.goto(server.url)
        pg.get_by_test_id("stMain").get_by_role("heading", level=1, name="Audit overview").wait_for(
            timeout=300_000
        )
        shown = time.perf_counter() - t0
        _drawn(pg)
        drawn = time.perf_counter() - t0
        print(
            f"# demo: Overview heading {shown:.2f} s, fully drawn {drawn:.2f} s after opening "
            f"(target {TARGET_FIRST_LOAD_S:g} s){'' if drawn <= TARGET_FIRST_LOAD_S else '  OVER'}"
        )
        _print_pages("demo", time_pages(pg, "demo", shots))
        print(f"# demo: server peak RSS {server.peak_rss_mb():.0f} MB")
        pg.close()
    finally:
        server.stop()


def run_million(browser, env: dict[str, str], rows: int, shots: Path | None = None) -> None:
    folder = Path(tempfile.mkdtemp(prefix="rai-bench-"))
    data = folder / f"adult_resampled_{rows}.csv"
    million_rows(rows).to_csv(data, index=False)
    from audits import AuditConfig

    config = folder / "audit.yaml"
    config.write_text(AuditConfig.from_yaml(ADULT / "audit.yaml").to_yaml(file_keys=False))
    print(f"# million: {rows:,} rows, {data.stat().st_size / 1e6:.0f} MB CSV")
    server = Server({**env, "RAI_AUDIT_DEMO": ""}, demo=False)
    try:
        pg = browser.new_page(viewport={"width": 1440, "height": 900})
        pg.goto(server.url)
        pg.get_by_role("heading", name="Set up an audit").wait_for()
        _drawn(pg)
        pg.get_by_text("Upload my files").click()
        _drawn(pg)
        t0 = time.perf_counter()
        _upload(pg, "Dataset (CSV or Parquet)", data)
        t_data = time.perf_counter() - t0
        _upload(pg, "Model (.skops or .onnx)", ADULT / "adult_gbm.skops")
        _upload(pg, "Reference dataset (optional)", ADULT / "adult_train.csv")
        _upload(pg, "Config YAML (optional)", config)
        pg.get_by_text("Ready:").first.wait_for(timeout=600_000)
        t_ready = time.perf_counter() - t0
        pg.get_by_role("button", name="Run the audit").click()
        pg.get_by_text("The audit is ready").first.wait_for(timeout=900_000)
        total = time.perf_counter() - t0
        _drawn(pg)
        rss = server.peak_rss_mb()
        print(
            f"# million: dataset uploaded and read {t_data:.1f} s; form checked {t_ready:.1f} s; audit ready "
            f"{total:.1f} s after the first upload (target {TARGET_MILLION_S:g} s)"
            f"{'' if total <= TARGET_MILLION_S else '  OVER'}; server peak RSS {rss:.0f} MB "
            f"(target {TARGET_RSS_MB:.0f}){'' if rss <= TARGET_RSS_MB else '  OVER'}"
        )
        _print_pages("million", time_pages(pg, "million", shots))
        pg.close()
    finally:
        server.stop()
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cases", default="demo,million")
    parser.add_argument(
        "--screenshots", type=Path, default=None, help="save a full-page PNG of each page's first visit here"
    )
    parser.add_argument(
        "--demo-cache",
        type=Path,
        default=None,
        help="folder of the prebuilt demo result to reuse (default: a fresh one, so the demo is computed)",
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    cache = str(args.demo_cache) if args.demo_cache else tempfile.mkdtemp(prefix="rai-demo-cache-")
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "RAI_AUDIT_DEMO_CACHE": cache,
        "RAI_AUDIT_STORE": "",
        "PYTHONUNBUFFERED": "1",
    }
    print(f"{'case':<9}{'page':<22}{'first (s)':>10}{'revisit (s)':>12}{'target (s)':>11}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            for case in args.cases.split(","):
                if case == "demo":
                    run_demo(browser, env, args.screenshots)
                elif case == "million":
                    run_million(browser, env, args.rows, args.screenshots)
                else:
                    raise SystemExit(f"--cases: unknown case {case!r}; use demo and/or million")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
