"""The classroom's tables: a class (its join code), its students, and what they did in the labs.

Everything here is personal for a few hours only: ending a class, or 24 hours without activity,
deletes the class row, its students (nicknames) and its results (drawings, photos' labels, …).
Times are Unix seconds (floats), so the same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class ClassSession(Base):
    __tablename__ = "classroom_classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True, index=True)
    created_at: Mapped[float] = mapped_column(Float)
    last_active_at: Mapped[float] = mapped_column(Float, index=True)
    last_push: Mapped[str | None] = mapped_column(Text, default=None)  # JSON of the latest push
    digit_target: Mapped[int | None] = mapped_column(Integer, default=None)  # "everyone: draw a 7"


class ClassStudent(Base):
    __tablename__ = "classroom_students"

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(Integer, index=True)
    nickname: Mapped[str] = mapped_column(String(40))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)  # sha256 of the student token
    browser_id: Mapped[str] = mapped_column(String(64), default="")  # to delete the photos taken in class
    joined_at: Mapped[float] = mapped_column(Float)


class ClassResult(Base):
    """One thing a student did in a lab during the class; payload is small JSON (see recorder.py)."""

    __tablename__ = "classroom_results"
    __table_args__ = (Index("ix_classroom_results_class_lab_id", "class_id", "lab", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(Integer)
    student_id: Mapped[int] = mapped_column(Integer, index=True)
    lab: Mapped[str] = mapped_column(String(20))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
