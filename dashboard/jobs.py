"""Audits as jobs owned by the server, not by a page script.

A Streamlit script run belongs to one browser tab: it is interrupted when the user clicks another page and gone
when the tab is closed or reloaded, while an audit of a million rows takes a minute. So an audit runs here, in a
worker thread of this module's executor (one per server process), keyed by the audit's id. Pages only read the
job's progress (``st.fragment(run_every=...)`` polling in ``app.py``) and may ask it to stop: the runner's
progress callback raises :class:`~audits.runner.CancelledError` at its next step.

The executor has ``RAI_AUDIT_DASHBOARD_WORKERS`` threads (1 or 2, default 1): audits are CPU-heavy, and two at
once on a small server only make both slower. Jobs wait their turn in order ("queued").
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from audits.runner import CancelledError

log = logging.getLogger("rai_audit.dashboard")

WORKERS_ENV = "RAI_AUDIT_DASHBOARD_WORKERS"
MAX_WORKERS = 2
KEEP_FINISHED = 64  # finished jobs remembered (a reload of an old tab still finds where its audit went)

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)


# Python's full garbage collection walks every object tracked by it: ~280,000 once the server has imported its
# modules, 0.14-0.2 s per walk on a 2-core machine, and Streamlit's reruns set one off about once a second while
# an audit runs (57 of them, 9.8 s, in the 1,000,000-row benchmark). So when a job starts and when it ends,
# everything is thawed, collected once (garbage left by interrupted page runs can hold a 100 MB upload: frozen
# uncollected, it raised that benchmark's peak memory by 0.8 GB) and what survived (modules, kept audits) is
# frozen out of later walks (gc.freeze): 10 walks instead of 57, the audit 4 s sooner. Objects evicted after a
# job wait for the next job's collection if they are in reference cycles.
def _collect_and_freeze() -> None:
    """Thaw every frozen object, collect the garbage among them and what is new, freeze what survived."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


# Rough share of an audit's time per step, used only until a step reports its own fraction: the estimate of the
# time left is elapsed x (1 - done) / done over these weights.
STEP_WEIGHTS = {
    "setup": 1.0,
    "performance": 0.5,
    "data_quality": 2.0,
    "fairness": 3.0,
    "explanation": 3.0,
    "emissions": 4.0,
}
STEP_TITLES = {"setup": "Load and validate"}

ProgressFn = Callable[[str, float, str], None]
_log = logging.getLogger("rai_audit.jobs")


@dataclass
class Step:
    """One step of a job as the page shows it."""

    name: str
    title: str
    fraction: float = 0.0
    message: str = "waiting"
    started: float | None = None
    finished: float | None = None

    def seconds(self, now: float) -> float | None:
        if self.started is None:
            return None
        return (self.finished or now) - self.started


@dataclass
class Job:
    """An audit running (or run) in the background. Read it through :func:`snapshot`; only the worker writes."""

    id: str
    label: str
    steps: dict[str, Step]
    content_key: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    status: str = QUEUED
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    error: str | None = None  # a user-facing message (already written by the caller's error handler)
    audit_id: str | None = None  # the id the result is kept under once done (may differ: the audit store's)
    value: Any = None  # what the work returned
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def done_fraction(self) -> float:
        total = sum(STEP_WEIGHTS.get(n, 1.0) for n in self.steps) or 1.0
        return sum(STEP_WEIGHTS.get(n, 1.0) * s.fraction for n, s in self.steps.items()) / total

    def seconds_left(self, now: float | None = None) -> float | None:
        """Time left, extrapolated from the time spent and the weighted share done; None until 2% is done."""
        if self.status != RUNNING or self.started is None:
            return None
        now = time.monotonic() if now is None else now
        done = self.done_fraction()
        if done < 0.02:
            return None
        return max(0.0, (now - self.started) * (1.0 - done) / done)


