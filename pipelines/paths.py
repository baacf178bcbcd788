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

    def with_(
        self, inbox: Path | None = None, warehouse: Path | None = None, outbox: Path | None = None
    ) -> ProjectPaths:
        """These paths with the given ones in their place (absolute)."""
        return ProjectPaths(
            inbox=inbox.expanduser().resolve() if inbox else self.inbox,
            warehouse=warehouse.expanduser().resolve() if warehouse else self.warehouse,
            outbox=outbox.expanduser().resolve() if outbox else self.outbox,
        )


def default_dagster_home() -> Path:
    """Run history survives restarts: DAGSTER_HOME defaults to a folder in the project."""
    return _path("DAGSTER_HOME", PROJECT_ROOT / ".dagster_home")


INSTANCE_YAML = """\
# Dagster instance of omniroute (written by `omniroute run` when missing).
telemetry:
  enabled: false
nux:
  enabled: false
# DuckDB takes one writer: queued runs start one at a time.
concurrency:
  runs:
    max_concurrent_runs: 1
# A run whose process died (kill -9, a crash) is marked failed instead of blocking the queue.
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 180
  max_resume_run_attempts: 0
  poll_interval_seconds: 30
"""


def ensure_dagster_home() -> Path:
    """Create DAGSTER_HOME (default ``.dagster_home``) with its dagster.yaml when missing."""
    home = default_dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_YAML, encoding="utf-8")
    return home
