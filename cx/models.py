"""Frozen value types shared by the store, metrics, charts and pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Stage(StrEnum):
    """Where in the customer lifecycle a touchpoint sits (a cycle)."""

    ATTRACTION = "attraction"
    INTERACTION = "interaction"
    CULTIVATION = "cultivation"


STAGES: tuple[str, ...] = tuple(s.value for s in Stage)


@dataclass(frozen=True)
class Scale:
    """A score scale [lo, hi]; `reversed` means a higher answer is worse."""

    lo: float
    hi: float
    reversed: bool = False

    def __post_init__(self) -> None:
        if not self.hi > self.lo:
            raise ValueError(f"scale {self.lo:g}–{self.hi:g}: the top must be above the bottom")

    def to_ten(self, x: float) -> float:
        """Return x mapped onto 0–10 (10 is always best)."""
        share = (x - self.lo) / (self.hi - self.lo)
        return 10.0 * (1.0 - share if self.reversed else share)

    @property
    def label(self) -> str:
        return f"{self.lo:g}–{self.hi:g}"


@dataclass(frozen=True)
class JourneyStep:
    """One touchpoint in a journey, in journey order."""

    position: int
    touchpoint: str
    stage: str | None = None
    channel: str | None = None
    target: float | None = None
    intentional: bool = True
    controlled: bool = True
    owner: str | None = None
    note: str | None = None
    operational: str | None = None  # name of an operational metric linked to this touchpoint


@dataclass(frozen=True)
class Journey:
    """An ordered list of touchpoints one persona goes through for one goal."""

    name: str
    persona: str | None = None
    goal: str | None = None
    dataset: str | None = None
    description: str | None = None
    steps: tuple[JourneyStep, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Interval:
    """A 95 % interval."""

    low: float
    high: float


@dataclass(frozen=True)
class TouchpointScore:
    """One journey touchpoint with its score, or `score is None` when there is none."""

    position: int
    touchpoint: str
    stage: str | None
    source: str  # "responses", "assessment" or "none"
    n: int
    mean: float | None  # on the original scale
    scale: Scale | None
    score: float | None  # 0–10
    low: float | None  # 95 % interval on 0–10 (responses only)
    high: float | None
    target: float | None
    low_n: bool
    weak: bool
    weak_reason: str | None


@dataclass(frozen=True)
class JourneyScores:
    """Every touchpoint of a journey in order, plus the aggregate that hides them."""

    journey: Journey
    touchpoints: tuple[TouchpointScore, ...]
    aggregate: float | None  # mean of the scored touchpoints, 0–10
    min_n: int
    margin: float

    @property
    def weak(self) -> tuple[TouchpointScore, ...]:
        return tuple(t for t in self.touchpoints if t.weak)

    @property
    def scored(self) -> tuple[TouchpointScore, ...]:
        return tuple(t for t in self.touchpoints if t.score is not None)