@dataclass(frozen=True)
class JobView:
    """A consistent copy of a job for drawing (no locks held while the page draws)."""

    id: str
    label: str
    status: str
    steps: tuple[Step, ...]
    elapsed_s: float
    seconds_left: float | None
    fraction: float
    error: str | None
    audit_id: str | None
    inputs: dict[str, Any]
    content_key: str

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class JobBoard:
    """The server's jobs by id, and the executor that runs them."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, min(MAX_WORKERS, int(workers)))
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="rai-audit-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._futures: dict[str, Future] = {}
        self._lock = threading.Lock()

    # --- submitting ---------------------------------------------------------------------------------------
    def submit(
        self,
        job_id: str,
        work: Callable[[ProgressFn], Any],
        *,
        label: str,
        steps: Sequence[tuple[str, str]],
        content_key: str = "",
        inputs: dict[str, Any] | None = None,
        on_done: Callable[[Job, Any], str] | None = None,
        on_error: Callable[[BaseException], str] | None = None,
    ) -> str:
        """Queue ``work(progress)`` under ``job_id``; returns the id of the job that will produce the result.

        A job of the same ``content_key`` that is still queued or running is joined instead of starting a second
        one (two tabs opening the demo at once share one audit). ``on_done(job, value)`` runs in the worker and
        returns the id the result is kept under; ``on_error(exc)`` turns a failure into the message shown.
        """
        with self._lock:
            if content_key:
                for other in self._jobs.values():
                    if other.content_key == content_key and other.status in (QUEUED, RUNNING):
                        return other.id
            job = Job(
                id=job_id,
                label=label,
                steps={n: Step(n, t) for n, t in steps},
                content_key=content_key,
                inputs=dict(inputs or {}),
            )
            self._jobs[job_id] = job
            self._trim()
            self._futures[job_id] = self._executor.submit(self._run, job, work, on_done, on_error)
        return job_id

    def _trim(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.status in FINISHED]
        for k in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            self._jobs.pop(k, None)
            self._futures.pop(k, None)

    # --- the worker ---------------------------------------------------------------------------------------
    def _progress(self, job: Job) -> ProgressFn:
        def progress(section: str, fraction: float, message: str) -> None:
            if job.cancel.is_set():
                raise CancelledError("cancelled by the user")
            now = time.monotonic()
            with job.lock:
                step = job.steps.get(section)
                if step is None:
                    return
                if step.started is None:
                    step.started = now
                f = min(max(float(fraction), 0.0), 1.0)
                step.fraction = max(step.fraction, f)
                step.message = str(message)
                if f >= 1.0:
                    step.finished = now
                    step.fraction = 1.0

        return progress

    def _run(
        self,
        job: Job,
        work: Callable[[ProgressFn], Any],
        on_done: Callable[[Job, Any], str] | None,
        on_error: Callable[[BaseException], str] | None,
    ) -> None:
        with job.lock:
            if job.cancel.is_set():
                job.status, job.finished = CANCELLED, time.monotonic()
                return
            job.status, job.started = RUNNING, time.monotonic()
        _collect_and_freeze()
        try:
            self._finish(job, work, on_done, on_error)
        finally:
            _collect_and_freeze()

    def _finish(
        self,
        job: Job,
        work: Callable[[ProgressFn], Any],
        on_done: Callable[[Job, Any], str] | None,
        on_error: Callable[[BaseException], str] | None,
    ) -> None:
        try:
            value = work(self._progress(job))
            audit_id = on_done(job, value) if on_done is not None else job.id
        except CancelledError:
            with job.lock:
                job.status, job.finished = CANCELLED, time.monotonic()
            return
        except Exception as exc:  # the message is for the user; the handler logs the details
            message = on_error(exc) if on_error is not None else "The audit failed."
            with job.lock:
                job.status, job.error, job.finished = FAILED, message, time.monotonic()
            return
        with job.lock:
            for step in job.steps.values():  # a step the work skipped (not selected) is not left "waiting"
                if step.fraction < 1.0:
                    step.fraction, step.finished = 1.0, job.started
                    step.message = step.message if step.started else "not run"
            # with on_done the result is kept where on_done put it; the board keeps only where that is
            job.value, job.audit_id = (value if on_done is None else None), audit_id
            job.status, job.finished = DONE, time.monotonic()
        # for the operator (logger rai_audit.jobs at INFO): where a job's time went, step by step
        _log.info(
            "job %s done in %.1f s: %s",
            job.id[:8],
            job.finished - job.started,
            ", ".join(
                f"{s.name} {s.finished - s.started:.1f} s"
                for s in job.steps.values()
                if s.started is not None and s.finished is not None
            ),
        )

    # --- reading and steering -----------------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def snapshot(self, job_id: str) -> JobView | None:
        job = self.get(job_id)
        if job is None:
            return None
        now = time.monotonic()
        with job.lock:
            start = job.started or job.submitted
            return JobView(
                id=job.id,
                label=job.label,
                status=job.status,
                steps=tuple(Step(**vars(s)) for s in job.steps.values()),
                elapsed_s=(job.finished or now) - start,
                seconds_left=job.seconds_left(now),
                fraction=1.0 if job.status == DONE else job.done_fraction(),
                error=job.error,
                audit_id=job.audit_id,
                inputs=dict(job.inputs),
                content_key=job.content_key,
            )

    def value(self, job_id: str) -> Any:
        job = self.get(job_id)
        return None if job is None else job.value

    def cancel(self, job_id: str) -> bool:
        """Ask a job to stop at its next progress report; True when it was still queued or running."""
        job = self.get(job_id)
        if job is None:
            return False
        with job.lock:
            if job.status in FINISHED:
                return False
            job.cancel.set()
            future = self._futures.get(job_id)
            if job.status == QUEUED and future is not None and future.cancel():  # never started: never will
                job.status, job.finished = CANCELLED, time.monotonic()
        return True

    def active(self) -> list[str]:
        """Ids of the jobs queued or running, oldest first."""
        with self._lock:
            return [k for k, j in self._jobs.items() if j.status in (QUEUED, RUNNING)]

    def wait(self, job_id: str, timeout: float | None = None) -> JobView | None:
        """Block until the job has finished (tests, ``dashboard.prebuild``); returns its final view."""
        with self._lock:
            future = self._futures.get(job_id)
        if future is not None:
            # the job records its own failure; a cancelled future or a timeout raises here
            with contextlib.suppress(Exception):
                future.result(timeout=timeout)
        return self.snapshot(job_id)


def _workers_from_env() -> int:
    try:
        return int(os.environ.get(WORKERS_ENV, "1"))
    except ValueError:
        return 1


_BOARD: JobBoard | None = None
_BOARD_LOCK = threading.Lock()


def board() -> JobBoard:
    """The server's job board (created on first use; one per process, shared by every session)."""
    global _BOARD
    with _BOARD_LOCK:
        if _BOARD is None:
            _BOARD = JobBoard(_workers_from_env())
        return _BOARD


def format_seconds(seconds: float | None) -> str:
    """``75`` -> ``"1 min 15 s"``; ``4.2`` -> ``"4 s"``; None -> ``"estimating…"``."""
    if seconds is None:
        return "estimating…"
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    return f"{s // 60} min {s % 60:02d} s"


__all__ = [
    "CANCELLED",
    "DONE",
    "FAILED",
    "FINISHED",
    "QUEUED",
    "RUNNING",
    "Job",
    "JobBoard",
    "JobView",
    "Step",
    "board",
    "format_seconds",
]
