"""Run settings as the Dagster launchpad shows them, derived from their one definition.

``AllocationConfig`` *is* ``optimizers.settings.AllocationSettings`` (same fields, defaults,
ranges and descriptions) made a ``dg.Config``; ``BenefitConfig`` is
``reporting.benefits.BenefitAssumptions`` plus the limits of the counterfactual re-solves. The
launchpad documents every field and no mirror is kept by hand. The benefit re-solves use the
wave's own settings, read from ``plan.runs``: one settings source (``pipelines.presets`` maps
the job's config onto both).
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
from pydantic import Field

from optimizers.settings import AllocationSettings
from reporting.benefits import BenefitAssumptions


class AllocationConfig(dg.Config, AllocationSettings):
    """How the wave trades money against speed, which capabilities are on, and whether it is
    published or only a what-if."""

    preset: str = Field(
        default="daily_wave",
        description="The named preset these settings started from (pipelines.presets), "
        "recorded with the run.",
    )
    publish: bool = Field(
        default=True,
        description="Publish the wave (instructions to the nodes, line states, commitments). "
        "False = a dry run: the plan, report and marts are stored as a scenario and nothing "
        "else changes.",
    )
    wave_at: str | None = Field(
        default=None,
        description="Plan as of this time (ISO 8601; no zone = UTC) instead of now: its "
        "business day decides which day's capacity the wave shares. For simulations.",
    )

    def to_settings(self) -> AllocationSettings:
        """The optimizer's settings for this run."""
        fields = AllocationSettings.model_fields
        return AllocationSettings.model_validate(
            {k: v for k, v in self.model_dump().items() if k in fields}
        )

    def planned_at(self) -> datetime:
        """The wave's time: ``wave_at`` or now (UTC)."""
        if not self.wave_at:
            return datetime.now(UTC)
        at = datetime.fromisoformat(self.wave_at)
        return at if at.tzinfo else at.replace(tzinfo=UTC)


class BenefitConfig(dg.Config, BenefitAssumptions):
    """Assumptions behind the benefit estimates (analysts change these, not code). The
    counterfactual re-solves use the wave's own settings, so the UI and the CLI estimate the
    same wave the same way."""

    def assumptions(self) -> BenefitAssumptions:
        """The assumptions alone, as the benefit marts read them."""
        return BenefitAssumptions(**self.assumption_values())
