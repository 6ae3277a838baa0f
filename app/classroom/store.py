"""Classes, students and results in the database: every function takes the database URL.

These are plain functions for the web process's worker threads (routes are `def`) and for the
recorder; nothing here talks to the hub — the routes and the service publish after a change.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update

from app.classifiers.tables import Classifier, ClassifierPhoto
from app.classroom.codes import new_code, new_token, token_hash
from app.classroom.tables import ClassResult, ClassSession, ClassStudent
from app.db import session_scope

IDLE_EXPIRY_S = 24 * 3600
MAX_STUDENTS = 600
NICKNAME_MAX = 24


@dataclass(frozen=True)
class StudentRef:
    id: int
    class_id: int
    code: str
    nickname: str


def create_class(url: str, now: float | None = None) -> str:
    now = now or time.time()
    with session_scope(url) as s:
        for _ in range(20):  # a collision among 190 million codes is rare; draw again if it happens
            code = new_code()
            if s.scalar(select(ClassSession.id).where(ClassSession.code == code)) is None:
                s.add(ClassSession(code=code, created_at=now, last_active_at=now))
                return code
    raise RuntimeError("no free join code")


def get_class(url: str, code: str) -> ClassSession | None:
    with session_scope(url) as s:
        return s.scalar(select(ClassSession).where(ClassSession.code == code))


def open_classes(url: str) -> list[dict[str, Any]]:
    with session_scope(url) as s:
        rows = s.execute(
            select(ClassSession.code, ClassSession.created_at, func.count(ClassStudent.id))
            .outerjoin(ClassStudent, ClassStudent.class_id == ClassSession.id)
            .group_by(ClassSession.id)
            .order_by(ClassSession.created_at.desc())
        ).all()
    return [{"code": code, "created_at": created, "students": n} for code, created, n in rows]


def clean_nickname(text: str) -> str:
    """Printable characters only, spaces collapsed; escaping for display is the templates' job."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())[:NICKNAME_MAX]


def join_class(url: str, code: str, nickname: str, now: float | None = None,
               browser_id: str = "") -> tuple[str, StudentRef] | None:
    """A new student: (their token, them), or None when there is no such class. Nicknames stay
    unique within a class (a second "小明" becomes "小明 2")."""
    now = now or time.time()
    with session_scope(url) as s:
        klass = s.scalar(select(ClassSession).where(ClassSession.code == code))
        if klass is None:
            return None
        taken = set(s.scalars(select(ClassStudent.nickname).where(ClassStudent.class_id == klass.id)))
        if len(taken) >= MAX_STUDENTS:
            raise ClassFull()
        unique, n = nickname, 2
        while unique in taken:
            unique, n = f"{nickname[: NICKNAME_MAX - 4]} {n}", n + 1
        token = new_token()
        student = ClassStudent(class_id=klass.id, nickname=unique, token_hash=token_hash(token), joined_at=now,
                               browser_id=browser_id[:64])
        s.add(student)
        klass.last_active_at = now
        s.flush()
        return token, StudentRef(student.id, klass.id, code, unique)


class ClassFull(Exception):
    pass


def student_by_hash(url: str, hashes: list[str]) -> dict[str, StudentRef]:
    if not hashes:
        return {}
    with session_scope(url) as s:
        rows = s.execute(
            select(ClassStudent.token_hash, ClassStudent.id, ClassStudent.class_id, ClassStudent.nickname, ClassSession.code)
            .join(ClassSession, ClassSession.id == ClassStudent.class_id)
            .where(ClassStudent.token_hash.in_(hashes))
        ).all()
    return {h: StudentRef(sid, cid, code, nick) for h, sid, cid, nick, code in rows}


def student_by_token(url: str, token: str | None) -> StudentRef | None:
    if not token:
        return None
    return student_by_hash(url, [token_hash(token)]).get(token_hash(token))


def students(url: str, class_id: int) -> list[dict[str, Any]]:
    with session_scope(url) as s:
        rows = s.execute(
            select(ClassStudent.id, ClassStudent.nickname, ClassStudent.joined_at)
            .where(ClassStudent.class_id == class_id).order_by(ClassStudent.joined_at)
        ).all()
    return [{"id": i, "nickname": n, "joined_at": t} for i, n, t in rows]


def browser_ids(url: str, class_id: int) -> list[str]:
    """The browsers of a class's students: their training jobs are the class's (views.train_view)."""
    with session_scope(url) as s:
        return [b for b in s.scalars(select(ClassStudent.browser_id).where(ClassStudent.class_id == class_id)).all() if b]


