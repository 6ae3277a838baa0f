"""The per-browser limit holds when one browser submits many jobs at the same moment
(a double click, a script), on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from app.jobs import service
from app.jobs.tables import ACTIVE
from app.tables import init_db
from app.web import UserError
from tests.jobs.conftest import TINY, job_settings


def submit_at_once(settings, n: int, owner: str) -> tuple[int, int]:
    accepted, refused = [], []
    start = threading.Barrier(n)

    def submit():
        start.wait()
        try:
            accepted.append(service.submit_job(settings, "train", TINY, owner))
        except UserError as exc:
            assert exc.key == "jobs.too_many" and exc.status_code == 429
            refused.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(accepted), len(refused)


def test_simultaneous_submits_on_sqlite(tmp_path, shared):
    settings = job_settings(tmp_path / "data", shared)
    settings.data_dir.mkdir(parents=True)
    init_db(settings.database_url_resolved)
    assert submit_at_once(settings, 8, "one-browser") == (settings.max_jobs_per_browser, 8 - settings.max_jobs_per_browser)
    assert submit_at_once(settings, 3, "another-browser")[0] == settings.max_jobs_per_browser


@pytest.mark.slow
def test_simultaneous_submits_on_postgresql(tmp_path, shared, postgres_url, redis_url):
    settings = job_settings(tmp_path / "data", shared, database_url=postgres_url, queue_url=redis_url)
    init_db(postgres_url)
    assert submit_at_once(settings, 8, "one-browser") == (settings.max_jobs_per_browser, 8 - settings.max_jobs_per_browser)
    from sqlalchemy import func, select

    from app.db import session_scope
    from app.jobs.tables import Job

    with session_scope(postgres_url) as s:
        assert s.scalar(select(func.count()).select_from(Job).where(Job.status.in_(ACTIVE))) == settings.max_jobs_per_browser
