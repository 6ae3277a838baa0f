"""The teacher's view of a push-to-train: how many of the class's jobs are queued, training
(packed), done — next to the leaderboard (app/classroom/views.py train_view, app/jobs/store.job_counts)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from app.db import session_scope
from app.jobs.tables import Job
from app.main import create_app
from app.settings import Settings
from tests.classroom.conftest import AS_TEACHER, TEACHER, open_class


@pytest.fixture
def client(tmp_path, shared):
    settings = Settings(data_dir=tmp_path / "data", assets_dir=shared, workers=0, teacher_token=TEACHER)
    with TestClient(create_app(settings)) as c:
        yield c


def test_the_teacher_sees_the_class_jobs_queued_packed_and_done(client):
    settings = client.app.state.settings
    code = open_class(client)
    students = []
    for name in ("小明", "小華", "小美", "阿強"):
        with TestClient(client.app) as phone:  # each student's own browser
            assert phone.post(f"/api/classes/{code}/join", json={"nickname": name}).status_code == 200
            students.append(phone.cookies.get("pg_browser"))
    assert all(students)
    now = datetime.now(timezone.utc)
    states = [("queued", {}), ("running", {"packed": 3}), ("running", {"packed": 3}), ("succeeded", {"packed": 3})]
    with session_scope(settings.database_url_resolved) as s:
        for i, (owner, (status, progress)) in enumerate(zip(students, states)):
            s.add(Job(id=f"job{i}", kind="train", owner=owner, status=status, params={}, progress=progress, created=now))
        s.add(Job(id="old", kind="train", owner=students[0], status="succeeded", params={},
                  created=now - timedelta(days=2)))  # before the class: not counted
        s.add(Job(id="stranger", kind="train", owner="not-in-class", status="running", params={}, created=now))
    board = client.get(f"/api/classes/{code}/views/train", headers=AS_TEACHER).json()
    assert board["jobs"] == {"queued": 1, "running": 2, "packed": 2, "done": 1, "failed": 0}
    html = client.get(f"/classroom/{code}/view/train", headers={**AS_TEACHER, "accept-language": "en"}).text
    assert 'id="class-jobs"' in html and "queued 1 · training 2 (2 of them packed into one program) · done 1" in html
    zh = client.get(f"/classroom/{code}/view/train", headers=AS_TEACHER).text
    assert "排隊中 1" in zh
