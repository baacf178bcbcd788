"""Fixtures shared across the test tree (each package's tests live in the folder of its name).

- ``hand_plan``: the small hand-built plan of ``tests/hand_plan.py`` (inputs, optimized and
  baseline plans, an empty plan), every figure of which the KPI tests work out by hand.
- ``sample_inbox``: writes a generated partner inbox (``samples.generator``) into a folder.

Tests write their inboxes a moment before they run: the inbox's quiet period (a file is taken
once unchanged for 2 s) is 0 here, except in the tests of that rule, which set it themselves.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from contracts.inbox import QUIET_SECONDS_ENV
from samples.generator import generate_inbox
from samples.inbox import write_inbox
from tests.hand_plan import HandPlan
from tests.hand_plan import hand_plan as build_hand_plan

InboxWriter = Callable[..., dict[str, pl.DataFrame]]
os.environ.setdefault(QUIET_SECONDS_ENV, "0")


@pytest.fixture(scope="session")
def hand_plan() -> HandPlan:
    return build_hand_plan()


@pytest.fixture(scope="session")
def sample_inbox() -> InboxWriter:
    """``sample_inbox(folder, fmt="csv", **generator_sizes)`` -> the frames it wrote."""

    def write(folder: Path, fmt: str = "csv", **sizes: int) -> dict[str, pl.DataFrame]:
        frames = generate_inbox(**sizes)
        write_inbox(frames, folder, fmt)
        return frames

    return write
