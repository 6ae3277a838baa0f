"""The jobs table: the single source of truth about every training job.

huey only carries a wake-up message ("job <id> is waiting"); it gives no at-least-once delivery.
Everything a learner sees (status, progress curves, errors, results) and everything that makes
jobs survive crashes (heartbeat, attempts, checkpoints) lives here, in the app's own database
(SQLite by default, PostgreSQL for several machines).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
ACTIVE = ("queued", "running")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)  # "train", "transfer", … (see kinds.py)
    params: Mapped[dict] = mapped_column(JSON)  # what the learner asked for, already validated
    owner: Mapped[str] = mapped_column(String(64), index=True, default="")  # browser id
    status: Mapped[str] = mapped_column(String(16), index=True, default="queued")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    started: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    enqueued: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # last wake-up sent
    heartbeat: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # how many times a worker claimed it
    worker: Mapped[str | None] = mapped_column(String(128), nullable=True)  # host:pid
    device: Mapped[str | None] = mapped_column(String(64), nullable=True)  # "CPU", "GPU 0 (NVIDIA H100)"
    backend: Mapped[str | None] = mapped_column(String(16), nullable=True)  # KERAS_BACKEND
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    announced: Mapped[bool] = mapped_column(Boolean, default=False)  # result published to the classroom once
    # {"epochs": N, "epoch": done, "history": [{epoch, loss, accuracy, val_loss, val_accuracy, seconds}],
    #  "batches": [{"x": fractional epoch, "loss", "accuracy"}], "stage": "loading|compiling|training|testing"}
    progress: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)  # an i18n key or a short reason
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # the kind's result, e.g. test accuracy


class JobClient(Base):
    """The network address a job was submitted from: the per-address quota in service.submit_job()."""

    __tablename__ = "job_clients"

    job_id: Mapped[str] = mapped_column(String(32), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), index=True)


class JobFile(Base):
    """Bytes a job keeps in the database: its checkpoint and its trained model.

    Kept in the database (not on a disk) so that a web host and N GPU hosts share nothing but
    the database URL and the queue URL (see docs/scaling.md).
    """

    __tablename__ = "job_files"

    job_id: Mapped[str] = mapped_column(String(32), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # "checkpoint.keras", "model.keras"
    data: Mapped[bytes] = mapped_column(LargeBinary)
    meta: Mapped[dict] = mapped_column(JSON, default=dict)  # e.g. {"epoch": 3} for a checkpoint
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class WorkerRow(Base):
    """Each worker process stamps its row every few seconds: "is anyone there to train my job?"."""

    __tablename__ = "job_workers"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)  # host:pid
    backend: Mapped[str] = mapped_column(String(16), default="")
    device: Mapped[str] = mapped_column(String(64), default="")
    started: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
