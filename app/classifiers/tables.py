"""The tables of a learner's classifiers.

A classifier belongs to one browser (`owner`, the anonymous browser id). Its photos are kept as
the 224 × 224 centre crops the network sees (JPEG, ~20 kB each), in the database so that a
training worker on another machine can read them; they are deleted with the classifier, or
PHOTO_RETENTION_DAYS after its last change (app/classifiers/service.py: purge_expired).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Classifier(Base):
    __tablename__ = "classifiers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # also its model id in the registry
    owner: Mapped[str] = mapped_column(String(64), index=True, default="")  # browser id
    name: Mapped[str] = mapped_column(String(80))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    job_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the latest training job
    model_job_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the job whose model is in use
    photos_purged: Mapped[bool] = mapped_column(default=False)  # photos deleted after the retention time
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # the last succeeded training's summary


class ClassifierClass(Base):
    __tablename__ = "classifier_classes"

    classifier_id: Mapped[str] = mapped_column(String(32), ForeignKey("classifiers.id", ondelete="CASCADE"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0, 1, …: the output neuron
    name: Mapped[str] = mapped_column(String(40))


class ClassifierPhoto(Base):
    __tablename__ = "classifier_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    classifier_id: Mapped[str] = mapped_column(String(32), ForeignKey("classifiers.id", ondelete="CASCADE"), index=True)
    class_index: Mapped[int] = mapped_column(Integer)
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)  # the 224 × 224 centre crop
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
