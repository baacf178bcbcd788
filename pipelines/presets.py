"""Named run settings, and the allocation job's one config, checked before any step runs.

A planner tunes a wave in one place: the job's config (the launchpad, ``omniroute run
--preset/--config``, the schedule, the sensor) is a preset name plus any field of
``assets.config.AllocationConfig`` and of the benefit assumptions. A Dagster config mapping
turns it into the assets' configs, so every asset reads the same settings, and it validates
them with the settings' own pydantic rules while the run config is resolved: in the launchpad
before *Launch*, and for every other entry point before the first step. An impossible value
(a gap of 5, a negative time limit) is refused there with one sentence naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import dagster as dg
from dagster._config.errors import DagsterEvaluationErrorReason, EvaluationError
from dagster._config.stack import EvaluationStackPathEntry, EvaluationStackRoot
from dagster._utils.error import SerializableErrorInfo
from pydantic import ValidationError

from assets.config import AllocationConfig, BenefitConfig

ALLOCATION_STEP = "allocation_plan"
BENEFIT_STEP = "benefit_estimates"
BENEFITS = "benefits"
PRESET = "preset"
LOGGERS = "loggers"  # Dagster's own run-config section, passed through as given


@dataclass(frozen=True)
class Preset:
    """A named starting point: what it is for, and the settings it changes from the defaults."""

    purpose: str
    values: dict[str, Any] = field(default_factory=dict)


PRESETS: dict[str, Preset] = {
    "daily_wave": Preset("The scheduled wave: published, stops within 0.5 % of the optimum."),
    "quick_look": Preset(
        "A fast what-if: a 2 % gap and 30 s at most, stored as a scenario, nothing published.",
        {"mip_gap": 0.02, "time_limit_s": 30.0, "publish": False},
    ),
    "month_end": Preset(
        "Month-end peak, where every cent counts: published, a 0.2 % gap, up to 10 minutes.",
        {"mip_gap": 0.002, "time_limit_s": 600.0},
    ),
}
DEFAULT_PRESET = "daily_wave"


class SettingsError(ValueError):
    """Run settings that cannot be used; the message is one sentence per bad field."""


def preset_values(preset: str) -> dict[str, Any]:
    """The allocation config fields a preset sets (only those it changes)."""
    if preset not in PRESETS:
        raise SettingsError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    return {PRESET: preset, **PRESETS[preset].values}


def resolve_settings(settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{step: config}`` of a wave from its settings (preset, fields, ``benefits``), checked.

    Fields given override the preset's; ``None`` means "not set". Raises ``SettingsError``."""
    given = {k: v for k, v in settings.items() if v is not None and k != LOGGERS}
    benefits = dict(given.pop(BENEFITS, None) or {})
    values = preset_values(given.pop(PRESET, DEFAULT_PRESET)) | given
    problems = _problems(AllocationConfig, values, "") + _problems(
        BenefitConfig, benefits, f"{BENEFITS}."
    )
    if problems:
        raise SettingsError("; ".join(problems))
    return {ALLOCATION_STEP: values, BENEFIT_STEP: benefits}


def _problems(model: type, values: dict[str, Any], prefix: str) -> list[str]:
    try:
        model(**values)
    except ValidationError as error:
        return [_sentence(prefix, e) for e in error.errors()]
    return []


def _sentence(prefix: str, error: Any) -> str:
    path = ".".join(str(part) for part in error["loc"])
    name = prefix + path if path else prefix.rstrip(".") or "settings"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return f"{name} is not a setting"
    shown = f" = {error['input']!r}" if error["loc"] else ""
    return f"{name}{shown}: {message[:1].lower()}{message[1:]}"


def _described(name: str, base: dg.Field) -> dg.Field:
    presets = "; ".join(
        f"{p}: {preset.values[name]}" for p, preset in PRESETS.items() if name in preset.values
    )
    default = f" Default {base.default_value!r}" if base.default_provided else ""
    suffix = f"{default}{' (' + presets + ')' if presets else ''}."
    return dg.Field(
        base.config_type, is_required=False, description=f"{base.description or ''}{suffix}"
    )


def _outer_schema() -> dict[str, dg.Field]:
    names = [dg.EnumValue(p, description=preset.purpose) for p, preset in PRESETS.items()]
    schema: dict[str, dg.Field] = {
        PRESET: dg.Field(
            dg.Enum("Preset", names),
            default_value=DEFAULT_PRESET,
            description="Named settings to start from; the fields below override them. "
            + " ".join(f"{p}: {preset.purpose}" for p, preset in PRESETS.items()),
        )
    }
    fields = AllocationConfig.to_fields_dict()
    schema |= {name: _described(name, f) for name, f in fields.items() if name != PRESET}
    benefit_fields = BenefitConfig.to_fields_dict()
    schema[BENEFITS] = dg.Field(
        {name: _described(name, f) for name, f in benefit_fields.items()},
        is_required=False,
        description="Assumptions of the benefit estimates (marts.benefit_estimates).",
    )
    schema[LOGGERS] = dg.Field(
        dg.Permissive(), is_required=False, description="Dagster's loggers (as in any job)."
    )
    return schema


def _mapped(outer: dict[str, Any]) -> dict[str, Any]:
    try:
        steps = resolve_settings(outer)
    except SettingsError as error:
        raise dg.DagsterInvalidConfigError(
            "Invalid allocation settings", [_config_error(str(error))], outer
        ) from None
    mapped: dict[str, Any] = {"ops": {step: {"config": c} for step, c in steps.items()}}
    if outer.get(LOGGERS):
        mapped[LOGGERS] = outer[LOGGERS]
    return mapped


def _config_error(message: str) -> EvaluationError:
    name = message.split(" ", 1)[0].split(".", 1)[0]
    return EvaluationError(
        stack=EvaluationStackPathEntry(parent=EvaluationStackRoot(), field_name=name),
        reason=DagsterEvaluationErrorReason.FAILED_POST_PROCESSING,
        message=message,
        error_data=SerializableErrorInfo(message=message, stack=[], cls_name="SettingsError"),
    )


WAVE_CONFIG = dg.ConfigMapping(
    config_fn=_mapped,
    config_schema=_outer_schema(),
)
