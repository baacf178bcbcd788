"""Run settings from a YAML or JSON file (``omniroute run --config FILE``).

The file holds what the launchpad's job config holds (``pipelines.presets``): a ``preset``,
any field of ``assets.config.AllocationConfig`` and a ``benefits`` mapping of assumptions;
they are checked by the same rules, with the file's name in the error, before any step runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from pipelines.presets import SettingsError, resolve_settings


def load_settings_file(path: Path) -> dict[str, Any]:
    """The file's settings as a job-config mapping; ValueError names the file and the field."""
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise ValueError(
            f"{path}: not valid {path.suffix.lstrip('.') or 'YAML'}: {error}"
        ) from None
    data = data or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of run settings, got {type(data).__name__}")
    try:
        resolve_settings(data)
    except SettingsError as error:
        raise ValueError(f"{path}: {error}") from None
    return data