def remove_student(url: str, class_id: int, student_id: int) -> bool:
    """The student, their nickname and everything they did in this class are deleted."""
    with session_scope(url) as s:
        who = s.execute(select(ClassStudent.browser_id, ClassStudent.joined_at)
                        .where(ClassStudent.id == student_id, ClassStudent.class_id == class_id)).all()
        gone = s.execute(delete(ClassStudent).where(ClassStudent.id == student_id, ClassStudent.class_id == class_id)).rowcount
        s.execute(delete(ClassResult).where(ClassResult.student_id == student_id, ClassResult.class_id == class_id))
    delete_class_photos(url, who)
    return bool(gone)


def delete_class_photos(url: str, students: list[tuple[str, float]]) -> int:
    """Photos the students added to their own image classifiers since they joined (the photo lab
    keeps none): deleted with the class. Their classifiers and trained models stay theirs."""
    from datetime import datetime, timezone

    deleted = 0
    with session_scope(url) as s:
        for browser_id, joined_at in students:
            if not browser_id:
                continue
            since = datetime.fromtimestamp(joined_at, timezone.utc)
            owned = select(Classifier.id).where(Classifier.owner == browser_id)
            deleted += s.execute(delete(ClassifierPhoto).where(ClassifierPhoto.classifier_id.in_(owned),
                                                               ClassifierPhoto.created >= since)).rowcount
    return deleted


def set_push(url: str, class_id: int, push: dict[str, Any], digit_target: int | None, now: float | None = None) -> None:
    with session_scope(url) as s:
        s.execute(update(ClassSession).where(ClassSession.id == class_id).values(
            last_push=json.dumps(push, ensure_ascii=False), digit_target=digit_target, last_active_at=now or time.time()))


def end_class(url: str, class_id: int) -> None:
    """Deletes the class, its nicknames, every result (drawings, photo labels, networks) and the
    photos its students took during the class."""
    with session_scope(url) as s:
        who = s.execute(select(ClassStudent.browser_id, ClassStudent.joined_at).where(ClassStudent.class_id == class_id)).all()
        s.execute(delete(ClassResult).where(ClassResult.class_id == class_id))
        s.execute(delete(ClassStudent).where(ClassStudent.class_id == class_id))
        s.execute(delete(ClassSession).where(ClassSession.id == class_id))
    delete_class_photos(url, who)


def expired_classes(url: str, now: float | None = None) -> list[tuple[int, str]]:
    cutoff = (now or time.time()) - IDLE_EXPIRY_S
    with session_scope(url) as s:
        return [tuple(r) for r in s.execute(select(ClassSession.id, ClassSession.code).where(ClassSession.last_active_at < cutoff)).all()]


def results(url: str, class_id: int, lab: str, limit: int) -> list[dict[str, Any]]:
    """The latest results of one lab, newest first, with the student's nickname."""
    with session_scope(url) as s:
        rows = s.execute(
            select(ClassResult.id, ClassResult.payload, ClassResult.created_at, ClassStudent.nickname)
            .join(ClassStudent, ClassStudent.id == ClassResult.student_id)
            .where(ClassResult.class_id == class_id, ClassResult.lab == lab)
            .order_by(ClassResult.id.desc()).limit(limit)
        ).all()
    return [{"id": i, **json.loads(p), "at": t, "nickname": n} for i, p, t, n in rows]


def latest_per_student(url: str, class_id: int, lab: str) -> list[dict[str, Any]]:
    """Each student's latest result of one lab, newest first (the digit lab predicts while the
    learner draws: the last answer is the one for the finished drawing)."""
    with session_scope(url) as s:
        latest = (select(func.max(ClassResult.id)).where(ClassResult.class_id == class_id, ClassResult.lab == lab)
                  .group_by(ClassResult.student_id).scalar_subquery())
        rows = s.execute(
            select(ClassResult.id, ClassResult.payload, ClassResult.created_at, ClassStudent.nickname)
            .join(ClassStudent, ClassStudent.id == ClassResult.student_id)
            .where(ClassResult.id.in_(latest)).order_by(ClassResult.id.desc())
        ).all()
    return [{"id": i, **json.loads(p), "at": t, "nickname": n} for i, p, t, n in rows]


def prune_results(url: str, class_id: int, lab: str, keep: int) -> None:
    """Keep the latest `keep` results of a lab (the wall shows the latest; totals live on the class)."""
    with session_scope(url) as s:
        cutoff = s.scalar(
            select(ClassResult.id).where(ClassResult.class_id == class_id, ClassResult.lab == lab)
            .order_by(ClassResult.id.desc()).offset(keep).limit(1)
        )
        if cutoff is not None:
            s.execute(delete(ClassResult).where(ClassResult.class_id == class_id, ClassResult.lab == lab, ClassResult.id <= cutoff))
