"""One settings source: presets, fields over presets, impossible values refused up front."""

from __future__ import annotations

import dagster as dg
import pytest

from assets.config import AllocationConfig, BenefitConfig
from optimizers.settings import AllocationSettings
from pipelines.automation import WaveAutomation, allocation_wave_schedule
from pipelines.definitions import build_definitions
from pipelines.paths import ProjectPaths
from pipelines.presets import PRESETS, SettingsError, resolve_settings


@pytest.fixture(scope="module")
def job(tmp_path_factory) -> dg.JobDefinition:
    root = tmp_path_factory.mktemp("presets")
    paths = ProjectPaths(inbox=root / "in", warehouse=root / "w.duckdb", outbox=root / "out")
    return build_definitions(paths).resolve_job_def("allocation_job")


def test_a_preset_sets_its_fields_and_given_fields_win():
    quick = resolve_settings({"preset": "quick_look"})["allocation_plan"]
    config = AllocationConfig(**quick)
    assert (config.preset, config.mip_gap, config.time_limit_s, config.publish) == (
        "quick_look",
        0.02,
        30.0,
        False,
    )
    tuned = AllocationConfig(
        **resolve_settings({"preset": "quick_look", "mip_gap": 0.05})["allocation_plan"]
    )
    assert tuned.mip_gap == 0.05 and tuned.time_limit_s == 30.0
    daily = AllocationConfig(**resolve_settings({})["allocation_plan"])
    assert daily.preset == "daily_wave" and daily.mip_gap == AllocationConfig().mip_gap
    assert set(PRESETS) == {"daily_wave", "quick_look", "month_end"}


@pytest.mark.parametrize(
    ("settings", "sentence"),
    [
        ({"mip_gap": 5}, "mip_gap = 5: input should be less than or equal to 1"),
        ({"time_limit_s": -1}, "time_limit_s = -1: input should be greater than 0"),
        ({"solver": "gurobi"}, "solver = 'gurobi'"),
        ({"business_timezone": "Mars/Olympus"}, "is not an IANA time zone"),
        ({"mipgap": 0.1}, "mipgap is not a setting"),
        ({"preset": "weekly"}, "unknown preset 'weekly'; known: daily_wave, quick_look"),
        ({"benefits": {"return_rate": 3}}, "benefits: return_rate=3.0 is out of range"),
    ],
)
def test_impossible_settings_are_one_clear_sentence(settings, sentence):
    with pytest.raises(SettingsError) as refused:
        resolve_settings(settings)
    assert sentence in str(refused.value)
    assert "\n" not in str(refused.value) and "Traceback" not in str(refused.value)


def test_the_job_refuses_a_gap_of_5_before_any_step_runs(job):
    """What the launchpad asks the code location before it enables Launch."""
    with pytest.raises(dg.DagsterInvalidConfigError) as refused:
        dg.validate_run_config(job, {"mip_gap": 5})
    assert "mip_gap = 5.0: input should be less than or equal to 1" in str(refused.value)
    with pytest.raises(dg.DagsterInvalidConfigError):  # an enum in the launchpad's schema
        dg.validate_run_config(job, {"solver": "gurobi"})
    resolved = dg.validate_run_config(job, {"preset": "month_end", "benefits": {"adoption": 0.5}})
    assert resolved["ops"]["allocation_plan"]["config"]["mip_gap"] == 0.002
    assert resolved["ops"]["benefit_estimates"]["config"]["adoption"] == 0.5


def test_benefit_estimates_have_no_settings_of_their_own():
    """The re-solves use the wave's settings (read from plan.runs), so UI and CLI agree."""
    assert not set(BenefitConfig.model_fields) & set(AllocationSettings.model_fields)


def test_the_schedule_runs_in_the_deployment_time_zone_with_a_preset(monkeypatch):
    assert allocation_wave_schedule.execution_timezone == WaveAutomation.from_env().timezone
    automation = WaveAutomation(timezone="Europe/Berlin", schedule_preset="month_end")
    assert automation.run_config("month_end") == {
        "preset": "month_end",
        "business_timezone": "Europe/Berlin",
    }
    with pytest.raises(ValueError, match="not an IANA zone"):
        WaveAutomation(timezone="Berlin")
    with pytest.raises(ValueError, match="OMNIROUTE_SENSOR_PRESET 'fast' is not a preset"):
        WaveAutomation(sensor_preset="fast")
