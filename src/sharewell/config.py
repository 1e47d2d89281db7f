"""Where sharewell keeps its state, read from the environment once per call."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "SHAREWELL_HOME"
DATABASE_URL_ENV = "SHAREWELL_DATABASE_URL"


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    home = Path(os.environ.get(HOME_ENV, "var")).resolve()
    url = os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{home / 'sharewell.db'}"
    return Settings(home=home, database_url=normalise_database_url(url))


def normalise_database_url(url: str) -> str:
    """Accept the URLs people paste (``postgres://``, ``postgresql://``) and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
