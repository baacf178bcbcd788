"""Where the inbox, warehouse, outbox and Dagster home live (env vars override the defaults)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _path(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class ProjectPaths:
    """The folders and files one deployment works on."""

    inbox: Path
    warehouse: Path
    outbox: Path

    @classmethod
    def from_env(cls) -> ProjectPaths:
        """Defaults: the bundled sample inbox, a warehouse and outbox under ``data/``."""
        return cls(
            inbox=_path("OMNIROUTE_INBOX", PROJECT_ROOT / "data" / "sample"),
            warehouse=_path(
                "OMNIROUTE_WAREHOUSE", PROJECT_ROOT / "data" / "warehouse" / "omniroute.duckdb"
            ),
            outbox=_path("OMNIROUTE_OUTBOX", PROJECT_ROOT / "data" / "outbox"),
        )


def default_dagster_home() -> Path:
    """Run history survives restarts: DAGSTER_HOME defaults to a folder in the project."""
    return _path("DAGSTER_HOME", PROJECT_ROOT / ".dagster_home")
