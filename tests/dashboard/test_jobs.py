"""Audits as server jobs (dashboard/jobs.py): progress per step, time estimate, cancel, failure, sharing."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from audits.runner import CancelledError
from dashboard import jobs

STEPS = [("setup", "Load and validate"), ("performance", "Model performance"), ("fairness", "Fairness")]


@pytest.fixture()
def board():
    return jobs.JobBoard(workers=1)


def _blocked(release: threading.Event, reached: threading.Event):
    def work(progress):
        progress("setup", 1.0, "validated")
        progress("performance", 0.5, "half way")
        reached.set()
        release.wait(10)
        progress("performance", 1.0, "done")
        return "the result"

    return work


def test_a_job_reports_each_step_and_ends_done_with_its_value(board):
    release, reached = threading.Event(), threading.Event()
    job_id = board.submit("j1", _blocked(release, reached), label="Auditing d.csv", steps=STEPS)
    assert reached.wait(10)
    view = board.snapshot(job_id)
    assert view.status == jobs.RUNNING and not view.finished
    steps = {s.name: s for s in view.steps}
    assert steps["setup"].fraction == 1.0 and steps["setup"].finished is not None
    assert (steps["performance"].fraction, steps["performance"].message) == (0.5, "half way")
    assert steps["fairness"].started is None
    assert 0 < view.fraction < 1
    release.set()
    done = board.wait(job_id, 10)
    assert done.status == jobs.DONE and done.fraction == 1.0 and done.audit_id == "j1"
    assert board.value(job_id) == "the result"
    assert all(s.fraction == 1.0 for s in done.steps)  # a step the work never reached is not left waiting


def test_cancel_stops_the_work_at_its_next_progress_report(board):
    release, reached = threading.Event(), threading.Event()
    job_id = board.submit("j2", _blocked(release, reached), label="x", steps=STEPS)
    assert reached.wait(10)
    assert board.cancel(job_id) is True
    release.set()
    assert board.wait(job_id, 10).status == jobs.CANCELLED
    assert board.value(job_id) is None
    assert board.cancel(job_id) is False  # already over


def test_a_queued_job_cancelled_never_starts(board):
    release, reached = threading.Event(), threading.Event()
    first = board.submit("busy", _blocked(release, reached), label="x", steps=STEPS)
    ran = []
    second = board.submit("queued", lambda progress: ran.append(1), label="y", steps=STEPS)
    assert board.snapshot(second).status == jobs.QUEUED
    board.cancel(second)
    release.set()
    board.wait(first, 10)
    assert board.wait(second, 10).status == jobs.CANCELLED and ran == []


def test_a_failure_becomes_the_message_of_the_error_handler(board):
    def work(progress):
        raise ValueError("secret server path /srv/x")

    job_id = board.submit(
        "j3",
        work,
        label="x",
        steps=STEPS,
        on_error=lambda exc: f"Something went wrong ({type(exc).__name__})",
    )
    view = board.wait(job_id, 10)
    assert view.status == jobs.FAILED and view.error == "Something went wrong (ValueError)"


def test_on_done_names_where_the_result_is_kept(board):
    job_id = board.submit("j4", lambda p: 42, label="x", steps=STEPS, on_done=lambda job, v: f"kept-{v}")
    assert board.wait(job_id, 10).audit_id == "kept-42"


def test_the_same_inputs_join_the_running_job_instead_of_starting_another(board):
    release, reached = threading.Event(), threading.Event()
    first = board.submit("a", _blocked(release, reached), label="x", steps=STEPS, content_key="same")
    again = board.submit("b", lambda p: None, label="x", steps=STEPS, content_key="same")
    assert again == first and board.get("b") is None
    release.set()
    board.wait(first, 10)
    # once finished, the same inputs may run again (the kept audit is found before a job is submitted)
    assert board.submit("c", lambda p: None, label="x", steps=STEPS, content_key="same") == "c"


def test_the_time_left_is_extrapolated_from_the_weighted_share_done():
    job = jobs.Job(id="t", label="x", steps={n: jobs.Step(n, t) for n, t in STEPS})
    job.status, job.started = jobs.RUNNING, 100.0
    assert job.seconds_left(now=101.0) is None  # nothing done yet: no estimate
    job.steps["setup"].fraction = 1.0  # weight 1 of 1 + 0.5 + 3
    left = job.seconds_left(now=110.0)
    assert left == pytest.approx(10.0 * (1 - 1 / 4.5) / (1 / 4.5))


def test_the_cancel_exception_is_the_runners():
    board = jobs.JobBoard()
    seen = []

    def work(progress):
        board.cancel("k")
        try:
            progress("setup", 0.1, "x")
        except CancelledError as exc:
            seen.append(exc)
            raise

    board.submit("k", work, label="x", steps=STEPS)
    assert board.wait("k", 10).status == jobs.CANCELLED and len(seen) == 1


@pytest.mark.parametrize(("seconds", "text"), [(None, "estimating…"), (4.2, "4 s"), (75, "1 min 15 s")])
def test_times_read_as_minutes_and_seconds(seconds, text):
    assert jobs.format_seconds(seconds) == text


def test_workers_are_one_or_two():
    assert jobs.JobBoard(workers=0).workers == 1
    assert jobs.JobBoard(workers=8).workers == 2


def test_a_job_collects_older_garbage_then_runs_with_older_objects_frozen(board):
    """Full collections during a job skip what existed before it (gc.freeze), yet a garbage cycle left from before
    the job is collected when it starts, not frozen with the rest (it could hold a 100 MB upload)."""

    class Node:
        pass

    cycle = Node()
    cycle.me = cycle
    gone = weakref.ref(cycle)
    seen = {}

    def work(progress):
        seen["frozen"] = gc.get_freeze_count()
        seen["alive"] = gone() is not None
        return "done"

    gc.disable()  # no automatic collection may free the cycle first: only the job's own collection
    try:
        del cycle
        assert gone() is not None
        board.wait(board.submit("gc1", work, label="gc", steps=STEPS), 10)
    finally:
        gc.enable()
        frozen_after = gc.get_freeze_count()
        gc.unfreeze()
    assert seen == {"frozen": seen["frozen"], "alive": False} and seen["frozen"] > 0
    assert frozen_after > 0  # what survived the job is frozen again for the pages drawn next
