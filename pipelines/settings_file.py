"""Run settings from a YAML or JSON file (``omniroute run --config FILE``).

The file holds the fields of the launchpad's ``allocation_plan`` config
(``assets.config.AllocationConfig``: the optimizer's settings plus ``publish`` and
``wave_at``); they are checked by that class, with the file's name in the error, before any
step runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from assets.config import AllocationConfig


def load_settings_file(path: Path) -> dict[str, Any]:
    """The file's settings as a run-config mapping; ValueError names the file and the field."""
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    data = data or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of run settings, got {type(data).__name__}")
    unknown = sorted(set(data) - set(AllocationConfig.model_fields))
    if unknown:
        raise ValueError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(AllocationConfig.model_fields))}"
        )
    try:
        AllocationConfig(**data)
    except ValidationError as error:
        raise ValueError(f"{path}: {error}") from error
    return data
