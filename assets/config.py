"""Run settings as the Dagster launchpad shows them, derived from their one definition.

``AllocationConfig`` *is* ``optimizers.settings.AllocationSettings`` (same fields, defaults,
ranges and descriptions) made a ``dg.Config``; ``BenefitConfig`` is
``reporting.benefits.BenefitAssumptions`` plus the limits of the counterfactual re-solves. The
launchpad documents every field and no mirror is kept by hand. The plan settings the benefit
re-solves start from are the wave's own, read from ``plan.runs``.
"""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from optimizers.settings import AllocationSettings
from reporting.benefits import BenefitAssumptions


class AllocationConfig(dg.Config, AllocationSettings):
    """How the allocation trades money against speed, and which capabilities are on."""

    def to_settings(self) -> AllocationSettings:
        """The optimizer's settings for this run."""
        return AllocationSettings.model_validate(self.model_dump())


class BenefitConfig(dg.Config, BenefitAssumptions):
    """Assumptions behind the benefit estimates (analysts change these, not code), and how
    long each counterfactual re-solve may take."""

    time_limit_s: float = Field(
        20.0, gt=0, description="Time limit of each counterfactual re-solve (they are estimates)."
    )
    mip_gap: float = Field(
        0.01, ge=0, le=1, description="Relative gap at which a counterfactual re-solve may stop."
    )

    def assumptions(self) -> BenefitAssumptions:
        """The assumptions alone, as the benefit marts read them."""
        return BenefitAssumptions(**self.assumption_values())
