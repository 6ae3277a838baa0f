"""The one settings object. Every setting is an environment variable with the prefix PLAYGROUND_.

Nothing else in the project reads os.environ; code takes a Settings through get_settings()
(a FastAPI dependency, overridden in tests) or as an argument.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    """A per-user folder: $XDG_DATA_HOME/ai-playground, else ~/.local/share/ai-playground."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "ai-playground"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLAYGROUND_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir, description="database, queue and trained models")
    assets_dir: Path | None = Field(
        default=None,
        description="a folder laid out like ../shared (datasets/mnist.npz, models/imagenet/…) "
        "used instead of downloading datasets and pretrained models",
    )
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir")
    queue_url: str | None = Field(default=None, description="redis://… for several machines; default SQLite in data_dir")
    teacher_token: str | None = Field(default=None, description="classroom teacher token; printed at start-up when unset")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, description="local training workers started by `playground serve`")
    max_jobs_per_browser: int = 2
    max_jobs_per_address: int = Field(default=20, description="active jobs from one network address (a browser "
                                      "without its cookie, or with a made-up one, is still one address)")
    max_queued_jobs: int = Field(default=1000, description="jobs waiting in the whole queue (a hall of 300 pushed "
                                 "to train at once fits); more → 429")
    max_classifiers_per_browser: int = 20
    max_epochs: int = 50
    max_parameters: int = 5_000_000
    job_timeout_s: int = 1800
    heartbeat_timeout_s: int = 60
    pack_size: int = Field(default=64, ge=1, description="most same-shaped jobs a JAX worker trains as one program "
                           "(app/jobs/packing.py); bounded by the device's memory, 1 = one job at a time")
    pack_cpu_devices: int = Field(default=0, ge=0, description="CPU cores a JAX worker spreads a pack's members "
                                  "over, one XLA device each (app/ml/packed.py); 0 = all of this machine's")
    pack_wait_s: float = Field(default=1.0, ge=0, description="how long a worker waits for a pack to fill while "
                               "same-shaped jobs keep arriving (a class pressing 'train' together)")

    @property
    def database_url_resolved(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'playground.db'}"

    @property
    def user_models_dir(self) -> Path:
        return self.data_dir / "models"

    def asset(self, relative: str) -> Path | None:
        """A file from the assets folder, or None when there is none (then the caller downloads)."""
        if self.assets_dir is None:
            return None
        path = self.assets_dir / relative
        return path if path.exists() else None


@lru_cache
def get_settings() -> Settings:
    return Settings()
