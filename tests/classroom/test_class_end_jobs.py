"""Jobs of a class that has ended (issue 18), as the class promises: while the class runs, a
student's trained network shows on the projector; when the teacher ends it, that record is
deleted, and a job that finishes afterwards is the learner's own and goes to no class."""

from __future__ import annotations

import time

from sqlalchemy import func, select, update

from app.classroom.tables import ClassResult
from app.db import session_scope
from app.jobs.tables import Job, utcnow
from tests.classroom.conftest import AS_TEACHER, open_class
from tests.jobs.conftest import TINY, wait_for

RESULT = {"test_accuracy": 0.91, "parameters": 12_730, "history": []}  # no model file: none is needed here


def results(settings) -> int:
    with session_scope(settings.database_url_resolved) as s:
        return s.scalar(select(func.count()).select_from(ClassResult))


def finish(settings, job_id: str) -> None:
    """What a worker writes when the job succeeds (no worker runs in this test)."""
    with session_scope(settings.database_url_resolved) as s:
        s.execute(update(Job).where(Job.id == job_id).values(status="succeeded", finished=utcnow(), result=RESULT))


def test_a_job_that_finishes_after_the_class_ended_goes_to_no_class(client, settings):
    code = open_class(client)
    assert client.post(f"/api/classes/{code}/join", json={"nickname": "小明"}).status_code == 200
    during = client.post("/api/jobs", json=TINY).json()["id"]
    after = client.post("/api/jobs", json=TINY).json()["id"]
    finish(settings, during)
    assert client.get(f"/train/jobs/{during}").status_code == 200  # the first look publishes it
    wait_for(lambda: results(settings), lambda n: n == 1, timeout=10, what="the class to record the network")
    assert client.delete(f"/api/classes/{code}", headers=AS_TEACHER).status_code in (200, 204)
    assert results(settings) == 0  # ended: every result deleted
    finish(settings, after)
    assert client.get(f"/train/jobs/{after}").status_code == 200  # still the learner's
    assert client.get(f"/api/jobs/{after}").json()["status"] == "succeeded"
    wait_for(lambda: results(settings), lambda n: n == 0, timeout=3, what="nothing recorded")
    time.sleep(2)  # a flush of the class recorder or two
    assert results(settings) == 0
